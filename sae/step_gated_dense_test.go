package sae

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// gatedCostStep runs one step (gated, or any architecture) with the given density threshold and
// reports whether it ran dense; feats gets the step's activations.
func gatedCostStep(t *testing.T, s *SAE, x []float32, B int, o stepOptions, minDensity float64) (StepLosses, grads, []float32, bool) {
	t.Helper()
	old := denseMinDensity
	defer func() { denseMinDensity = old }()
	denseMinDensity = minDensity
	w := newWorkspace(B, s.DIn, s.DSAE)
	g := newGrads(s)
	L, err := s.forwardBackward(w, append([]float32(nil), x...), make([]bool, s.DSAE), &o, g)
	if err != nil {
		t.Fatal(err)
	}
	feats := make([]float32, B*s.DSAE)
	w.features(feats)
	return L, g, feats, w.denseActs
}

// TestGatedCostPath checks that a wide gated step runs dense while many
// gates are open and sparse when few are, that both give the same losses,
// gradients and activations, and that the dense step matches the
// reference step.
func TestGatedCostPath(t *testing.T) {
	if !fastGemm() {
		t.Skip("no fast kernels: the gated step is always sparse")
	}
	const B, D, S = 24, 136, 264
	for _, tc := range []struct {
		name  string
		shift float32 // added to b_gate: 0 ≈ half the gates open
		dup   bool    // repeated rows (de-duplicated step rows)
		setup func(s *SAE)
	}{
		{"plain", 0, false, func(s *SAE) {}},
		{"bdec-to-input", 0, false, func(s *SAE) { s.ApplyBDecToInput = true }},
		{"tanh-relu/dup", 0, true, func(s *SAE) { s.ActivationFn = "tanh-relu" }},
		{"sparse-phase", -20, false, func(s *SAE) {}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(7, 17))
			x := make([]float32, B*D)
			for i := range x {
				x[i] = float32(r.NormFloat64()*1.5 + 0.3)
			}
			if tc.dup {
				for b := 1; b < B; b += 3 {
					copy(x[b*D:(b+1)*D], x[(b-1)*D:b*D])
				}
			}
			s := noisySAE(t, ArchGated, D, S, rand.New(rand.NewPCG(3, 19)))
			tc.setup(s)
			for i := range s.BGate {
				s.BGate[i] += tc.shift
			}
			o := stepOptions{coeff: 0.3, lp: 1}
			Ld, gd, fd, dense := gatedCostStep(t, s, x, B, o, denseMinDensity)
			if want := tc.shift == 0; dense != want {
				t.Fatalf("dense path = %v, want %v", dense, want)
			}
			Ls, gs, fs, sparse := gatedCostStep(t, s, x, B, o, 2)
			if sparse {
				t.Fatal("a density threshold above 1 still ran dense")
			}
			a := []float64{Ld.MSE, Ld.L1, Ld.Aux}
			b := []float64{Ls.MSE, Ls.L1, Ls.Aux}
			for i, nm := range []string{"mse", "l1", "aux"} {
				if math.Abs(a[i]-b[i]) > 1e-5*math.Max(math.Abs(b[i]), 1e-3) {
					t.Errorf("loss %s: dense %.8g, sparse %.8g", nm, a[i], b[i])
				}
			}
			for k, nm := range s.paramNames() {
				closeTo(t, "grad "+nm, gd[k], gs[k], 1e-4)
			}
			closeTo(t, "features", fd, fs, 1e-6)
			oo := o
			compareWithRef(t, s, x, make([]bool, S), &oo, 2e-4)
		})
	}
}

