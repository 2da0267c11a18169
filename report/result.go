package report

import (
	"math"
	"path/filepath"

	"github.com/glassbox-interp/glassbox/features/rundir"
)

// FromResult is the view of an analysed SAE (features/rundir.Load): the
// result as the pages show it.
func FromResult(r *rundir.Result) *Run {
	name := filepath.Base(r.RunDir)
	if r.RunDir == "" {
		name = filepath.Base(r.SAEDir)
	}
	src := ""
	if r.Case != nil {
		src = r.Case.Name
	}
	var notes []string
	if r.RunDir == "" {
		notes = append(notes, "Bare SAE directory: no training curves.")
	}
	run := &Run{Name: name, Dir: r.RunDir, Hook: r.Hook, Source: src, DIn: r.SAE.DIn, Config: r.Config,
		Curves: r.Curves, Recon: r.Recon, Downstream: r.Downstream, Analysis: r.Analysis,
		Tokens: r.GT.Tokens, Acts: r.Acts, Effects: r.Effects, EffectNote: rundir.EffectNote, Notes: notes,
		Inspect: r.Inspect, Probe: r.Probe}
	if r.Case != nil && r.Case.Compiled != nil {
		run.Causal = r.Case.Compiled.Options.Causal
	}
	run.Meta = RunMeta{Case: src, Model: "compiled", Hook: r.Hook, Arch: r.SAE.Arch, DSAE: r.SAE.DSAE,
		EV: math.NaN(), L0: math.NaN(), Coverage: math.NaN(), Spliced: math.NaN()}
	if r.ModelDir() != "" {
		run.Meta.Model = filepath.Base(r.ModelDir())
	}
	if r.Recon != nil {
		run.Meta.EV, run.Meta.L0 = float64(r.Recon.ExplainedVariance), float64(r.Recon.L0)
	}
	if r.Analysis != nil && r.Analysis.Labels != nil && len(r.Analysis.Labels.Expected) > 0 {
		run.Meta.Coverage = r.Analysis.Labels.Coverage
	}
	if r.Downstream != nil {
		run.Meta.Spliced = float64(r.Downstream.Spliced.Accuracy)
	}
	return run
}
