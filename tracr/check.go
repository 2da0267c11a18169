package tracr

import (
	"fmt"
	"math"

	"github.com/glassbox-interp/glassbox/model"
	"github.com/glassbox-interp/glassbox/rasp"
)

// CheckRow is one input row (BOS, content, PADs) with the expected output
// at every position (nil where RASP gives None; BOS/PAD positions ignored).
type CheckRow struct {
	Input    []rasp.Value
	Expected []rasp.Value
}

// CheckResult compares a compiled model with RASP evaluation, split into
// rows without and with padding. Only content positions are compared;
// None outputs are skipped.
type CheckResult struct {
	Rows, RowsPadded                            int
	MismatchRowsUnpadded, MismatchRowsPadded    int
	Positions, MismatchPositions, NonePositions int
	// MaxAbsErr is the largest |model - RASP| (numerical outputs).
	MaxAbsErr float64
	// FirstMismatch describes the first differing row ("" if none).
	FirstMismatch string
}

// Exact reports whether every row matches.
func (r *CheckResult) Exact() bool { return r.MismatchRowsUnpadded == 0 && r.MismatchRowsPadded == 0 }

// NumericalMatch is the reference's tolerance for numerical outputs:
// |model - rasp| <= 1e-4 + 0.005·|rasp|.
func NumericalMatch(model, want float64) bool {
	return math.Abs(model-want) <= 1e-4+0.005*math.Abs(want)
}

// Check runs m (from c.Model) on the rows in batches and compares the
// decoded outputs with the expected ones. Categorical values compare with
// Python's == (3 == 3.0 == True is not a mismatch); numerical ones with
// NumericalMatch.
func (c *Compiled) Check(m *model.Model, rows []CheckRow, batch int) (*CheckResult, error) {
	if batch <= 0 {
		batch = 256
	}
	res := &CheckResult{}
	for start := 0; start < len(rows); start += batch {
		end := min(start+batch, len(rows))
		in := make([][]rasp.Value, 0, end-start)
		for _, r := range rows[start:end] {
			in = append(in, r.Input)
		}
		got, err := c.Apply(m, in)
		if err != nil {
			return nil, fmt.Errorf("rows %d-%d: %w", start, end-1, err)
		}
		for i, r := range rows[start:end] {
			padded := false
			bad := false
			for p := 1; p < len(r.Input); p++ {
				if s, ok := r.Input[p].(string); ok && s == c.Options.CompilerPAD {
					padded = true
					continue
				}
				if p >= len(r.Expected) || r.Expected[p] == nil {
					res.NonePositions++
					continue
				}
				res.Positions++
				want, g := r.Expected[p], got[i][p]
				ok := false
				if c.Categorical {
					ok = rasp.Equal(g, want)
				} else {
					gf, _ := g.(float64)
					wf, isNum := rasp.AsFloat(want)
					ok = isNum && NumericalMatch(gf, wf)
					if isNum {
						res.MaxAbsErr = math.Max(res.MaxAbsErr, math.Abs(gf-wf))
					}
				}
				if !ok {
					res.MismatchPositions++
					if !bad && res.FirstMismatch == "" {
						res.FirstMismatch = fmt.Sprintf("input %s position %d: model %s, RASP %s", rasp.Repr(rasp.Tuple(r.Input)), p, rasp.Repr(g), rasp.Repr(want))
					}
					bad = true
				}
			}
			res.Rows++
			if padded {
				res.RowsPadded++
			}
			if bad {
				if padded {
					res.MismatchRowsPadded++
				} else {
					res.MismatchRowsUnpadded++
				}
			}
		}
	}
	return res, nil
}
