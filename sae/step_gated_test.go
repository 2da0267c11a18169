package sae

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestGatedKernels checks gatedDots and gaxpy2 (AVX2 and pure Go) against
// dot and gaxpy on widths with and without an 8-column tail.
func TestGatedKernels(t *testing.T) {
	avx := useAVX2
	defer func() { useAVX2 = avx }()
	r := rand.New(rand.NewPCG(7, 7))
	for _, mode := range []bool{avx, false} {
		useAVX2 = mode
		for _, ld := range []int{3, 8, 13, 64, 70, 244} {
			t.Run(fmt.Sprintf("avx=%v/ld=%d", mode, ld), func(t *testing.T) {
				const nr, nw = 9, 17
				randv := func(n int) []float32 {
					v := make([]float32, n)
					for i := range v {
						v[i] = float32(r.NormFloat64())
					}
					return v
				}
				dvia, dy, w := randv(nr*ld), randv(nr*ld), randv(nw*ld)
				rows := []int32{0, 2, 3, 3, 8, 5}
				dp, df := make([]float32, len(rows)), make([]float32, len(rows))
				row := w[4*ld : 5*ld]
				gatedDots(row, dvia, dy, rows, ld, dp, df)
				for k, rr := range rows {
					o := int(rr) * ld
					near(t, "dvia·w", dp[k], dot(dvia[o:o+ld], row))
					near(t, "dy·w", df[k], dot(dy[o:o+ld], row))
				}
				ks := []int32{16, 1, 4, 4, 9}
				xf, xp := randv(len(ks)), randv(len(ks))
				xf[2] = 0
				y, v := randv(ld), randv(ld)
				wantY, wantV := append([]float32(nil), y...), append([]float32(nil), v...)
				gaxpy2(y, v, w, ld, ks, xf, xp)
				gaxpy(wantY, w, ld, ks, xf)
				gaxpy(wantV, w, ld, ks, xp)
				for j := range y {
					near(t, "y", y[j], wantY[j])
					near(t, "v", v[j], wantV[j])
				}
			})
		}
	}
}

func near(t *testing.T, what string, got, want float32) {
	t.Helper()
	if d := math.Abs(float64(got - want)); d > 1e-5*math.Max(1, math.Abs(float64(want))) {
		t.Fatalf("%s = %g, want %g", what, got, want)
	}
}

// TestGatedPaddedSameStep runs the gated step at widths where the AVX2 path
// pads rows (d_in 70 → 96, 244 → 256) and checks its losses and gradients
// against the unpadded pure-Go step.
func TestGatedPaddedSameStep(t *testing.T) {
	if !useAVX2 {
		t.Skip("no AVX2: only the unpadded path exists")
	}
	for _, D := range []int{70, 244} {
		t.Run(fmt.Sprintf("d_in=%d", D), func(t *testing.T) {
			const B = 24
			S := 4 * D
			r := rand.New(rand.NewPCG(uint64(D), 9))
			x := make([]float32, B*D)
			for i := range x {
				if r.IntN(5) == 0 {
					x[i] = float32(r.NormFloat64())
				}
			}
			s := noisySAE(t, ArchGated, D, S, r)
			for i := range s.BGate {
				s.BGate[i] -= 0.3
			}
			o := &stepOptions{coeff: 0.3, lp: 1}
			run := func(avx bool) (StepLosses, grads) {
				old := useAVX2
				defer func() { useAVX2 = old }()
				useAVX2 = avx
				w := newWorkspace(B, D, S)
				g := newGrads(s)
				L, err := s.forwardBackward(w, append([]float32(nil), x...), make([]bool, S), o, g)
				if err != nil {
					t.Fatal(err)
				}
				var l0 int32
				for _, n := range w.actN[:w.u] {
					l0 += n
				}
				if l0 == 0 || int(l0) == w.u*S {
					t.Fatalf("%d active entries over %d rows: not a gated sparse step", l0, w.u)
				}
				return L, g
			}
			La, ga := run(true)
			Lg, gg := run(false)
			a := []float64{La.MSE, La.L1, La.Aux}
			b := []float64{Lg.MSE, Lg.L1, Lg.Aux}
			for k, nm := range []string{"mse", "l1", "aux"} {
				if math.Abs(a[k]-b[k]) > 1e-5*math.Max(math.Abs(b[k]), 1e-3) {
					t.Errorf("loss %s = %.8g (padded AVX2), %.8g (pure Go)", nm, a[k], b[k])
				}
			}
			for k, nm := range s.paramNames() {
				closeTo(t, "grad "+nm, ga[k], gg[k], 1e-4)
			}
		})
	}
}

// TestGatedPaddedTrainerSteps trains 30 steps with the padded AVX2 step and
// with the pure-Go step from the same start: the padded buffers carry no
// stale state from one step to the next (the decoder copy is refreshed only
// for features with open gates).
func TestGatedPaddedTrainerSteps(t *testing.T) {
	if !useAVX2 {
		t.Skip("no AVX2: only the unpadded path exists")
	}
	for _, D := range []int{70, 244} {
		t.Run(fmt.Sprintf("d_in=%d", D), func(t *testing.T) {
			data := tracrLikeData(D, 50, 2000, 3)
			train := func(avx bool) *SAE {
				old := useAVX2
				defer func() { useAVX2 = old }()
				useAVX2 = avx
				tr, err := NewTrainer(cellConfig(t, ArchGated, D, 0.01, 1<<40), newCycleSource(data, D, 1))
				if err != nil {
					t.Fatal(err)
				}
				for i := 0; i < 30; i++ {
					if _, err := tr.Step(); err != nil {
						t.Fatal(err)
					}
				}
				return tr.FinalSAE()
			}
			a, g := train(true), train(false)
			names := a.paramNames()
			gp := g.params()
			for k, p := range a.params() {
				closeTo(t, "param "+names[k], p, gp[k], 1e-4)
			}
		})
	}
}
