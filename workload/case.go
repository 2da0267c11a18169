package workload

import (
	"fmt"
	"math"

	"github.com/glassbox-interp/glassbox/features"
	"github.com/glassbox-interp/glassbox/model"
	"github.com/glassbox-interp/glassbox/rasp"
	"github.com/glassbox-interp/glassbox/tracr"
)

// Case is a RASP program compiled once (tracr), with its dataset and the
// program's evaluation traces on it: everything a job needs to run the
// model and score against the program's variables.
type Case struct {
	// Name describes the case ("case 3").
	Name string
	// ID is the circuits-benchmark case number (0 for user programs); it
	// picks InterpBench's per-case correspondence overrides.
	ID       int
	Compiled *tracr.Compiled
	Program  rasp.SOp
	// Rows are the dataset's inputs: BOS + content + PAD…, all of length n_ctx.
	Rows [][]rasp.Value
	// Contents are the rows without BOS and PAD.
	Contents [][]rasp.Value
	// Traces[row] is the program evaluated on Contents[row].
	Traces []*rasp.Trace
	// Outputs, if set, are the correct outputs per row as the dataset gives
	// them (BOS + get_correct_output_for_input + PAD; case 39 overrides the
	// program there); Targets prefers them to the traces' outputs.
	Outputs [][]rasp.Value

	maxSeqLen int
}

// Compile compiles program for inputs of up to maxSeqLen tokens (counting
// BOS); the result has no dataset yet (WithRows adds one).
func Compile(name string, program rasp.SOp, vocab []rasp.Value, maxSeqLen int, causal bool) (*Case, error) {
	c, err := tracr.Compile(program, vocab, maxSeqLen-1, tracr.Options{Causal: causal})
	if err != nil {
		return nil, fmt.Errorf("%s: compile: %w", name, err)
	}
	return &Case{Name: name, Compiled: c, Program: program, maxSeqLen: maxSeqLen}, nil
}

// WithRows returns the compiled case with a dataset: it evaluates the
// program on every content row (without BOS/PAD) and pads the rows to
// max_seq_len. The compilation is shared, not repeated.
func (cd *Case) WithRows(contents [][]rasp.Value) (*Case, error) {
	name, maxSeqLen, program := cd.Name, cd.maxSeqLen, cd.Program
	if len(contents) == 0 {
		return nil, fmt.Errorf("%s: empty dataset", name)
	}
	out := &Case{Name: name, ID: cd.ID, Compiled: cd.Compiled, Program: program, Contents: contents, maxSeqLen: maxSeqLen}
	bos, pad := cd.Compiled.Options.CompilerBOS, cd.Compiled.Options.CompilerPAD
	for i, content := range contents {
		if len(content) > maxSeqLen-1 {
			return nil, fmt.Errorf("%s: row %d has %d tokens, the model takes %d after BOS", name, i, len(content), maxSeqLen-1)
		}
		row := append([]rasp.Value{bos}, content...)
		for len(row) < maxSeqLen {
			row = append(row, pad)
		}
		out.Rows = append(out.Rows, row)
		tr, err := rasp.Eval(program, content)
		if err != nil {
			return nil, fmt.Errorf("%s: evaluate row %d: %w", name, i, err)
		}
		out.Traces = append(out.Traces, tr)
	}
	return out, nil
}

// NewCase compiles program and evaluates it on every content row (without
// BOS/PAD). Rows are padded to maxSeqLen (which counts BOS).
func NewCase(name string, program rasp.SOp, vocab []rasp.Value, maxSeqLen int, causal bool, contents [][]rasp.Value) (*Case, error) {
	if len(contents) == 0 {
		return nil, fmt.Errorf("%s: empty dataset", name)
	}
	c, err := Compile(name, program, vocab, maxSeqLen, causal)
	if err != nil {
		return nil, err
	}
	return c.WithRows(contents)
}

