package features

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// TestDownstreamTolerance: numerical outputs are accurate when |Δ| < 0.05
// (InterpBench's tolerance) by default; ATol changes it; the metrics
// carry the tolerance and the fraction of clean accuracy the spliced
// model retains (issue 15, 2).
func TestDownstreamTolerance(t *testing.T) {
	// targets 1, 2, 3, 4; clean off by 0.01; spliced off by 0.03 on two, 0.2 on two.
	in := DownstreamInput{V: 1,
		Clean:        []float32{1.01, 2.01, 3.01, 4.01},
		Spliced:      []float32{1.03, 2.03, 3.2, 4.2},
		Zero:         []float32{0, 0, 0, 0},
		TargetValues: []float64{1, 2, 3, 4}}
	for _, tc := range []struct {
		atol                     float64
		clean, spliced, retained float64
	}{
		{0, 1, 0.5, 0.5},          // default 0.05
		{0.5, 1, 1, 1},            // loose
		{0.02, 1, 0, 0},           // between clean and spliced
		{0.001, 0, 0, math.NaN()}, // nothing accurate: retained undefined
	} {
		in.ATol = tc.atol
		m, err := Downstream(in)
		if err != nil {
			t.Fatal(err)
		}
		want := tc.atol
		if want == 0 {
			want = DefaultATol
		}
		if m.ATol != want {
			t.Errorf("atol %v: metrics say atol %v", tc.atol, m.ATol)
		}
		if float64(m.Clean.Accuracy) != tc.clean || float64(m.Spliced.Accuracy) != tc.spliced {
			t.Errorf("atol %v: clean %v spliced %v, want %v %v", tc.atol, m.Clean.Accuracy, m.Spliced.Accuracy, tc.clean, tc.spliced)
		}
		if math.IsNaN(tc.retained) {
			if m.Retained != nil {
				t.Errorf("atol %v: retained %v, want none (clean accuracy 0)", tc.atol, *m.Retained)
			}
		} else if m.Retained == nil || float64(*m.Retained) != tc.retained {
			t.Errorf("atol %v: retained %v, want %v", tc.atol, m.Retained, tc.retained)
		}
	}
	in.ATol = 0
	m, _ := Downstream(in)
	b, _ := json.Marshal(m)
	if !strings.Contains(string(b), `"atol":0.05`) || !strings.Contains(string(b), `"accuracy_retained":0.5`) {
		t.Errorf("json lacks atol or accuracy_retained: %s", b)
	}
	if DefaultATol != 0.05 {
		t.Errorf("DefaultATol %v, want InterpBench's 0.05", DefaultATol)
	}
}
