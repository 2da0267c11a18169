package sae

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestDenseSteps512 runs the dense steps of every architecture with the
// AVX-512 kernels and with the AVX2 ones (plus the Go loops they replace)
// and checks that losses, gradients and activations agree bit for bit:
// products through the blocked path with a narrow last panel and odd row
// counts, de-duplicated rows (multiplicities), b_dec through the input.
func TestDenseSteps512(t *testing.T) {
	needAVX512(t)
	const D, S = 136, 2*passBlock + 136
	base := stepOptions{coeff: 0.3, lp: 1, bandwidth: 0.5}
	for _, tc := range []struct {
		name, arch string
		B          int
		dup        bool
		setup      func(s *SAE)
	}{
		{"standard", ArchStandard, 128, false, func(s *SAE) {}},
		{"standard/dup", ArchStandard, 131, true, func(s *SAE) {}},
		{"gated", ArchGated, 128, false, func(s *SAE) {}},
		{"gated/dup/bdec-to-input", ArchGated, 131, true, func(s *SAE) { s.ApplyBDecToInput = true }},
		{"gated/tanh-relu", ArchGated, 64, false, func(s *SAE) { s.ActivationFn = "tanh-relu" }},
		{"jumprelu", ArchJumpReLU, 128, false, func(s *SAE) {}},
		{"jumprelu/dup", ArchJumpReLU, 131, true, func(s *SAE) {}},
		{"topk", ArchTopK, 125, false, func(s *SAE) {}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(9, 23))
			x := make([]float32, tc.B*D)
			for i := range x {
				x[i] = float32(r.NormFloat64()*1.5 + 0.3)
			}
			if tc.dup {
				for b := 1; b < tc.B; b += 3 {
					copy(x[b*D:(b+1)*D], x[(b-1)*D:b*D])
				}
			}
			s := noisySAE(t, tc.arch, D, S, rand.New(rand.NewPCG(4, 24)))
			tc.setup(s)
			var L [2]StepLosses
			var g [2]grads
			var f [2][]float32
			var dense [2]bool
			for i, on := range []bool{false, true} {
				withAVX512(on, func() {
					L[i], g[i], f[i], dense[i] = gatedCostStep(t, s, x, tc.B, base, denseMinDensity)
				})
			}
			if dense[0] != dense[1] {
				t.Fatalf("dense path: %v with AVX2, %v with AVX-512", dense[0], dense[1])
			}
			if tc.arch != ArchTopK && !dense[1] {
				t.Fatal("the step did not run dense")
			}
			if L[0] != L[1] {
				t.Errorf("losses: %+v with AVX2, %+v with AVX-512", L[0], L[1])
			}
			for k, nm := range s.paramNames() {
				equalBits(t, "grad "+nm, g[1][k], g[0][k])
			}
			equalBits(t, "features", f[1], f[0])
		})
	}
}