// TokenIDs encodes the rows with the compiler's token ids.
func (cd *Case) TokenIDs() ([][]int, error) {
	out := make([][]int, len(cd.Rows))
	for i, r := range cd.Rows {
		ids, err := cd.Compiled.Encode(r)
		if err != nil {
			return nil, fmt.Errorf("%s: row %d: %w", cd.Name, i, err)
		}
		out[i] = ids
	}
	return out, nil
}

// TokenStrings gives the rows as strings (Python str of each value).
func (cd *Case) TokenStrings() [][]string {
	out := make([][]string, len(cd.Rows))
	for i, r := range cd.Rows {
		s := make([]string, len(r))
		for j, v := range r {
			s[j] = rasp.Str(v)
		}
		out[i] = s
	}
	return out
}

// plain converts a RASP value to one features.PyStr understands.
func plain(v rasp.Value) any {
	switch v.(type) {
	case nil, bool, int, float64, string:
		return v
	}
	return rasp.Str(v)
}

// GroundTruth builds the labelling input for a model with cfg: the token
// strings, every program variable except tokens and indices (values at
// content positions; BOS and PAD positions have none) with its alignment
// hooks, and the model's hook order.
func (cd *Case) GroundTruth(cfg model.Config) (*features.GroundTruth, error) {
	gt := &features.GroundTruth{Tokens: cd.TokenStrings(), HookOrder: model.HookNames(cfg), BOS: cd.Compiled.Options.CompilerBOS}
	if len(cd.Traces) == 0 {
		return gt, nil
	}
	T := len(cd.Rows[0])
	for _, e := range cd.Traces[0].Graph.Nodes {
		sop, ok := e.(rasp.SOp)
		if !ok {
			continue
		}
		label := sop.Label()
		if label == "tokens" || label == "indices" {
			continue
		}
		v := features.Variable{Name: label, Numerical: sop.Encoding() == rasp.Numerical}
		if cd.Compiled.Alignment != nil {
			v.Hooks = cd.Compiled.Alignment.Map[label]
		}
		for r, tr := range cd.Traces {
			vals := make([]any, T)
			seq, ok := tr.SOps[label]
			if !ok {
				return nil, fmt.Errorf("%s: trace of row %d lacks %s", cd.Name, r, label)
			}
			for p, x := range seq {
				if p+1 < T {
					vals[p+1] = plain(x)
				}
			}
			v.Values = append(v.Values, vals)
		}
		gt.Variables = append(gt.Variables, v)
	}
	return gt, nil
}

// Targets returns, per (row, position) flattened, the correct output: the
// output id for categorical programs (−1 at BOS, PAD, None or values outside
// the output space) or the value for numerical ones (NaN where undefined).
func (cd *Case) Targets() (ids []int, vals []float64) {
	T := len(cd.Rows[0])
	c := cd.Compiled
	for r, tr := range cd.Traces {
		for p := 0; p < T; p++ {
			var out rasp.Value
			if p >= 1 && p-1 < len(tr.Output) {
				out = tr.Output[p-1]
				if r < len(cd.Outputs) && p < len(cd.Outputs[r]) {
					out = cd.Outputs[r][p]
				}
			}
			if c.Categorical {
				id := -1
				if out != nil {
					for j, ov := range c.OutputValues {
						if rasp.Equal(ov, out) {
							id = j
							break
						}
					}
				}
				ids = append(ids, id)
				continue
			}
			f := math.NaN()
			switch x := out.(type) {
			case float64:
				f = x
			case int:
				f = float64(x)
			case bool:
				if x {
					f = 1
				} else {
					f = 0
				}
			}
			vals = append(vals, f)
		}
	}
	return ids, vals
}

// OutputNames names the model's output columns.
func (cd *Case) OutputNames() []string {
	if !cd.Compiled.Categorical {
		return []string{cd.Compiled.OutputLabel}
	}
	out := make([]string, len(cd.Compiled.OutputValues))
	for i, v := range cd.Compiled.OutputValues {
		out[i] = rasp.Str(v)
	}
	return out
}
