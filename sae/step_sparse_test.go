package sae

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSparseStepsWide runs the sparse steps at a width where the AVX2
// gathered kernels and the per-entry product paths are taken (d_in 70,
// one-hot-like rows, repeated rows) and checks that (1) de-duplication
// gives the losses and gradients of the plain step, and (2) the sparse
// standard step agrees with the dense one.
func TestSparseStepsWide(t *testing.T) {
	const B, D, S = 48, 70, 280
	r := rand.New(rand.NewPCG(21, 5))
	distinct := make([]float32, 7*D)
	for i := range distinct {
		if r.IntN(6) == 0 {
			distinct[i] = float32(r.NormFloat64())
		}
	}
	x := make([]float32, B*D)
	for k := 0; k < B; k++ {
		j := [8]int{0, 1, 1, 2, 3, 3, 3, 4}[k%8] + 2*(k/24) // 7 distinct rows
		copy(x[k*D:k*D+D], distinct[j*D:j*D+D])
	}
	dead := make([]bool, S)
	for i := range dead {
		dead[i] = i%3 == 0
	}
	step := func(t *testing.T, s *SAE, o *stepOptions, noDedupe bool, maxDIn int) (StepLosses, grads) {
		t.Helper()
		old := denseMaxDIn
		defer func() { denseMaxDIn = old }()
		denseMaxDIn = maxDIn
		w := newWorkspace(B, D, S)
		w.noDedupe = noDedupe
		g := newGrads(s)
		L, err := s.forwardBackward(w, append([]float32(nil), x...), dead, o, g)
		if err != nil {
			t.Fatal(err)
		}
		if want := map[bool]int{true: B, false: 7}[noDedupe]; w.u != want {
			t.Fatalf("step saw %d rows, want %d", w.u, want)
		}
		var l0 int32
		for _, n := range w.actN[:w.u] {
			l0 += n
		}
		if l0 == 0 || int(l0) > w.u*S/3 {
			t.Fatalf("%d active entries over %d rows: not a sparse step", l0, w.u)
		}
		return L, g
	}
	same := func(t *testing.T, what string, La, Lb StepLosses, ga, gb grads, names []string) {
		t.Helper()
		a := []float64{La.MSE, La.L1, La.Ghost, La.Aux}
		b := []float64{Lb.MSE, Lb.L1, Lb.Ghost, Lb.Aux}
		for i, nm := range []string{"mse", "l1", "ghost", "aux"} {
			if math.Abs(a[i]-b[i]) > 1e-5*math.Max(math.Abs(b[i]), 1e-3) {
				t.Errorf("%s: loss %s = %.8g, want %.8g", what, nm, a[i], b[i])
			}
		}
		for k := range ga {
			closeTo(t, what+" grad "+names[k], ga[k], gb[k], 1e-4)
		}
	}
	for _, arch := range []string{ArchStandard, ArchGated, ArchJumpReLU, ArchTopK} {
		t.Run(arch, func(t *testing.T) {
			s := noisySAE(t, arch, D, S, rand.New(rand.NewPCG(3, 3)))
			for i := range s.WEncT { // sparser activations, as after warm-up
				s.WEncT[i] *= 0.5
			}
			for _, bias := range [][]float32{s.BEnc, s.BGate} {
				for i := range bias {
					bias[i] -= 0.8
				}
			}
			s.K = 6
			o := &stepOptions{coeff: 0.3, lp: 1, bandwidth: 0.05, tanhScale: 4, auxCoeff: 1 / 32.0,
				ghost: arch == ArchStandard}
			L0, g0 := step(t, s, o, true, 0)
			L1, g1 := step(t, s, o, false, 0)
			same(t, "de-duplicated", L1, L0, g1, g0, s.paramNames())
			if arch == ArchStandard && useAVX2 {
				L2, g2 := step(t, s, o, false, 1<<30)
				same(t, "dense vs sparse", L2, L0, g2, g0, s.paramNames())
			}
		})
	}
}
