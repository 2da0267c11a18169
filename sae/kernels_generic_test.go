package sae

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestKernelsMatchGeneric runs every assembly kernel and its pure-Go
// version (kernels_generic.go) on the same random inputs and compares the
// outputs (within float32 rounding where the summation order differs).
// Without the assembly (noasm, other architectures) the kernels are the Go
// versions and the test checks nothing more.
func TestKernelsMatchGeneric(t *testing.T) {
	if !useAVX2 {
		t.Skip("no assembly kernels in this build or on this CPU")
	}
	r := rand.New(rand.NewPCG(9, 9))
	fill := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(r.NormFloat64())
			if r.IntN(4) == 0 {
				v[i] = 0
			}
		}
		return v
	}
	near := func(t *testing.T, what string, got, want []float32) {
		t.Helper()
		for i := range want {
			if d := math.Abs(float64(got[i] - want[i])); d > 1e-4*(1+math.Abs(float64(want[i]))) || math.IsNaN(float64(got[i])) {
				t.Fatalf("%s[%d] = %v, pure Go %v", what, i, got[i], want[i])
			}
		}
	}
	// run calls the assembly kernel f and the Go kernel g on copies of the
	// same buffers and compares every buffer afterwards.
	run := func(t *testing.T, what string, bufs [][]float32, f, g func(b [][]float32)) {
		t.Helper()
		a := make([][]float32, len(bufs))
		b := make([][]float32, len(bufs))
		for i, v := range bufs {
			a[i], b[i] = slices.Clone(v), slices.Clone(v)
		}
		f(a)
		g(b)
		for i := range a {
			near(t, what, a[i], b[i])
		}
	}
	for _, n := range []int{8, 16, 40, 96, 200} {
		rows, d := 5, n/2+3
		s := n + 8
		run(t, "gemmAcc", [][]float32{fill(rows * s), fill(rows * d), fill(d * s)}, func(b [][]float32) {
			gemmAccAVX2(&b[0][0], &b[1][0], &b[2][0], rows, d, s, n)
		}, func(b [][]float32) { gemmAccGo(&b[0][0], &b[1][0], &b[2][0], rows, d, s, n) })
		run(t, "gemmTNAcc", [][]float32{fill(d * s), fill(rows * d), fill(rows * s)}, func(b [][]float32) {
			gemmTNAccAVX2(&b[0][0], &b[1][0], &b[2][0], rows, d, s, n)
		}, func(b [][]float32) { gemmTNAccGo(&b[0][0], &b[1][0], &b[2][0], rows, d, s, n) })
		run(t, "gemm4x16", [][]float32{fill(4 * s), fill(4 * d), fill(d * s)}, func(b [][]float32) {
			gemm4x16AVX2(&b[0][0], &b[1][0], &b[2][0], 4, d, s, s)
		}, func(b [][]float32) { gemm4x16Go(&b[0][0], &b[1][0], &b[2][0], 4, d, s, s) })
		run(t, "gemm6x16", [][]float32{fill(12 * s), fill(12 * d), fill(d * (s + 4))}, func(b [][]float32) {
			gemm6x16AVX2(&b[0][0], &b[1][0], &b[2][0], 2, d, s, s+4)
		}, func(b [][]float32) { gemm4x16Go(&b[0][0], &b[1][0], &b[2][0], 12, d, s, s+4) })
		run(t, "gemmTN4x16", [][]float32{fill(4 * s), fill(rows * (d + 4)), fill(rows * s)}, func(b [][]float32) {
			gemmTN4x16AVX2(&b[0][0], &b[1][0], &b[2][0], rows, 4, s, d+4)
		}, func(b [][]float32) { gemmTN4x16Go(&b[0][0], &b[1][0], &b[2][0], rows, 4, s, d+4) })
		run(t, "axpy", [][]float32{fill(n), fill(n)}, func(b [][]float32) { axpyAVX2(0.7, &b[0][0], &b[1][0], n) },
			func(b [][]float32) { axpyGo(0.7, &b[0][0], &b[1][0], n) })
		x, y := fill(n), fill(n)
		near(t, "dot", []float32{dotAVX2(&x[0], &y[0], n)}, []float32{dotGo(&x[0], &y[0], n)})
		near(t, "sumSq", []float32{sumSqAVX2(&x[0], n)}, []float32{sumSqGo(&x[0], n)})
		run(t, "scale", [][]float32{fill(n)}, func(b [][]float32) { scaleAVX2(&b[0][0], n, 1.5) },
			func(b [][]float32) { scaleGo(&b[0][0], n, 1.5) })
		// reluCount(Mult): f, pre, and the int32 counts compared as floats.
		for _, m := range []int32{1, 3} {
			pre := fill(n)
			fa, fb := make([]float32, n), make([]float32, n)
			ca, cb := make([]int32, n), make([]int32, n)
			var pa, pb int
			if m == 1 {
				pa, pb = reluCountAVX2(&fa[0], &pre[0], &ca[0], n), reluCountGo(&fb[0], &pre[0], &cb[0], n)
			} else {
				pa, pb = reluCountMultAVX2(&fa[0], &pre[0], &ca[0], n, m), reluCountMultGo(&fb[0], &pre[0], &cb[0], n, m)
			}
			if pa != pb || !slices.Equal(fa, fb) || !slices.Equal(ca, cb) {
				t.Fatalf("reluCount m=%d: %d positives vs %d, or f/counts differ", m, pa, pb)
			}
		}
		var sa, sb float32
		f0 := fill(n)
		for i := range f0 {
			f0[i] = float32(math.Abs(float64(f0[i])))
		}
		run(t, "l1Fused", [][]float32{fill(n), f0, fill(n)}, func(b [][]float32) { sa = l1FusedAVX2(&b[0][0], &b[1][0], &b[2][0], 0.3, n) },
			func(b [][]float32) { sb = l1FusedGo(&b[0][0], &b[1][0], &b[2][0], 0.3, n) })
		near(t, "l1Fused sum", []float32{sa}, []float32{sb})
		ks := []int32{3, 0, 2, 2}
		xs := fill(4)
		run(t, "gaxpy", [][]float32{fill(n), fill(4 * (n + 5))}, func(b [][]float32) {
			gaxpyAVX2(&b[0][0], &b[1][0], &ks[0], &xs[0], len(ks), n+5, n)
		}, func(b [][]float32) { gaxpyGo(&b[0][0], &b[1][0], &ks[0], &xs[0], len(ks), n+5, n) })
		xp := fill(4)
		run(t, "gaxpy2", [][]float32{fill(n), fill(n), fill(4 * (n + 5))}, func(b [][]float32) {
			gaxpy2AVX2(&b[0][0], &b[1][0], &b[2][0], &ks[0], &xs[0], &xp[0], len(ks), n+5, n)
		}, func(b [][]float32) { gaxpy2Go(&b[0][0], &b[1][0], &b[2][0], &ks[0], &xs[0], &xp[0], len(ks), n+5, n) })
		run(t, "gatedDots", [][]float32{fill(n), fill(4 * (n + 5)), fill(4 * (n + 5)), fill(4), fill(4)}, func(b [][]float32) {
			gatedDotsAVX2(&b[0][0], &b[1][0], &b[2][0], &ks[0], len(ks), n+5, n, &b[3][0], &b[4][0])
		}, func(b [][]float32) {
			gatedDotsGo(&b[0][0], &b[1][0], &b[2][0], &ks[0], len(ks), n+5, n, &b[3][0], &b[4][0])
		})
		run(t, "adamScaleZero", [][]float32{fill(n), fill(n), fill(n), func() []float32 {
			v := fill(n)
			for i := range v {
				v[i] *= v[i]
			}
			return v
		}()}, func(b [][]float32) {
			adamScaleZeroAVX2(&b[0][0], &b[1][0], &b[2][0], &b[3][0], n, 0.5, 0.9, 0.1, 0.999, 0.001, 0.01, 1e-8)
		}, func(b [][]float32) {
			adamScaleZeroGo(&b[0][0], &b[1][0], &b[2][0], &b[3][0], n, 0.5, 0.9, 0.1, 0.999, 0.001, 0.01, 1e-8)
		})
		nb := n / 8
		run(t, "transpose8", [][]float32{fill(8 * nb * 10), fill(8 * (8*nb + 2))}, func(b [][]float32) {
			transpose8AVX2(&b[0][0], 10, &b[1][0], 8*nb+2, nb)
		}, func(b [][]float32) { transpose8Go(&b[0][0], 10, &b[1][0], 8*nb+2, nb) })
		run(t, "transpose8x4", [][]float32{fill(4 * 10), fill(8 * 6)}, func(b [][]float32) { transpose8x4AVX(&b[0][0], 10, &b[1][0], 6) },
			func(b [][]float32) { transpose8x4Go(&b[0][0], 10, &b[1][0], 6) })
		d4 := 4 * (n/8 + 1)
		run(t, "normalizeRows4", [][]float32{fill(6 * d4)}, func(b [][]float32) { normalizeRows4AVX(&b[0][0], 6, d4) },
			func(b [][]float32) { normalizeRows4Go(&b[0][0], 6, d4) })
		run(t, "removeParallel4", [][]float32{fill(6 * d4), fill(6 * d4)}, func(b [][]float32) { removeParallel4AVX(&b[0][0], &b[1][0], 6, d4) },
			func(b [][]float32) { removeParallel4Go(&b[0][0], &b[1][0], 6, d4) })
		run(t, "copyRows", [][]float32{fill(5 * (d4 + 3)), fill(5 * (d4 + 1))}, func(b [][]float32) {
			copyRowsAVX(&b[0][0], d4+3, &b[1][0], d4+1, 5, d4)
		}, func(b [][]float32) { copyRowsGo(&b[0][0], d4+3, &b[1][0], d4+1, 5, d4) })
		for _, dm := range []int{1, 5, 13, n/2 + 3} {
			// the destination's padding beyond d must survive the masked copy
			run(t, "copyRowsMask", [][]float32{fill(5 * (dm + 3)), fill(5 * (dm + 1))}, func(b [][]float32) {
				copyRowsMaskAVX(&b[0][0], dm+3, &b[1][0], dm+1, 5, dm, &laneMasks[8-dm%8])
			}, func(b [][]float32) { copyRowsGo(&b[0][0], dm+3, &b[1][0], dm+1, 5, dm) })
			lp := (dm+7)&^7 + 2
			run(t, "copyRowsBlend", [][]float32{fill(5 * lp), fill(5 * (dm + 1))}, func(b [][]float32) {
				copyRowsBlendAVX(&b[0][0], lp, &b[1][0], dm+1, 5, dm, &laneMasks[8-dm%8])
			}, func(b [][]float32) { copyRowsGo(&b[0][0], lp, &b[1][0], dm+1, 5, dm) })
		}
		if n%16 == 0 {
			w, x0, x1, x2, x3 := fill(n), fill(n), fill(n), fill(n), fill(n)
			var oa, ob [4]float32
			dot4AVX2(&w[0], &x0[0], &x1[0], &x2[0], &x3[0], n, &oa)
			dot4Go(&w[0], &x0[0], &x1[0], &x2[0], &x3[0], n, &ob)
			near(t, "dot4", oa[:], ob[:])
		}
		v := fill(n)
		for _, th := range []float32{-10, 0, 1.5, 10} {
			if a, b := firstAboveAVX2(&v[0], n, th), firstAboveGo(&v[0], n, th); a != b {
				t.Fatalf("firstAbove(n %d, t %v) = %d, pure Go %d", n, th, a, b)
			}
		}
	}
}
