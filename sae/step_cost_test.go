package sae

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

func TestPositive(t *testing.T) {
	nan := float32(math.NaN())
	cases := []struct {
		v    float32
		want int
	}{
		{1, 1}, {1e-40, 1}, {float32(math.Inf(1)), 1}, {0, 0},
		{float32(math.Copysign(0, -1)), 0}, {-1, 0}, {-1e-40, 0},
		{float32(math.Inf(-1)), 0}, {nan, 0}, {-nan, 0},
	}
	for _, c := range cases {
		if got := positive(c.v); got != c.want {
			t.Errorf("positive(%g) = %d, want %d", c.v, got, c.want)
		}
	}
}

// costStep runs one standard step on Gaussian rows with the given density
// threshold and reports whether it ran dense.
func costStep(t *testing.T, s *SAE, x []float32, B int, dead []bool, o *stepOptions, minDensity float64) (StepLosses, grads, bool) {
	t.Helper()
	old := denseMinDensity
	defer func() { denseMinDensity = old }()
	denseMinDensity = minDensity
	w := newWorkspace(B, s.DIn, s.DSAE)
	g := newGrads(s)
	L, err := s.forwardBackward(w, append([]float32(nil), x...), dead, o, g)
	if err != nil {
		t.Fatal(err)
	}
	return L, g, w.denseActs
}

// TestStandardCostPath checks that a wide standard step takes the dense
// path while many features fire and the sparse one when few do, and that
// both give the same losses and gradients (every option of the step).
func TestStandardCostPath(t *testing.T) {
	if !fastGemm() {
		t.Skip("no fast kernels: the shape rule alone decides")
	}
	const B, D, S = 24, 136, 264
	r := rand.New(rand.NewPCG(7, 16))
	x := make([]float32, B*D)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	dead := make([]bool, S)
	for i := range dead {
		dead[i] = i%4 == 0
	}
	for _, tc := range []struct {
		name  string
		shift float32 // added to b_enc: 0 ≈ half the features fire
		act   string
		o     stepOptions
	}{
		{"l1", 0, "relu", stepOptions{coeff: 0.3, lp: 1}},
		{"l1/ghost", 0, "relu", stepOptions{coeff: 0.3, lp: 1, ghost: true}},
		{"l1/scale-by-dec", 0, "relu", stepOptions{coeff: 0.3, lp: 1, scaleByDec: true}},
		{"lp2", 0, "relu", stepOptions{coeff: 0.3, lp: 2}},
		{"tanh-relu", 0, "tanh-relu", stepOptions{coeff: 0.3, lp: 1, ghost: true}},
		{"sparse-phase", -6, "relu", stepOptions{coeff: 0.3, lp: 1, ghost: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := noisySAE(t, ArchStandard, D, S, rand.New(rand.NewPCG(3, 9)))
			s.ActivationFn = tc.act
			for i := range s.BEnc {
				s.BEnc[i] = tc.shift
			}
			o := tc.o
			Ld, gd, dense := costStep(t, s, x, B, dead, &o, denseMinDensity)
			if want := tc.shift == 0; dense != want {
				t.Fatalf("dense path = %v, want %v", dense, want)
			}
			o = tc.o
			Ls, gs, dense := costStep(t, s, x, B, dead, &o, 2) // never dense
			if dense {
				t.Fatal("a density threshold above 1 still ran dense")
			}
			for i, nm := range []string{"mse", "l1", "ghost"} {
				a := []float64{Ld.MSE, Ld.L1, Ld.Ghost}[i]
				b := []float64{Ls.MSE, Ls.L1, Ls.Ghost}[i]
				if math.Abs(a-b) > 1e-5*math.Max(math.Abs(b), 1e-3) {
					t.Errorf("loss %s: dense %.8g, sparse %.8g", nm, a, b)
				}
			}
			for k, nm := range s.paramNames() {
				closeTo(t, "grad "+nm, gd[k], gs[k], 1e-4)
			}
		})
	}
}