// TestDenseStepCoreCount checks that wide dense standard, gated and
// jumprelu steps (products large enough to split over the cores, d_sae
// wider than several passBlock column blocks so the per-entry passes and
// transposes split too) give bit-identical losses and gradients with 1 and
// 2 cores, and the sparse path's up to rounding (the blocks' partial sums).
func TestDenseStepCoreCount(t *testing.T) {
	if testing.Short() || !fastGemm() {
		t.Skip("large step on the fast kernels")
	}
	const B, D, S = 128, 136, 2*passBlock + 136
	base := stepOptions{coeff: 0.3, lp: 1, bandwidth: 0.5}
	for _, tc := range []struct {
		name, arch string
		o          stepOptions
		setup      func(s *SAE)
	}{
		{"standard", ArchStandard, base, func(s *SAE) {}},
		{"standard/lp2", ArchStandard, stepOptions{coeff: 0.3, lp: 2}, func(s *SAE) {}},
		{"standard/scale-by-dec/bdec-to-input", ArchStandard, stepOptions{coeff: 0.3, lp: 1, scaleByDec: true},
			func(s *SAE) { s.ApplyBDecToInput = true }},
		{"standard/tanh-relu", ArchStandard, base, func(s *SAE) { s.ActivationFn = "tanh-relu" }},
		{"gated", ArchGated, base, func(s *SAE) {}},
		{"gated/tanh-relu/bdec-to-input", ArchGated, base, func(s *SAE) {
			s.ActivationFn = "tanh-relu"
			s.ApplyBDecToInput = true
		}},
		{"jumprelu", ArchJumpReLU, base, func(s *SAE) {}},
		{"jumprelu/tanh", ArchJumpReLU, stepOptions{coeff: 0.3, bandwidth: 0.5, tanhMode: true, tanhScale: 4}, func(s *SAE) {}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(9, 19))
			x := make([]float32, B*D)
			for i := range x {
				x[i] = float32(r.NormFloat64())
			}
			s := noisySAE(t, tc.arch, D, S, rand.New(rand.NewPCG(4, 14)))
			tc.setup(s)
			run := func(procs int, minDensity float64) (StepLosses, grads, bool) {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
				L, g, _, dense := gatedCostStep(t, s, x, B, tc.o, minDensity)
				return L, g, dense
			}
			L1, g1, d1 := run(1, denseMinDensity)
			L2, g2, d2 := run(2, denseMinDensity)
			if !d1 || !d2 {
				t.Fatal("the step did not run dense")
			}
			if L1 != L2 {
				t.Errorf("losses: %+v with 1 core, %+v with 2", L1, L2)
			}
			for k, nm := range s.paramNames() {
				for i := range g1[k] {
					if math.Float32bits(g1[k][i]) != math.Float32bits(g2[k][i]) {
						t.Fatalf("grad %s[%d]: %v with 1 core, %v with 2", nm, i, g1[k][i], g2[k][i])
					}
				}
			}
			Ls, gs, dense := run(2, 2)
			if dense {
				t.Skip("this shape always runs dense: no sparse path to compare")
			}
			if math.Abs(L1.Overall-Ls.Overall) > 1e-5*math.Abs(Ls.Overall) {
				t.Errorf("loss: dense %.8g, sparse %.8g", L1.Overall, Ls.Overall)
			}
			for k, nm := range s.paramNames() {
				closeTo(t, "grad "+nm, g1[k], gs[k], 1e-4)
			}
		})
	}
}

// TestDenseLargeProducts checks the wide dense steps at a batch where
// their weight-gradient products are large enough to run transposed and
// split over the cores (the standard step's [d_in, d_sae] transposed
// products): the same losses and gradients as the sparse path and the
// reference step.
func TestDenseLargeProducts(t *testing.T) {
	if testing.Short() || !fastGemm() {
		t.Skip("large step on the fast kernels")
	}
	const B, D, S = 512, 136, 264
	r := rand.New(rand.NewPCG(2, 29))
	x := make([]float32, B*D)
	for i := range x {
		x[i] = float32(r.NormFloat64()*1.5 + 0.3)
	}
	for _, arch := range []string{ArchStandard, ArchGated, ArchJumpReLU} {
		t.Run(arch, func(t *testing.T) {
			s := noisySAE(t, arch, D, S, rand.New(rand.NewPCG(5, 31)))
			o := stepOptions{coeff: 0.3, lp: 1, bandwidth: 0.5}
			run := func(minDensity float64) (StepLosses, grads, bool) {
				old := denseMinDensity
				defer func() { denseMinDensity = old }()
				denseMinDensity = minDensity
				w := newWorkspace(B, D, S)
				g := newGrads(s)
				oo := o
				L, err := s.forwardBackward(w, append([]float32(nil), x...), make([]bool, S), &oo, g)
				if err != nil {
					t.Fatal(err)
				}
				return L, g, w.denseActs
			}
			Ld, gd, dense := run(denseMinDensity)
			if !dense {
				t.Fatal("the step did not run dense")
			}
			Ls, gs, _ := run(2)
			if math.Abs(Ld.Overall-Ls.Overall) > 1e-5*math.Abs(Ls.Overall) {
				t.Errorf("loss: dense %.8g, sparse %.8g", Ld.Overall, Ls.Overall)
			}
			for k, nm := range s.paramNames() {
				closeTo(t, "grad "+nm, gd[k], gs[k], 1e-4)
			}
			oo := o
			compareWithRef(t, s, x, make([]bool, S), &oo, 2e-4)
		})
	}
}

