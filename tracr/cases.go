package tracr

import (
	"fmt"

	"github.com/glassbox-interp/glassbox/cases"
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
// the reference's seeded sampling.
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
	res, err := comp.Check(m, CheckRows(ds), 0)
	if err != nil {
		return nil, fmt.Errorf("case %s: %w", c.Name(), err)
	}
	return res, nil
}
