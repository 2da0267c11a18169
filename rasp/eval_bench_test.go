package rasp

import "testing"

// contents enumerates every sequence of the given lengths over vocab, in
// gen_all_data order (the rows of testdata/bench_python_eval.py).
func contents(vocab []Value, lengths ...int) [][]Value {
	var out [][]Value
	for _, n := range lengths {
		idx := make([]int, n)
		for {
			row := make([]Value, n)
			for i, j := range idx {
				row[i] = vocab[j]
			}
			out = append(out, row)
			k := n - 1
			for k >= 0 && idx[k] == len(vocab)-1 {
				idx[k] = 0
				k--
			}
			if k < 0 {
				break
			}
			idx[k]++
		}
	}
	return out
}

// BenchmarkEvalCase3 evaluates case 3 (Go functions) with a full trace on
// all 320 rows; one op = all rows.
func BenchmarkEvalCase3(b *testing.B) {
	prog := Named(AsNumerical(NewAggregate(NewSelect(Indices, Indices, LEQ),
		AsNumerical(Named(mustOpB(b, OpEq, Tokens, "x"), "is_x")), 0)), "frac_prevs")
	rows := contents([]Value{"a", "b", "c", "x"}, 3, 4)
	AssignLabels(prog)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, r := range rows {
			if _, err := Eval(prog, r); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(len(rows)*b.N)/b.Elapsed().Seconds(), "rows/s")
}

func mustOpB(b *testing.B, op Op, l, r any) SOp {
	s, err := Operator(op, l, r)
	if err != nil {
		b.Fatal(err)
	}
	return s
}
