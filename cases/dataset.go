package cases

import (
	"fmt"
	"math/big"

	"github.com/glassbox-interp/glassbox/rasp"
	"github.com/glassbox-interp/glassbox/rasp/star"
	"go.starlark.net/starlark"
)

// Row is one dataset row as circuits-benchmark builds it: Input is
// ["BOS"] + content + ["PAD"]*pad, Tokens its ids, Output is
// ["BOS"] + get_correct_output_for_input(content) + ["PAD"]*pad with nil for
// RASP's None.
type Row struct {
	Input  []rasp.Value
	Tokens []int
	Output []rasp.Value
}

// Content returns the row's input without BOS and padding.
func (r Row) Content() []rasp.Value {
	n := 0
	for _, v := range r.Input[1:] {
		if s, ok := v.(string); ok && s == PAD {
			break
		}
		n++
	}
	return r.Input[1 : 1+n]
}

// Dataset is a list of rows of one case with how they were chosen.
type Dataset struct {
	Case *Case
	// Mode is "all" (gen_all_data), "sampled" (Sample) or "inputs" (Rows).
	Mode string
	// Seed is the sampling seed (Mode "sampled").
	Seed int64
	Rows []Row
}

// Evaluator computes outputs of one build of a case's program. It is not
// safe for concurrent use; make one per goroutine.
type Evaluator struct {
	c       *Case
	program rasp.SOp
	correct starlark.Callable // correct_output, when the file defines it
	build   *star.Result
}

// NewEvaluator builds the program once for evaluating many inputs.
func (c *Case) NewEvaluator() (*Evaluator, error) {
	r, err := c.prog.Build()
	if err != nil {
		return nil, fmt.Errorf("build %s: %w", c.File, err)
	}
	e := &Evaluator{c: c, program: r.Program, build: r}
	if fn, ok := r.Globals["correct_output"].(starlark.Callable); ok {
		e.correct = fn
	}
	return e, nil
}

// Program returns the evaluator's build of the program.
func (e *Evaluator) Program() rasp.SOp { return e.program }

// ProgramOutput evaluates the program on content (no BOS, no padding).
func (e *Evaluator) ProgramOutput(content []rasp.Value) ([]rasp.Value, error) {
	return rasp.EvalSOp(e.program, content)
}

// CorrectOutput is circuits-benchmark's get_correct_output_for_input: the
// file's correct_output(input) when it defines one (case 39), else the
// program's output.
func (e *Evaluator) CorrectOutput(content []rasp.Value) ([]rasp.Value, error) {
	if e.correct == nil {
		return e.ProgramOutput(content)
	}
	elems := make([]starlark.Value, len(content))
	for i, v := range content {
		s, err := star.ToStarlark(v)
		if err != nil {
			return nil, fmt.Errorf("correct_output: input %d: %w", i, err)
		}
		elems[i] = s
	}
	res, err := e.build.Call(e.correct, starlark.Tuple{starlark.NewList(elems)})
	if err != nil {
		return nil, fmt.Errorf("correct_output: %w", err)
	}
	it, ok := res.(starlark.Indexable)
	if !ok {
		return nil, fmt.Errorf("correct_output: returned %s, want a list", res.Type())
	}
	if it.Len() != len(content) {
		return nil, fmt.Errorf("correct_output: returned %d values for %d inputs", it.Len(), len(content))
	}
	out := make([]rasp.Value, it.Len())
	for i := range out {
		if out[i], err = star.FromStarlark(it.Index(i)); err != nil {
			return nil, fmt.Errorf("correct_output: value %d: %w", i, err)
		}
	}
	return out, nil
}

// Row builds the dataset row of one content (no BOS, no padding).
func (e *Evaluator) Row(content []rasp.Value) (Row, error) {
	c := e.c
	if len(content) > c.MaxSeqLen-1 {
		return Row{}, fmt.Errorf("input has %d tokens, more than max_seq_len-1 = %d", len(content), c.MaxSeqLen-1)
	}
	if len(content) == 0 {
		return Row{}, fmt.Errorf("input is empty (need at least one token after BOS)")
	}
	for i, v := range content {
		if s, ok := v.(string); ok && (s == BOS || s == PAD) {
			return Row{}, fmt.Errorf("position %d: %s inside the content (BOS only first, PAD only at the end)", i+1, s)
		}
	}
	input := PadRow(content, c.MaxSeqLen)
	ids, err := c.tok.Encode(input)
	if err != nil {
		return Row{}, err
	}
	out, err := e.CorrectOutput(content)
	if err != nil {
		return Row{}, fmt.Errorf("evaluate %s: %w", Format(input), err)
	}
	output := make([]rasp.Value, 0, len(input))
	output = append(output, BOS)
	output = append(output, out...)
	for len(output) < len(input) {
		output = append(output, PAD)
	}
	return Row{Input: input, Tokens: ids, Output: output}, nil
}

// Rows builds the rows of the given contents (no BOS, no padding), in order.
func (c *Case) Rows(contents [][]rasp.Value) (*Dataset, error) {
	return c.rows("inputs", 0, contents)
}

func (c *Case) rows(mode string, seed int64, contents [][]rasp.Value) (*Dataset, error) {
	e, err := c.NewEvaluator()
	if err != nil {
		return nil, err
	}
	ds := &Dataset{Case: c, Mode: mode, Seed: seed, Rows: make([]Row, len(contents))}
	for i, content := range contents {
		if ds.Rows[i], err = e.Row(content); err != nil {
			return nil, fmt.Errorf("%s row %d: %w", c.File, i, err)
		}
	}
	return ds, nil
}

// AllData is gen_all_data(min_seq_len, max_seq_len): every input, in
// circuits-benchmark's order. It refuses to build more than limit rows
// (0: no limit).
func (c *Case) AllData(limit int64) (*Dataset, error) {
	contents, err := AllContents(c.vocab, c.MinSeqLen, c.MaxSeqLen, limit)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.File, err)
	}
	return c.rows("all", 0, contents)
}

// Sample draws n rows as the reference data did with random.Random(seed):
// randint(min_seq_len, max_seq_len), then choice(sorted vocab) per position.
func (c *Case) Sample(n int, seed int64) (*Dataset, error) {
	contents, err := SampleContents(c.vocab, c.MinSeqLen, c.MaxSeqLen, n, seed)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.File, err)
	}
	return c.rows("sampled", seed, contents)
}

// Dataset returns the reference data's rows: all of gen_all_data when
// get_total_data_len() <= 5000 (cases 3, 15, 119), otherwise 2000 rows
// sampled with seed 42.
func (c *Case) Dataset() (*Dataset, error) {
	if c.TotalDataLen().Cmp(big.NewInt(DatasetLimit)) <= 0 {
		return c.AllData(0)
	}
	return c.Sample(DatasetSamples, DatasetSeed)
}