// TestJumpReLUCostPath checks that a wide jumprelu step runs dense while
// many features are above threshold and sparse when few are, that both
// give the same losses, gradients and activations, and that the dense step
// matches the reference step (step and tanh sparsity losses).
func TestJumpReLUCostPath(t *testing.T) {
	if !fastGemm() {
		t.Skip("no fast kernels: the jumprelu step is always sparse")
	}
	const B, D, S = 24, 136, 264
	for _, tc := range []struct {
		name  string
		shift float32 // added to b_enc: 0 ≈ half the features active
		dup   bool
		o     stepOptions
		setup func(s *SAE)
	}{
		{"step", 0, false, stepOptions{coeff: 0.3, bandwidth: 0.5}, func(s *SAE) {}},
		{"step/bdec-to-input/dup", 0, true, stepOptions{coeff: 0.3, bandwidth: 0.5}, func(s *SAE) { s.ApplyBDecToInput = true }},
		{"tanh", 0, false, stepOptions{coeff: 0.3, bandwidth: 0.5, tanhMode: true, tanhScale: 4}, func(s *SAE) {}},
		{"sparse-phase", -20, false, stepOptions{coeff: 0.3, bandwidth: 0.5}, func(s *SAE) {}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(7, 23))
			x := make([]float32, B*D)
			for i := range x {
				x[i] = float32(r.NormFloat64()*1.5 + 0.3)
			}
			if tc.dup {
				for b := 1; b < B; b += 3 {
					copy(x[b*D:(b+1)*D], x[(b-1)*D:b*D])
				}
			}
			s := noisySAE(t, ArchJumpReLU, D, S, rand.New(rand.NewPCG(3, 23)))
			tc.setup(s)
			for i := range s.BEnc {
				s.BEnc[i] += tc.shift
			}
			Ld, gd, fd, dense := gatedCostStep(t, s, x, B, tc.o, denseMinDensity)
			if want := tc.shift == 0; dense != want {
				t.Fatalf("dense path = %v, want %v", dense, want)
			}
			Ls, gs, fs, sparse := gatedCostStep(t, s, x, B, tc.o, 2)
			if sparse {
				t.Fatal("a density threshold above 1 still ran dense")
			}
			a := []float64{Ld.MSE, Ld.L1}
			b := []float64{Ls.MSE, Ls.L1}
			for i, nm := range []string{"mse", "l1"} {
				if math.Abs(a[i]-b[i]) > 1e-5*math.Max(math.Abs(b[i]), 1e-3) {
					t.Errorf("loss %s: dense %.8g, sparse %.8g", nm, a[i], b[i])
				}
			}
			for k, nm := range s.paramNames() {
				closeTo(t, "grad "+nm, gd[k], gs[k], 1e-4)
			}
			closeTo(t, "features", fd, fs, 1e-6)
			oo := tc.o
			compareWithRef(t, s, x, make([]bool, S), &oo, 2e-4)
		})
	}
}

// TestGatedDenseCounts checks the counts the dense gated step hands its
// products instead of scanning: the active entries per row (w.actN, from
// the masked AVX-512 pass and from the Go loop) are the non-zero entries
// of the activations, and the open-gate count of gatedDenseByCost is
// relu(π)'s non-zero count.
func TestGatedDenseCounts(t *testing.T) {
	if !fastGemm() {
		t.Skip("no fast kernels: the gated step is always sparse")
	}
	const B, D, S = 64, 136, 2*passBlock + 40
	r := rand.New(rand.NewPCG(6, 17))
	x := make([]float32, B*D)
	for i := range x {
		x[i] = float32(r.NormFloat64()*1.5 + 0.3)
	}
	s := noisySAE(t, ArchGated, D, S, rand.New(rand.NewPCG(7, 19)))
	for _, on := range []bool{false, true} {
		withAVX512(on && useAVX512, func() {
			w := newWorkspace(B, D, S)
			o := stepOptions{coeff: 0.3, lp: 1, bandwidth: 0.5}
			if _, err := s.forwardBackward(w, append([]float32(nil), x...), make([]bool, S), &o, newGrads(s)); err != nil {
				t.Fatal(err)
			}
			if !w.denseActs {
				t.Fatal("the step did not run dense")
			}
			nz, act := 0, 0
			for _, v := range w.fDense[:w.u*S] {
				nz += nonZero(v)
			}
			for _, n := range w.actN[:w.u] {
				act += int(n)
			}
			if act != nz {
				t.Errorf("avx512=%v: Σ actN = %d, activations have %d non-zero entries", on, act, nz)
			}
			open, _ := gatedDenseByCost(s, w) // w.pre still holds c·W_enc
			nzV := 0
			for b := 0; b < w.u; b++ {
				for i, u := range w.pre[b*S : b*S+S] {
					if pi := u + s.BGate[i]; pi > 0 {
						nzV += nonZero(pi)
					}
				}
			}
			if open != nzV {
				t.Errorf("avx512=%v: %d open gates, relu(π) has %d non-zero entries", on, open, nzV)
			}
		})
	}
}

// TestAxpyOneIsAdd checks that axpy by 1 (the dense gated step's b_dec
// gradient reduction) is y += x bit for bit on ±0, infinities, NaN,
// subnormals and the largest finite values, on the vector lanes and the
// tail.
func TestAxpyOneIsAdd(t *testing.T) {
	sp := []float32{0, float32(math.Copysign(0, -1)), 1, -1, float32(math.Inf(1)), float32(math.Inf(-1)),
		float32(math.NaN()), math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32, math.MaxFloat32, -math.MaxFloat32, 0.1}
	var x, y []float32
	for _, a := range sp {
		for _, b := range sp {
			x, y = append(x, a), append(y, b)
		}
	}
	for _, n := range []int{len(x), 19, 7} {
		got := append([]float32(nil), y[:n]...)
		axpy(1, x[:n], got)
		for i := range got {
			want := y[i] + x[i]
			if math.Float32bits(got[i]) != math.Float32bits(want) {
				t.Fatalf("n %d: %v + %v: axpy gives %v (%#x), add %v (%#x)", n, y[i], x[i], got[i], math.Float32bits(got[i]), want, math.Float32bits(want))
			}
		}
	}
}
