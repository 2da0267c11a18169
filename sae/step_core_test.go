package sae

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// TestSparseStepCoreCount checks that the topk, batchtopk and sparse
// standard steps at a shape large enough to split their per-row,
// per-feature and per-column passes over the cores give bit-identical
// losses, gradients and activations with 1 and 2 cores, and (topk,
// batchtopk) the reference step's up to rounding.
func TestSparseStepCoreCount(t *testing.T) {
	if testing.Short() {
		t.Skip("large steps")
	}
	const B, D, S = 96, 264, 1160
	for _, tc := range []struct {
		name, arch string
		k          int
		deadMod    int // feature i is dead when i%deadMod != 0 (0: none)
		bdec       bool
	}{
		{"topk", ArchTopK, 40, 0, false},
		{"topk/bdec-to-input", ArchTopK, 40, 0, true},
		{"topk/auxk/bdec-to-input", ArchTopK, 40, 3, true},
		{"batchtopk/bdec-to-input", ArchBatchTopK, 40, 0, true},
		{"standard/sparse/bdec-to-input", ArchStandard, 0, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(11, 23))
			x := make([]float32, B*D)
			for i := range x {
				x[i] = float32(r.NormFloat64())
			}
			s := noisySAE(t, tc.arch, D, S, rand.New(rand.NewPCG(6, 16)))
			s.K, s.KBatch = tc.k, float64(tc.k)
			s.ApplyBDecToInput = tc.bdec
			if tc.arch == ArchStandard {
				for i := range s.BEnc {
					s.BEnc[i] -= 1.5 // few active entries: the sparse path
				}
			}
			dead := make([]bool, S)
			if tc.deadMod > 0 {
				for i := range dead {
					dead[i] = i%tc.deadMod != 0
				}
			}
			o := stepOptions{coeff: 0.3, lp: 1, auxCoeff: 1 / 32.0}
			run := func(procs int) (StepLosses, grads, []float32, *workspace) {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
				old := denseMinDensity
				defer func() { denseMinDensity = old }()
				denseMinDensity = 2
				w := newWorkspace(B, D, S)
				g := newGrads(s)
				oo := o
				L, err := s.forwardBackward(w, append([]float32(nil), x...), dead, &oo, g)
				if err != nil {
					t.Fatal(err)
				}
				f := make([]float32, B*S)
				w.features(f)
				return L, g, f, w
			}
			L1, g1, f1, _ := run(1)
			L2, g2, f2, w := run(2)
			if w.denseActs {
				t.Fatal("the step ran dense")
			}
			if L1 != L2 {
				t.Errorf("losses: %+v with 1 core, %+v with 2", L1, L2)
			}
			for i := range f1 {
				if math.Float32bits(f1[i]) != math.Float32bits(f2[i]) {
					t.Fatalf("feature %d: %v with 1 core, %v with 2", i, f1[i], f2[i])
				}
			}
			for k, nm := range s.paramNames() {
				for i := range g1[k] {
					if math.Float32bits(g1[k][i]) != math.Float32bits(g2[k][i]) {
						t.Fatalf("grad %s[%d]: %v with 1 core, %v with 2", nm, i, g1[k][i], g2[k][i])
					}
				}
			}
			if tc.deadMod > 0 && L1.Aux == 0 {
				t.Fatal("no AuxK loss: the case does not test AuxK")
			}
			if tc.arch == ArchStandard {
				return
			}
			gRef := newGrads(s)
			var LRef StepLosses
			oo := o
			if err := s.stepTopKRef(w, x, &oo, gRef, &LRef); err != nil {
				t.Fatal(err)
			}
			if math.Abs(L1.MSE-LRef.MSE) > 1e-5*LRef.MSE || math.Abs(L1.Aux-LRef.Aux) > 1e-5*math.Max(LRef.Aux, 1e-6) {
				t.Errorf("losses %+v, reference %+v", L1, LRef)
			}
			for k, nm := range s.paramNames() {
				closeTo(t, "grad "+nm, g1[k], gRef[k], 1e-4)
			}
		})
	}
}

// TestStepsPackFromT checks that the steps whose products run straight on
// W_encᵀ and W_dec (encodeFromT: d_sae a multiple of 16) give the losses,
// gradients and activations of the same steps on transposed copies, bit
// for bit, dense and sparse, every architecture.
func TestStepsPackFromT(t *testing.T) {
	if testing.Short() || !fastGemm() {
		t.Skip("large steps on the fast kernels")
	}
	const B, D, S = 61, 136, 1152
	r := rand.New(rand.NewPCG(12, 24))
	x := make([]float32, B*D)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	for _, arch := range []string{ArchStandard, ArchGated, ArchJumpReLU, ArchTopK} {
		for _, ghost := range []bool{false, true} {
			if ghost && arch != ArchStandard {
				continue
			}
			t.Run(fmt.Sprintf("%s/ghost=%v", arch, ghost), func(t *testing.T) {
				s := noisySAE(t, arch, D, S, rand.New(rand.NewPCG(7, 17)))
				s.K = 30
				s.ApplyBDecToInput = true
				dead := make([]bool, S)
				for i := range dead {
					dead[i] = i%5 == 0
				}
				run := func(fromT bool) (StepLosses, grads, []float32) {
					old := packFromT
					defer func() { packFromT = old }()
					packFromT = fromT
					w := newWorkspace(B, D, S)
					g := newGrads(s)
					o := stepOptions{coeff: 0.3, lp: 1, bandwidth: 0.5, auxCoeff: 1 / 32.0, ghost: ghost}
					L, err := s.forwardBackward(w, append([]float32(nil), x...), dead, &o, g)
					if err != nil {
						t.Fatal(err)
					}
					f := make([]float32, B*S)
					w.features(f)
					return L, g, f
				}
				L0, g0, f0 := run(false)
				L1, g1, f1 := run(true)
				if L0 != L1 {
					t.Errorf("losses %+v from W_encᵀ, %+v from the copy", L1, L0)
				}
				for i := range f0 {
					if math.Float32bits(f0[i]) != math.Float32bits(f1[i]) {
						t.Fatalf("feature %d: %v from W_encᵀ, %v from the copy", i, f1[i], f0[i])
					}
				}
				for k, nm := range s.paramNames() {
					for i := range g0[k] {
						if math.Float32bits(g0[k][i]) != math.Float32bits(g1[k][i]) {
							t.Fatalf("grad %s[%d]: %v from W_encᵀ, %v from the copy", nm, i, g1[k][i], g0[k][i])
						}
					}
				}
			})
		}
	}
}