// TestDenseProductsCoreCount checks that the parallel dense products give
// bit-identical results with 1 and 2 cores, at a size where they split.
func TestDenseProductsCoreCount(t *testing.T) {
	if testing.Short() {
		t.Skip("large products")
	}
	const n, m, p = 512, 264, 136 // n·m·p > 1<<24: the split is taken
	r := rand.New(rand.NewPCG(1, 2))
	a := make([]float32, n*m)
	b := make([]float32, n*p)
	bt := make([]float32, p*m)
	for _, v := range [][]float32{a, b, bt} {
		for i := range v {
			v[i] = float32(r.NormFloat64())
		}
	}
	run := func(procs int) (tn, nn []float32) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		tn = make([]float32, m*p)
		gemmTNAcc(tn, a, b, n, m, p)
		nn = make([]float32, n*m)
		gemmAcc(nn, b, bt, n, p, m)
		return tn, nn
	}
	tn1, nn1 := run(1)
	tn2, nn2 := run(2)
	for i := range tn1 {
		if math.Float32bits(tn1[i]) != math.Float32bits(tn2[i]) {
			t.Fatalf("gemmTNAcc[%d]: %v with 1 core, %v with 2", i, tn1[i], tn2[i])
		}
	}
	for i := range nn1 {
		if math.Float32bits(nn1[i]) != math.Float32bits(nn2[i]) {
			t.Fatalf("gemmAcc[%d]: %v with 1 core, %v with 2", i, nn1[i], nn2[i])
		}
	}
}

// TestStandardStepCoreCount checks that a whole wide standard step (dense
// phase, products large enough to split) gives bit-identical losses and
// gradients with 1 and 2 cores.
func TestStandardStepCoreCount(t *testing.T) {
	if testing.Short() || !fastGemm() {
		t.Skip("large step on the fast kernels")
	}
	const B, D, S = 512, 136, 264
	r := rand.New(rand.NewPCG(9, 9))
	x := make([]float32, B*D)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	dead := make([]bool, S)
	s := noisySAE(t, ArchStandard, D, S, rand.New(rand.NewPCG(4, 4)))
	run := func(procs int) (StepLosses, grads) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		o := stepOptions{coeff: 0.3, lp: 1, ghost: true}
		L, g, dense := costStep(t, s, x, B, dead, &o, denseMinDensity)
		if !dense {
			t.Fatal("the step did not run dense")
		}
		return L, g
	}
	L1, g1 := run(1)
	L2, g2 := run(2)
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
}

// TestSparseMachineryDenseProducts checks that the steps built on the
// sparse machinery (decodeGathered, encGrads.apply) give the same losses
// and gradients when many entries make them run as dense products.
func TestSparseMachineryDenseProducts(t *testing.T) {
	if !fastGemm() {
		t.Skip("no fast kernels")
	}
	const B, D, S = 24, 136, 264
	r := rand.New(rand.NewPCG(5, 16))
	x := make([]float32, B*D)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	dead := make([]bool, S)
	for _, name := range []string{ArchJumpReLU, ArchJumpReLU + "/tanh", ArchTopK, ArchGated} {
		t.Run(name, func(t *testing.T) {
			arch, tanhMode := name, false
			if name == ArchJumpReLU+"/tanh" {
				arch, tanhMode = ArchJumpReLU, true
			}
			s := noisySAE(t, arch, D, S, rand.New(rand.NewPCG(3, 9)))
			s.K = 64
			for i := range s.LogThreshold {
				s.LogThreshold[i] = -3
			}
			o := stepOptions{coeff: 0.3, lp: 1, bandwidth: 0.05, tanhScale: 4, auxCoeff: 1 / 32.0, tanhMode: tanhMode}
			run := func(minDensity float64) (StepLosses, grads, float64) {
				old := denseMinDensity
				defer func() { denseMinDensity = old }()
				denseMinDensity = minDensity
				w := newWorkspace(B, D, S)
				g := newGrads(s)
				oo := o
				L, err := s.forwardBackward(w, append([]float32(nil), x...), dead, &oo, g)
				if err != nil {
					t.Fatal(err)
				}
				var n int32
				for _, v := range w.actN[:w.u] {
					n += v
				}
				return L, g, float64(n) / float64(w.u*S)
			}
			Ld, gd, density := run(denseMinDensity)
			if density < denseMinDensity {
				t.Fatalf("density %.3f: the dense products were not taken", density)
			}
			Ls, gs, _ := run(2)
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
		})
	}
}
