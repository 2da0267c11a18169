package report

import (
	"math"
	"strings"
	"testing"

	"github.com/glassbox-interp/glassbox/workload"
)

func TestChartSVG(t *testing.T) {
	tests := []struct {
		name string
		c    workload.Curve
		want []string
		not  []string
	}{
		// One eval record: a dot, not an empty frame.
		{"single point", workload.Curve{Name: "eval/l0", XName: "training tokens", X: []float64{1.5e6}, Y: []float64{2.85}}, []string{"<circle"}, []string{"no data"}},
		{"line", workload.Curve{Name: "mse", X: []float64{0, 1, 2, 3, 4}, Y: []float64{4, 3, 2, 1, 0}}, []string{"<polyline", `class="grid"`}, []string{"<circle"}},
		{"nan only", workload.Curve{Name: "x", X: []float64{1}, Y: []float64{math.NaN()}}, []string{"no data"}, nil},
	}
	for _, tc := range tests {
		got := string(lineSVG(tc.c, 300, 130))
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: svg lacks %q: %s", tc.name, w, got)
			}
		}
		for _, w := range tc.not {
			if strings.Contains(got, w) {
				t.Errorf("%s: svg has %q: %s", tc.name, w, got)
			}
		}
	}
	// Log scale drops non-positive values and labels ticks in data units.
	got := string(chartSVG([]Series{{Name: "a", X: []float64{1, 2, 3}, Y: []float64{1, 10, 100}}, {Name: "b", X: []float64{1, 2}, Y: []float64{0, 1000}}}, chartOpts{W: 300, H: 150, LogY: true, Legend: true}))
	if !strings.Contains(got, ">100<") || !strings.Contains(got, ">b<") {
		t.Errorf("log chart: %s", got)
	}
}

// TestSinglePointAxis: one eval record gets one x tick at its value and a
// y range centred on it.
func TestSinglePointAxis(t *testing.T) {
	got := string(lineSVG(workload.Curve{Name: "eval/l0", XName: "training tokens", X: []float64{1.5e6}, Y: []float64{49}}, 300, 130))
	if n := strings.Count(got, ">1.5M<"); n != 1 {
		t.Errorf("%d ticks labelled 1.5M, want 1: %s", n, got)
	}
	if !strings.Contains(got, `cy="55.0"`) {
		t.Errorf("the point is not centred vertically: %s", got)
	}
}
