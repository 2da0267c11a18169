package report

import (
	"os"
	"path/filepath"

	"github.com/glassbox-interp/glassbox/features/rundir"
	"github.com/glassbox-interp/glassbox/sae"
)

// FromResult is the view of an analysed SAE (features/rundir.Load): the
// result as the pages show it, with the run's training curves read from its
// metrics.jsonl.
func FromResult(r *rundir.Result) (*Run, error) {
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
	var curves []Curve
	if r.RunDir != "" {
		mp := filepath.Join(r.RunDir, sae.MetricsFile)
		if _, err := os.Stat(mp); err == nil {
			if curves, err = ReadMetrics(mp); err != nil {
				return nil, err
			}
		}
	}
	return &Run{Name: name, Dir: r.RunDir, Hook: r.Hook, Source: src, DIn: r.SAE.DIn, Config: r.Config,
		Curves: curves, Recon: r.Recon, Downstream: r.Downstream, Analysis: r.Analysis,
		Tokens: r.GT.Tokens, Acts: r.Acts, Effects: r.Effects, EffectNote: rundir.EffectNote, Notes: notes}, nil
}
