package sae

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestGemmPairs checks the paired products against two separate calls
// bit for bit, on the AVX-512 tiles (when the CPU has them) and on the
// AVX2 ones: row counts with and without 12-, 4- and 1-row remainders
// (one job below 4 rows), products large enough to split over the cores,
// and a right operand with and without a column
// tail.
func TestGemmPairs(t *testing.T) {
	if !useAVX2 {
		t.Skip("no AVX2 kernels: the pairs are the plain calls")
	}
	modes := []bool{false}
	if useAVX512 {
		modes = append(modes, true)
	}
	r := rand.New(rand.NewPCG(3, 61))
	for _, on := range modes {
		for _, sh := range []struct{ r0, r1, d, s int }{
			{256, 256, 256, 320}, {131, 25, 200, 296}, {3, 40, 136, 300}, {12, 7, 300, 144},
		} {
			t.Run(fmt.Sprintf("avx512=%v/%dx%d/%dx%d", on, sh.r0, sh.r1, sh.d, sh.s), func(t *testing.T) {
				a0, a1 := randFloats(r, sh.r0*sh.d), randFloats(r, sh.r1*sh.d)
				w := randFloats(r, sh.d*sh.s)
				o0, o1 := randFloats(r, sh.r0*sh.s), randFloats(r, sh.r1*sh.s)
				o0[0], o1[1] = float32(math.Copysign(0, -1)), float32(math.Copysign(0, -1))
				w0, w1 := append([]float32(nil), o0...), append([]float32(nil), o1...)
				withAVX512(on, func() {
					gemmAccDensePair(o0, a0, sh.r0, o1, a1, sh.r1, w, sh.d, sh.s)
					gemmAccDense(w0, a0, w, sh.r0, sh.d, sh.s)
					gemmAccDense(w1, a1, w, sh.r1, sh.d, sh.s)
				})
				equalBits(t, "pair out0", o0, w0)
				equalBits(t, "pair out1", o1, w1)
				if sh.s%16 != 0 || sh.r0 < 4 || sh.r1 < 4 {
					return // gemmAccBlockedT's domain
				}
				// wT: [s, d] = w read as the transpose of a [d, s] matrix
				o0, o1 = randFloats(r, sh.r0*sh.s), randFloats(r, sh.r1*sh.s)
				w0, w1 = append([]float32(nil), o0...), append([]float32(nil), o1...)
				withAVX512(on, func() {
					gemmAccBlockedTPair(o0, a0, sh.r0, o1, a1, sh.r1, w, sh.d, sh.s)
					gemmAccBlockedT(w0, a0, w, sh.r0, sh.d, sh.s)
					gemmAccBlockedT(w1, a1, w, sh.r1, sh.d, sh.s)
				})
				equalBits(t, "T pair out0", o0, w0)
				equalBits(t, "T pair out1", o1, w1)
			})
		}
	}
}

// TestSparseByCount checks that the counted sparse-path choice is
// sparseEnough's on operands around the density threshold, with ±0 (zero)
// and NaN (non-zero) entries.
func TestSparseByCount(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 1))
	for _, n := range []int{1, 7, 4096, 4097, 20000} {
		for _, dens := range []float64{0, 0.1, 0.24, 0.25, 0.26, 0.5, 1} {
			a := make([]float32, n)
			nz := 0
			for i := range a {
				switch {
				case r.Float64() < dens:
					a[i] = float32(r.NormFloat64())
					if r.IntN(50) == 0 {
						a[i] = float32(math.NaN())
					}
					if a[i] != 0 || a[i] != a[i] {
						nz++
					}
				case r.IntN(2) == 0:
					a[i] = float32(math.Copysign(0, -1))
				}
			}
			if got, want := sparseByCount(nz, n), sparseEnough(a); got != want {
				t.Errorf("n %d density %v (%d non-zero): sparseByCount %v, sparseEnough %v", n, dens, nz, got, want)
			}
		}
	}
	// exactly at the limit and one past it
	for _, n := range []int{100, 4100} {
		lim := sparseLimit(n)
		for _, nz := range []int{lim, lim + 1} {
			a := make([]float32, n)
			for i := 0; i < nz; i++ {
				a[n-1-i] = 1
			}
			if got, want := sparseByCount(nz, n), sparseEnough(a); got != want {
				t.Errorf("n %d, %d non-zero: sparseByCount %v, sparseEnough %v", n, nz, got, want)
			}
		}
	}
}
