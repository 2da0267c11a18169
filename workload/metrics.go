package workload

import (
	"math"
	"sort"

	"github.com/glassbox-interp/glassbox/sae"
)

// Curve is one training metric against training tokens (or the log step).
type Curve struct {
	Name  string
	XName string
	X, Y  []float64
}

// Last returns the last finite value of the curve.
func (c Curve) Last() float64 {
	for i := len(c.Y) - 1; i >= 0; i-- {
		if !math.IsNaN(c.Y[i]) {
			return c.Y[i]
		}
	}
	return math.NaN()
}

// ReadMetrics reads a run's metrics.jsonl with sae.ReadMetrics (the one
// reader, beside the trainer that writes it) and returns its Curves.
func ReadMetrics(path string) ([]Curve, error) {
	recs, err := sae.ReadMetrics(path)
	if err != nil {
		return nil, err
	}
	return Curves(recs), nil
}

// Curves is a view of metrics records as one curve per metric, sorted by
// name. The x axis is details/n_training_tokens when present, else the
// tokens of that step learnt from records that have both (exactly, or on
// the line through the first and last such records), else the step, else
// the record's number. Undefined (NaN) values are left out.
func Curves(recs []sae.Record) []Curve {
	const xKey = "details/n_training_tokens"
	// Tokens per step come from records that carry both: the exact count at
	// those steps, and between or beyond them the line through the first and
	// last such pair (steps are zero-based, so tokens/step would overshoot).
	tokensAt := map[int64]float64{}
	var s0, t0, s1, t1 float64
	pairs := 0
	for _, r := range recs {
		if tok, ok := r.Values[xKey]; ok && r.Step >= 0 && !math.IsNaN(tok) {
			tokensAt[r.Step] = tok
			if pairs == 0 {
				s0, t0 = float64(r.Step), tok
			}
			s1, t1 = float64(r.Step), tok
			pairs++
		}
	}
	curves := map[string]*Curve{}
	for i, r := range recs {
		// x: training tokens, else step × tokens per step (eval records
		// carry only the step), else the step, else the record number.
		x, xName := float64(i+1), "log line"
		if r.Step >= 0 {
			v := float64(r.Step)
			x, xName = v, "step"
			if tok, ok := tokensAt[r.Step]; ok {
				x, xName = tok, "training tokens"
			} else if s1 != s0 {
				x, xName = t0+(v-s0)*(t1-t0)/(s1-s0), "training tokens"
			} else if pairs > 0 && s0 > 0 {
				x, xName = v*t0/s0, "training tokens"
			}
		}
		if v, ok := r.Values[xKey]; ok && !math.IsNaN(v) {
			x, xName = v, "training tokens"
		}
		for _, k := range r.Order {
			y := r.Values[k]
			if math.IsNaN(y) || k == "" || k == xKey {
				continue
			}
			c := curves[k]
			if c == nil {
				c = &Curve{Name: k, XName: xName}
				curves[k] = c
			}
			c.X = append(c.X, x)
			c.Y = append(c.Y, y)
		}
	}
	names := make([]string, 0, len(curves))
	for k := range curves {
		names = append(names, k)
	}
	sort.Strings(names)
	out := make([]Curve, 0, len(names))
	for _, k := range names {
		out = append(out, *curves[k])
	}
	return out
}
