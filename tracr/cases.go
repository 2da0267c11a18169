package tracr

import (
	"fmt"

	"github.com/glassbox-interp/glassbox/cases"
	"github.com/glassbox-interp/glassbox/rasp"
)

// CompileCase compiles a catalogue (or user) case exactly as
// circuits-benchmark's get_tracr_output does: a fresh build (ids from 1),
// max_seq_len-1, BOS "BOS", PAD "PAD", causal = supports_causal_masking().
func CompileCase(c *cases.Case, mlpExactness float64) (*Compiled, error) {
	return CompileCaseLimit(c, mlpExactness, 0)
}

// CompileCaseLimit is CompileCase with a size limit (Options.MaxParams;
// 0: DefaultMaxParams).
func CompileCaseLimit(c *cases.Case, mlpExactness float64, maxParams int64) (*Compiled, error) {
	prog, err := c.Build()
	if err != nil {
		return nil, fmt.Errorf("case %s: %w", c.Name(), err)
	}
	comp, err := Compile(prog, c.Vocab(), c.MaxSeqLen-1, Options{
		Causal: c.Causal, MLPExactness: mlpExactness, CompilerBOS: cases.BOS, CompilerPAD: cases.PAD,
		MaxParams: maxParams,
	})
	if err != nil {
		return nil, fmt.Errorf("case %s: %w", c.Name(), err)
	}
	return comp, nil
}

// CheckRows turns dataset rows into check rows (expected = RASP output).
func CheckRows(ds *cases.Dataset) []CheckRow {
	rows := make([]CheckRow, len(ds.Rows))
	for i, r := range ds.Rows {
		rows[i] = CheckRow{Input: r.Input, Expected: r.Output}
	}
	return rows
}

// CheckCase runs the compiled model of c on a dataset: the reference
// selection (every gen_all_data row when there are at most 5000, else 2000
// rows sampled with seed 42) when n is 0, otherwise n rows sampled with
// the reference's seeded sampling. A causal model is compared with the
// program evaluated causally: position i with the program's value at i on
// the input's first i+1 tokens (what a causal mask lets the model see).
func CheckCase(c *cases.Case, comp *Compiled, n int) (*CheckResult, error) {
	var ds *cases.Dataset
	var err error
	if n <= 0 {
		ds, err = c.Dataset()
	} else {
		ds, err = c.Sample(n, cases.DatasetSeed)
	}
	if err != nil {
		return nil, fmt.Errorf("case %s: dataset: %w", c.Name(), err)
	}
	m, err := comp.Model()
	if err != nil {
		return nil, err
	}
	rows := CheckRows(ds)
	if comp.Options.Causal {
		if rows, err = causalRows(c, rows); err != nil {
			return nil, fmt.Errorf("case %s: %w", c.Name(), err)
		}
	}
	res, err := comp.Check(m, rows, 0)
	if err != nil {
		return nil, fmt.Errorf("case %s: %w", c.Name(), err)
	}
	return res, nil
}

// causalRows replaces the expected outputs by causal evaluation: position
// p (after BOS) gets the program's output at p on the content up to p.
func causalRows(c *cases.Case, rows []CheckRow) ([]CheckRow, error) {
	ev, err := c.NewEvaluator()
	if err != nil {
		return nil, err
	}
	out := make([]CheckRow, len(rows))
	for i, r := range rows {
		content := make([]rasp.Value, 0, len(r.Input))
		for _, v := range r.Input[1:] {
			if s, ok := v.(string); ok && s == cases.PAD {
				break
			}
			content = append(content, v)
		}
		want := make([]rasp.Value, len(r.Input))
		for p := 1; p <= len(content); p++ {
			o, err := ev.ProgramOutput(content[:p])
			if err != nil {
				return nil, fmt.Errorf("causal evaluation of %s: %w", rasp.Repr(rasp.Tuple(content[:p])), err)
			}
			want[p] = o[p-1]
		}
		out[i] = CheckRow{Input: r.Input, Expected: want}
	}
	return out, nil
}
