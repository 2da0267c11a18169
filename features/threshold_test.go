package features

import (
	"strings"
	"testing"

	"github.com/glassbox-interp/glassbox/tensor"
)

// TestHookRelativeThreshold: with the default firing threshold (a
// fraction of the hook's largest feature activation) a near-silent
// feature is not live — in the labels, in the header count and in the
// JSON report — and the output states the threshold; an explicit
// threshold overrides it (issue 15, 3).
func TestHookRelativeThreshold(t *testing.T) {
	// 1 row × 4 positions × 3 features: f0 fires at 2.0, f1 only faintly
	// (max 0.008), f2 never.
	acts := &tensor.Tensor{Shape: []int{1, 4, 3}, Data: []float32{
		2, 0.008, 0,
		0, 0.004, 0,
		1, 0, 0,
		0, 0, 0,
	}}
	for _, tc := range []struct {
		name     string
		opts     LabelOptions
		live     int
		thr      float32
		wantText string
	}{
		{"default", LabelOptions{HookFraction: DefaultHookFraction}, 1, 0.02, "activation > 0.02 = 1% of the hook's largest feature activation 2"},
		{"hook scale", LabelOptions{HookFraction: DefaultHookFraction, HookScale: 1}, 1, 0.01, "activation > 0.01 = 1% of the hook's largest activation norm 1"},
		{"explicit", LabelOptions{Threshold: 0.001, HookFraction: DefaultHookFraction}, 2, 0.001, "activation > 0.001 (--threshold)"},
		{"zero", LabelOptions{}, 2, 0, "activation > 0"},
	} {
		a, err := Analyze(acts, nil, "blocks.0.hook_mlp_out", nil, SummaryOptions{}, tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		if a.Threshold != tc.thr {
			t.Errorf("%s: threshold %v, want %v", tc.name, a.Threshold, tc.thr)
		}
		rep := a.Report()
		if rep.Live != tc.live || countLive(a.Stats) != tc.live {
			t.Errorf("%s: %d live (report %d), want %d", tc.name, countLive(a.Stats), rep.Live, tc.live)
		}
		if rep.Threshold != tc.thr || rep.ThresholdRule == "" || tc.name != "zero" && !strings.Contains(tc.wantText, rep.ThresholdRule) {
			t.Errorf("%s: report threshold %v %q", tc.name, rep.Threshold, rep.ThresholdRule)
		}
		if got := a.ThresholdText(); !strings.Contains(got, tc.wantText) {
			t.Errorf("%s: threshold text %q, want %q", tc.name, got, tc.wantText)
		}
	}
}

func TestMaxRowNorm(t *testing.T) {
	if got := MaxRowNorm([]float32{3, 4, 0, 1, 1, 1}, 3); got != 5 {
		t.Errorf("MaxRowNorm = %v, want 5", got)
	}
}
