package star

import (
	"io/fs"
	"os"
	"testing"

	"github.com/glassbox-interp/glassbox/rasp"
	"go.starlark.net/starlark"
)

func benchContents(vocab []rasp.Value, lengths ...int) [][]rasp.Value {
	var out [][]rasp.Value
	for _, n := range lengths {
		idx := make([]int, n)
		for {
			row := make([]rasp.Value, n)
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

func benchEval(b *testing.B, src string, rows [][]rasp.Value) {
	p, err := Load("bench.star", []byte(src), Options{})
	if err != nil {
		b.Fatal(err)
	}
	r, err := p.Build()
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, row := range rows {
			if _, err := rasp.Eval(r.Program, row); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(len(rows)*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkStarEvalCase3: case 3 loaded from Starlark (tokens == "x" is a
// Go function), full trace, all 320 rows per op.
func BenchmarkStarEvalCase3(b *testing.B) {
	benchEval(b, `
bools = numerical((tokens == "x").named("is_x"))
program = numerical(Aggregate(Select(indices, indices, LEQ), bools, default = 0)).named("frac_prevs")
`, benchContents([]rasp.Value{"a", "b", "c", "x"}, 3, 4))
}

// BenchmarkStarEvalCase18: hist + length + a Starlark lambda SequenceMap,
// full trace, all 780 rows of length 1..4 over a..e per op.
func BenchmarkStarEvalCase18(b *testing.B) {
	benchEval(b, `
hist = SelectorWidth(Select(tokens, tokens, EQ).named("same_tok")).named("hist")
length = SelectorWidth(Select(tokens, tokens, TRUE).named("all_true_selector")).named("length")
program = SequenceMap(
    lambda freq, total: "frequent" if freq > total / 2 else ("common" if freq > total / 4 else "rare"),
    hist, length)
`, benchContents([]rasp.Value{"a", "b", "c", "d", "e"}, 1, 2, 3, 4))
}

// BenchmarkLoadBuild parses, compiles and builds a program with a load().
func BenchmarkLoadBuild(b *testing.B) {
	src := []byte("load(\"lib/common.star\", \"make_reverse\")\nprogram = make_reverse(tokens)\n")
	fsys := benchFS()
	for i := 0; i < b.N; i++ {
		p, err := Load("bench.star", src, Options{FS: fsys})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.Build(); err != nil {
			b.Fatal(err)
		}
	}
}

func benchFS() fs.FS { return os.DirFS("testdata") }

// BenchmarkStarLoop runs a Starlark loop of comparisons and arithmetic (10000
// iterations of `if i % 3 == 0: s = s + i * 2`), every operator going through
// the Python-semantics rewrite. CPython runs the same function in ≈ 0.9 ms.
func BenchmarkStarLoop(b *testing.B) {
	p, err := Load("loop.star", []byte(`
def f(n):
    s = 0
    for i in range(n):
        if i % 3 == 0:
            s = s + i * 2
    return s
program = tokens
`), Options{})
	if err != nil {
		b.Fatal(err)
	}
	r, err := p.Build()
	if err != nil {
		b.Fatal(err)
	}
	f := &Func{Fn: r.Globals["f"].(starlark.Callable), budget: NewBudget(1<<62, 0)}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := f.call([]rasp.Value{10000}); err != nil {
			b.Fatal(err)
		}
	}
}
