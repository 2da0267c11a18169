package workload

import (
	"fmt"

	"github.com/glassbox-interp/glassbox/features"
	"github.com/glassbox-interp/glassbox/model"
	"github.com/glassbox-interp/glassbox/tensor"
)

// Splice runs the workload's model over its dataset with x ([B·T, d_in])
// in place of the vectors v reads at its hook, and returns the outputs.
func (w *Workload) Splice(v View, x []float32) (*tensor.Tensor, error) {
	if want := v.B * v.T * v.DIn; len(x) != want {
		return nil, fmt.Errorf("splice at %s: %d values, the hook's vectors have %d", v.Hook.Name, len(x), want)
	}
	return w.Model.RunWithHooks(w.Tokens, []model.Hook{{Name: v.Hook.Name, Fn: func(a *tensor.Tensor) error {
		v.Replace(a.Data, x)
		return nil
	}}})
}

// Downstream scores a reconstruction xhat ([B·T, d_in]) spliced in at v's
// hook: the model's outputs with it, and with the hook's vectors zeroed,
// against the clean outputs and the program's targets
// (features.Downstream: accuracy, within w.ATol for numerical outputs,
// CE/KL or MSE and their recovered scores).
func (w *Workload) Downstream(v View, clean *tensor.Tensor, xhat []float32) (*features.DownstreamMetrics, error) {
	spliced, err := w.Splice(v, xhat)
	if err != nil {
		return nil, fmt.Errorf("spliced run: %w", err)
	}
	zero, err := w.Splice(v, make([]float32, len(xhat)))
	if err != nil {
		return nil, fmt.Errorf("zero-ablated run: %w", err)
	}
	ids, vals := w.Case.Targets()
	V := clean.Shape[len(clean.Shape)-1]
	return features.Downstream(features.DownstreamInput{Categorical: w.Case.Compiled.Categorical, V: V,
		Clean: clean.Data, Spliced: spliced.Data, Zero: zero.Data, Targets: ids, TargetValues: vals, ATol: w.ATol})
}
