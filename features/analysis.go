package features

import (
	"fmt"
	"math"
	"strings"

	"github.com/glassbox-interp/glassbox/tensor"
)

// Analysis bundles the per-feature statistics and the labelling of one SAE
// on one dataset.
type Analysis struct {
	Hook   string
	Stats  []FeatureStats
	Labels *Labelling
	// Threshold is the firing threshold (a feature fires where its
	// activation > Threshold; live features fire somewhere) and
	// ThresholdRule says how it was chosen.
	Threshold     float32
	ThresholdRule string
}

// Analyze runs Summarize and, if gt is not nil, Label, with one firing
// threshold for both: lopts.Threshold when set, else lopts.HookFraction ×
// the hook's activation scale (lopts.HookScale, or the largest feature
// activation when it is 0; DefaultHookFraction in the CLI), else 0. Stats[i].Live is true when feature i exceeds it somewhere.
func Analyze(acts *tensor.Tensor, gt *GroundTruth, hook string, decoder *tensor.Tensor, sopts SummaryOptions, lopts LabelOptions) (*Analysis, error) {
	stats, err := Summarize(acts, sopts)
	if err != nil {
		return nil, err
	}
	a := &Analysis{Hook: hook, Stats: stats}
	a.Threshold, a.ThresholdRule = firingThreshold(stats, lopts)
	lopts.Threshold, lopts.HookFraction = a.Threshold, 0
	for i := range a.Stats {
		a.Stats[i].Live = a.Stats[i].Max > a.Threshold
	}
	if gt != nil {
		l, err := Label(acts, gt, hook, decoder, lopts)
		if err != nil {
			return nil, fmt.Errorf("label features at %s: %w", hook, err)
		}
		l.Threshold, l.ThresholdRule = a.Threshold, a.ThresholdRule
		a.Labels = l
	}
	return a, nil
}

// firingThreshold returns the threshold lopts gives on stats and how it
// was chosen.
func firingThreshold(stats []FeatureStats, lopts LabelOptions) (float32, string) {
	if lopts.Threshold != 0 {
		return lopts.Threshold, "--threshold"
	}
	if lopts.HookFraction > 0 && lopts.HookScale > 0 {
		return float32(lopts.HookFraction * lopts.HookScale), fmt.Sprintf("%g%% of the hook's largest activation norm %.4g", lopts.HookFraction*100, lopts.HookScale)
	}
	if lopts.HookFraction > 0 {
		var max float32
		for _, s := range stats {
			if s.Max > max {
				max = s.Max
			}
		}
		return float32(lopts.HookFraction) * max, fmt.Sprintf("%g%% of the hook's largest feature activation %.4g", lopts.HookFraction*100, max)
	}
	return 0, "any positive activation"
}

// ThresholdText describes the firing threshold, e.g. "activation > 0.02
// = 1% of the hook's largest feature activation 2".
func (a *Analysis) ThresholdText() string { return thresholdText(a.Threshold, a.ThresholdRule) }

func thresholdText(thr float32, rule string) string {
	switch {
	case rule == "" || rule == "any positive activation":
		return fmt.Sprintf("activation > %.4g", thr)
	case strings.HasPrefix(rule, "--"):
		return fmt.Sprintf("activation > %.4g (%s)", thr, rule)
	}
	return fmt.Sprintf("activation > %.4g = %s", thr, rule)
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
	Hook string `json:"hook"`
	DSAE int    `json:"d_sae"`
	Live int    `json:"live"`
	// Threshold is the firing threshold (activation > threshold) and
	// ThresholdRule how it was chosen.
	Threshold     float32         `json:"threshold"`
	ThresholdRule string          `json:"threshold_rule"`
	Coverage      *float64        `json:"coverage"`
	Expected      []string        `json:"expected"`
	Recovered     []string        `json:"recovered"`
	Features      []FeatureReport `json:"features"`
}

// Report builds the JSON report.
func (a *Analysis) Report() Report {
	r := Report{Hook: a.Hook, DSAE: len(a.Stats), Live: countLive(a.Stats), Threshold: a.Threshold, ThresholdRule: a.ThresholdRule, Expected: []string{}, Recovered: []string{}}
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