// TestGatedKernels512 checks the masked gated passes against their Go
// loops bit for bit, on lengths with and without a partial last vector,
// with shut gates, open gates with mg ≤ 0 and ties at zero.
func TestGatedKernels512(t *testing.T) {
	needAVX512(t)
	r := rand.New(rand.NewPCG(12, 5))
	vals := func(n int) []float32 {
		v := randFloats(r, n)
		for i := range v {
			if r.IntN(8) == 0 {
				v[i] = float32(math.Copysign(0, float64(v[i]))) // ±0
			}
		}
		return v
	}
	for _, n := range []int{1, 7, 15, 16, 17, 40, 512} {
		u, bg, bm, e, wdn := vals(n), vals(n), vals(n), vals(n), vals(n)
		for i := range e {
			e[i], wdn[i] = float32(math.Abs(float64(e[i])))+0.5, float32(math.Abs(float64(wdn[i])))
		}
		var got, want [5][]float32
		for k := range got {
			got[k], want[k] = vals(n), nil
			want[k] = append(want[k], got[k]...)
		}
		cc := make([]int32, n)
		ccW := make([]int32, n)
		for i := range cc {
			cc[i] = int32(r.IntN(9))
			ccW[i] = cc[i]
		}
		// the open-gate count, also with NaN and ±0 sums
		un := append([]float32(nil), u...)
		for i := range un {
			switch r.IntN(6) {
			case 0:
				un[i] = float32(math.NaN())
			case 1:
				un[i] = -bg[i] // π = ±0
			}
		}
		if got, want := gatedOpenAVX512(&un[0], &bg[0], n), gatedOpenGo(&un[0], &bg[0], n); got != want {
			t.Fatalf("n %d: %d open gates, Go %d", n, got, want)
		}
		// f, v, q, ps; cc
		nG := gatedActsAVX512(&u[0], &bg[0], &bm[0], &e[0], &wdn[0], &got[0][0], &got[1][0], &got[2][0], &got[3][0], &cc[0], n, 3, 3)
		nW := gatedActsGo(&u[0], &bg[0], &bm[0], &e[0], &wdn[0], &want[0][0], &want[1][0], &want[2][0], &want[3][0], &ccW[0], n, 3, 3)
		if nG != nW {
			t.Fatalf("n %d: %d active, Go %d", n, nG, nW)
		}
		for k, nm := range []string{"f", "v", "q", "ps"} {
			equalBits(t, nm, got[k], want[k])
		}
		for i := range cc {
			if cc[i] != ccW[i] {
				t.Fatalf("n %d: cc[%d] = %d, Go %d", n, i, cc[i], ccW[i])
			}
		}
		// gradient pass: f from the activation pass, dd, sBG, sBM, sRM, dpSum
		f, dotP := got[0], vals(n)
		var gs, ws [5][]float32
		for k := range gs {
			gs[k] = vals(n)
			ws[k] = append([]float32(nil), gs[k]...)
		}
		gatedGradsAVX512(&u[0], &bg[0], &dotP[0], &f[0], &gs[0][0], &wdn[0], &e[0], &gs[1][0], &gs[2][0], &gs[3][0], &gs[4][0], n, 0.7)
		gatedGradsGo(&u[0], &bg[0], &dotP[0], &f[0], &ws[0][0], &wdn[0], &e[0], &ws[1][0], &ws[2][0], &ws[3][0], &ws[4][0], n, 0.7)
		for k, nm := range []string{"dd", "sBG", "sBM", "sRM", "dpSum"} {
			equalBits(t, nm, gs[k], ws[k])
		}
	}
}

// TestJumpReLUKernels512 checks the masked jumprelu passes against their
// Go loops bit for bit, on lengths with and without a partial last
// vector, with entries at, near and far from the threshold.
func TestJumpReLUKernels512(t *testing.T) {
	needAVX512(t)
	r := rand.New(rand.NewPCG(13, 6))
	const bw = 0.25
	for _, n := range []int{1, 9, 16, 31, 48, 512} {
		pre, th := randFloats(r, n), randFloats(r, n)
		for i := range th {
			switch r.IntN(4) {
			case 0:
				th[i] = pre[i] // at the threshold
			case 1:
				th[i] = pre[i] + float32(r.NormFloat64()*bw/3) // often near
			}
		}
		var got, want [4][]float32 // f, dd, gBEnc, dpSum
		for k := range got {
			got[k] = randFloats(r, n)
			want[k] = append([]float32(nil), got[k]...)
		}
		cc, ccW := make([]int32, n), make([]int32, n)
		nG := jumpActsAVX512(&pre[0], &th[0], &got[0][0], &cc[0], n, 2)
		nW := jumpActsGo(&pre[0], &th[0], &want[0][0], &ccW[0], n, 2)
		nearG, nearW := make([]uint16, (n+15)/16), make([]uint16, (n+15)/16)
		aG := jumpGradsAVX512(&pre[0], &th[0], &got[1][0], &got[2][0], &got[3][0], &nearG[0], n, bw)
		aW := jumpGradsGo(&pre[0], &th[0], &want[1][0], &want[2][0], &want[3][0], &nearW[0], n, bw)
		if nG != nW || aG != aW || nG != aG {
			t.Fatalf("n %d: counts %d, %d; Go %d, %d", n, nG, aG, nW, aW)
		}
		for k, nm := range []string{"f", "dd", "gBEnc", "dpSum"} {
			equalBits(t, nm, got[k], want[k])
		}
		for i := range cc {
			if cc[i] != ccW[i] {
				t.Fatalf("n %d: cc[%d] = %d, Go %d", n, i, cc[i], ccW[i])
			}
		}
		for v := range nearG {
			if nearG[v] != nearW[v] {
				t.Fatalf("n %d: near[%d] = %#x, Go %#x", n, v, nearG[v], nearW[v])
			}
		}
	}
}
