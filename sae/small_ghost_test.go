package sae

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestGhostRowsSameStep checks the row-by-row ghost-grad backward pass (a
// batch of one or two distinct rows) against the dense-product one on the
// same step: losses and every gradient, narrow (dense step) and wide
// (sparse step) SAEs, with b_dec applied to the input and dense_batch MSE.
func TestGhostRowsSameStep(t *testing.T) {
	old, oldD := ghostRowsMax, ghostRowsMinD
	defer func() { ghostRowsMax, ghostRowsMinD = old, oldD }()
	ghostRowsMinD = 0 // the row path at every width
	for _, D := range []int{12, 40, 244} {
		for _, distinct := range []int{1, 2} {
			for _, variant := range []string{"plain", "bdec_dense_mse"} {
				t.Run(fmt.Sprintf("d%d/rows%d/%s", D, distinct, variant), func(t *testing.T) {
					const B = 20
					S := 4 * D
					r := rand.New(rand.NewPCG(uint64(D), uint64(distinct)))
					s := noisySAE(t, ArchStandard, D, S, r)
					// trained-like scales: unit decoder rows, pre-activations O(1)
					normalizeRows(s.WDec, S, D)
					scale(s.WEncT, float32(2/math.Sqrt(float64(D))))
					o := &stepOptions{coeff: 0.3, lp: 1, ghost: true}
					if variant != "plain" {
						s.ApplyBDecToInput, o.denseMSE = true, true
					}
					rows := make([]float32, distinct*D)
					for i := range rows {
						rows[i] = float32(r.NormFloat64())
					}
					x := make([]float32, B*D)
					for k := 0; k < B; k++ {
						j := k % distinct
						copy(x[k*D:k*D+D], rows[j*D:j*D+D])
					}
					dead := make([]bool, S)
					for i := range dead {
						dead[i] = i%3 != 1
					}
					run := func(max int) (StepLosses, grads) {
						ghostRowsMax = max
						w := newWorkspace(B, D, S)
						g := newGrads(s)
						L, err := s.forwardBackward(w, append([]float32(nil), x...), dead, o, g)
						if err != nil {
							t.Fatal(err)
						}
						if w.u != distinct {
							t.Fatalf("step saw %d rows, want %d", w.u, distinct)
						}
						return L, g
					}
					L0, g0 := run(0)
					L1, g1 := run(2)
					if d := math.Abs(L1.Ghost - L0.Ghost); d > 1e-6*math.Max(math.Abs(L0.Ghost), 1e-3) {
						t.Errorf("ghost loss %.8g row by row, %.8g dense", L1.Ghost, L0.Ghost)
					}
					if L0.Ghost == 0 {
						t.Errorf("ghost loss is zero: the test exercises nothing")
					}
					names := s.paramNames()
					for k := range g0 {
						closeTo(t, "grad "+names[k], g1[k], g0[k], 1e-5)
					}
				})
			}
		}
	}
}

// BenchmarkGhostPaths times ghostGrads on two step rows with three of four
// features dead, by the dense-product path and the row-by-row path, across
// d_in (d_sae = 4·d_in): where ghostRowsMinD comes from.
func BenchmarkGhostPaths(b *testing.B) {
	for _, D := range []int{12, 40, 64, 244} {
		for _, rows := range []bool{false, true} {
			b.Run(fmt.Sprintf("d_in=%d/rows=%v", D, rows), func(b *testing.B) {
				old, oldD := ghostRowsMax, ghostRowsMinD
				defer func() { ghostRowsMax, ghostRowsMinD = old, oldD }()
				ghostRowsMax, ghostRowsMinD = 0, 0
				if rows {
					ghostRowsMax = 2
				}
				const B, U = 80, 2
				S := 4 * D
				r := rand.New(rand.NewPCG(1, 2))
				s, err := New(ArchStandard, D, S)
				if err != nil {
					b.Fatal(err)
				}
				for _, p := range s.params() {
					for i := range p {
						p[i] = float32(r.NormFloat64() * 0.1)
					}
				}
				normalizeRows(s.WDec, S, D)
				w := newWorkspace(B, D, S)
				w.u = U
				x := make([]float32, B*D)
				for i := range x[:U*D] {
					x[i] = float32(r.NormFloat64())
					w.xhat[i] = float32(r.NormFloat64())
				}
				copy(w.c, x[:U*D])
				for i := range w.pre[:U*S] {
					w.pre[i] = float32(r.NormFloat64())
				}
				for i := 0; i < S; i++ {
					if i%4 != 0 {
						w.dead = append(w.dead, int32(i))
					}
				}
				o := &stepOptions{ghost: true}
				w.mseWeights(x, o)
				g := newGrads(s)
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					s.ghostGrads(w, x, o, g)
				}
			})
		}
	}
}
