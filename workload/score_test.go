package workload

import (
	"math"
	"testing"

	"github.com/glassbox-interp/glassbox/sae"
)

// TestReconMetrics: an identity SAE explains all the variance; on inputs
// that do not vary, explained variance is undefined (NaN), not 0 or 1.
func TestReconMetrics(t *testing.T) {
	s, err := sae.New(sae.ArchStandard, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	s.WEncT[0], s.WEncT[3], s.WDec[0], s.WDec[3] = 1, 1, 1, 1
	for _, tc := range []struct {
		name      string
		x         []float32
		ev        float64 // NaN: undefined
		l0        float64
		dead, n   int
		mseIsZero bool
	}{
		{"varying", []float32{1, 0, 0, 2, 3, 0}, 1, 1, 0, 3, true},
		{"constant", []float32{1, 0, 1, 0}, math.NaN(), 1, 1, 2, true},
	} {
		m, err := ReconMetrics(s, tc.x)
		if err != nil {
			t.Fatal(err)
		}
		ev := float64(m.ExplainedVariance)
		if (math.IsNaN(tc.ev) != math.IsNaN(ev)) || (!math.IsNaN(tc.ev) && ev != tc.ev) ||
			float64(m.L0) != tc.l0 || m.Dead != tc.dead || m.N != tc.n || (float64(m.MSE) == 0) != tc.mseIsZero {
			t.Errorf("%s: %+v", tc.name, *m)
		}
	}
	if _, err := ReconMetrics(s, []float32{1, 2, 3}); err == nil {
		t.Error("ragged input accepted")
	}
}
