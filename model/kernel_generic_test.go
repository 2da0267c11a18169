package model

import (
	"math/rand/v2"
	"testing"
)

// TestDgemm4x8Generic checks that the pure-Go tile kernel gives the
// assembly kernel's bits (both are the same FMAs in the same order).
func TestDgemm4x8Generic(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	for _, n := range []int{1, 2, 7, 40, 129} {
		ldx := n + 3
		x := make([]float64, 4*ldx)
		w := make([]float64, 8*n)
		for i := range x {
			x[i] = r.NormFloat64()
		}
		for i := range w {
			w[i] = r.NormFloat64()
		}
		var got, want [32]float64
		dgemm4x8Go(&got, &x[0], &w[0], n, ldx)
		for rr := 0; rr < 4; rr++ {
			for j := 0; j < 8; j++ {
				var s float64
				for k := 0; k < n; k++ {
					s += x[rr*ldx+k] * w[k*8+j]
				}
				if d := got[rr*8+j] - s; d > 1e-9 || d < -1e-9 {
					t.Fatalf("n %d: c[%d][%d] = %v, want %v", n, rr, j, got[rr*8+j], s)
				}
			}
		}
		if useAVX2 {
			dgemm4x8AVX2(&want, &x[0], &w[0], n, ldx)
			if got != want {
				t.Errorf("n %d: pure Go %v, assembly %v", n, got, want)
			}
		}
	}
}
