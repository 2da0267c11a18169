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
// name. The x axis is details/n_training_tokens when present, else step ×
// (tokens per step, learnt from records that have both), else the step,
// else the record's number. Undefined (NaN) values are left out.
func Curves(recs []sae.Record) []Curve {
	const xKey = "details/n_training_tokens"
	tokensPerStep := 0.0
	for _, r := range recs {
		if tok, ok := r.Values[xKey]; ok && r.Step > 0 && !math.IsNaN(tok) {
			if tokensPerStep = tok / float64(r.Step); tokensPerStep != 0 {
				break
			}
		}
	}
	curves := map[string]*Curve{}
	for i, r := range recs {
		// x: training tokens, else step × tokens per step (eval records
		// carry only the step), else the step, else the record number.
		x, xName := float64(i+1), "log line"
		if r.Step >= 0 {
			x, xName = float64(r.Step), "step"
			if tokensPerStep > 0 {
				x, xName = float64(r.Step)*tokensPerStep, "training tokens"
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
