package report

import (
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
	return &Run{Name: name, Dir: r.RunDir, Hook: r.Hook, Source: src, DIn: r.SAE.DIn, Config: r.Config,
		Curves: r.Curves, Recon: r.Recon, Downstream: r.Downstream, Analysis: r.Analysis,
		Tokens: r.GT.Tokens, Acts: r.Acts, Effects: r.Effects, EffectNote: rundir.EffectNote, Notes: notes}
}
