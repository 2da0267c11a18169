package model

import (
	"math"
	"unsafe"
)

// dgemm4x8Go is dgemm4x8AVX2 in pure Go, with the same fused
// multiply-adds in the same order (so the same bits): the 4×8 tile
// c[r*8+j] = Σ_{k<n} x[r*ldx+k]·w[k*8+j], k ascending.
func dgemm4x8Go(c *[32]float64, x, w *float64, n, ldx int) {
	*c = [32]float64{}
	if n <= 0 {
		return
	}
	xv := unsafe.Slice(x, 3*ldx+n)
	wv := unsafe.Slice(w, 8*n)
	for k := 0; k < n; k++ {
		wk := wv[8*k : 8*k+8]
		for r := 0; r < 4; r++ {
			a := xv[r*ldx+k]
			for j, b := range wk {
				c[r*8+j] = math.FMA(a, b, c[r*8+j])
			}
		}
	}
}
