package features

import (
	"fmt"
	"math"

	"github.com/glassbox-interp/glassbox/tensor"
)

// Analysis bundles the per-feature statistics and the labelling of one SAE
// on one dataset.
type Analysis struct {
	Hook   string
	Stats  []FeatureStats
	Labels *Labelling
}

// Analyze runs Summarize and, if gt is not nil, Label.
func Analyze(acts *tensor.Tensor, gt *GroundTruth, hook string, decoder *tensor.Tensor, sopts SummaryOptions, lopts LabelOptions) (*Analysis, error) {
	stats, err := Summarize(acts, sopts)
	if err != nil {
		return nil, err
	}
	a := &Analysis{Hook: hook, Stats: stats}
	if gt != nil {
		l, err := Label(acts, gt, hook, decoder, lopts)
		if err != nil {
			return nil, fmt.Errorf("label features at %s: %w", hook, err)
		}
		a.Labels = l
	}
	return a, nil
}

// FeatureReport is one feature in the `glassbox features --json` output.
type FeatureReport struct {
	Index         int     `json:"index"`
	Label         string  `json:"label"`
	Precision     float64 `json:"precision"`
	Recall        float64 `json:"recall"`
	F1            float64 `json:"f1"`
	Density       float64 `json:"density"`
	MaxActivation float64 `json:"max_activation"`
	Live          bool    `json:"live"`
	Duplicates    []int   `json:"duplicates"`
	// Extra keys beyond the shape.
	Verdict       string   `json:"verdict"`
	R             *float64 `json:"r,omitempty"`
	RunnerUp      string   `json:"runner_up,omitempty"`
	RunnerUpScore *float64 `json:"runner_up_score,omitempty"`
}

// Report is the `glassbox features --json` object. Coverage is null when no
// ground-truth candidate is expected at the hook. For numerical labels F1
// holds |r| (the score that chose the label) and R the signed correlation.
type Report struct {
	Hook      string          `json:"hook"`
	DSAE      int             `json:"d_sae"`
	Live      int             `json:"live"`
	Coverage  *float64        `json:"coverage"`
	Expected  []string        `json:"expected"`
	Recovered []string        `json:"recovered"`
	Features  []FeatureReport `json:"features"`
}

// Report builds the JSON report.
func (a *Analysis) Report() Report {
	r := Report{Hook: a.Hook, DSAE: len(a.Stats), Live: countLive(a.Stats), Expected: []string{}, Recovered: []string{}}
	if a.Labels != nil {
		r.Expected, r.Recovered = a.Labels.Expected, a.Labels.Recovered
		if !math.IsNaN(a.Labels.Coverage) {
			c := a.Labels.Coverage
			r.Coverage = &c
		}
	}
	for i, s := range a.Stats {
		fr := FeatureReport{Index: s.Index, Density: s.Density, MaxActivation: float64(s.Max), Live: s.Live, Duplicates: []int{}}
		if a.Labels != nil {
			fl := a.Labels.Features[i]
			fr.Verdict = fl.Verdict
			fr.Duplicates = fl.Duplicates
			if fl.Best != nil {
				fr.Label, fr.Precision, fr.Recall, fr.F1, fr.R = fl.Best.Label, fl.Best.Precision, fl.Best.Recall, fl.Best.Score, fl.Best.R
			}
			if fl.RunnerUp != nil {
				sc := fl.RunnerUp.Score
				fr.RunnerUp, fr.RunnerUpScore = fl.RunnerUp.Label, &sc
			}
		} else if !s.Live {
			fr.Verdict = VerdictDead
		}
		r.Features = append(r.Features, fr)
	}
	return r
}
