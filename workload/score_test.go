package workload

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/glassbox-interp/glassbox/features"
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

// TestReconMetricsChunked checks that ReconMetrics in chunks of rows (a
// partial last chunk) gives the one-pass metrics bit for bit, for
// architectures with dense and with sparse activations (both decode
// products), on a wide enough d_in for the fast kernels.
func TestReconMetricsChunked(t *testing.T) {
	const n, d, S = 700, 136, 96
	r := rand.New(rand.NewPCG(3, 33))
	x := make([]float32, n*d)
	for i := range x {
		x[i] = float32(r.NormFloat64()*2 + 0.5)
	}
	for _, tc := range []struct {
		arch  string
		shift float32 // added to b_enc: > 0 dense activations, < 0 sparse
	}{
		{sae.ArchStandard, 0.5},
		{sae.ArchStandard, -2.5},
		{sae.ArchTopK, 0},
		{sae.ArchJumpReLU, 0},
	} {
		t.Run(fmt.Sprintf("%s/%v", tc.arch, tc.shift), func(t *testing.T) {
			s, err := sae.New(tc.arch, d, S)
			if err != nil {
				t.Fatal(err)
			}
			for i := range s.WEncT {
				s.WEncT[i] = float32(r.NormFloat64() * 0.1)
			}
			for i := range s.WDec {
				s.WDec[i] = float32(r.NormFloat64() * 0.1)
			}
			for i := range s.BEnc {
				s.BEnc[i] = tc.shift
			}
			if tc.arch == sae.ArchTopK {
				s.K = 7
			}
			old := reconChunkValues
			defer func() { reconChunkValues = old }()
			reconChunkValues = n*S + 1
			one, err := ReconMetrics(s, x)
			if err != nil {
				t.Fatal(err)
			}
			reconChunkValues = 1 // chunks of 256 rows: 256, 256, 188
			chunked, err := ReconMetrics(s, x)
			if err != nil {
				t.Fatal(err)
			}
			if one.N != chunked.N || one.Dead != chunked.Dead || one.Dense != chunked.Dense {
				t.Errorf("counts: one pass %+v, chunked %+v", *one, *chunked)
			}
			for _, f := range []struct {
				name string
				a, b features.Num
			}{
				{"explained_variance", one.ExplainedVariance, chunked.ExplainedVariance},
				{"mse", one.MSE, chunked.MSE}, {"l0", one.L0, chunked.L0}, {"l1", one.L1, chunked.L1},
				{"shrinkage", one.Shrinkage, chunked.Shrinkage}, {"cosine", one.Cosine, chunked.Cosine},
			} {
				if math.Float64bits(float64(f.a)) != math.Float64bits(float64(f.b)) {
					t.Errorf("%s: one pass %v, chunked %v", f.name, f.a, f.b)
				}
			}
			if one.L0 <= 0 {
				t.Errorf("no feature fires: %+v", *one)
			}
		})
	}
}
