package sae

// gemmTileGo is the pure-Go version of the AVX-512 tiles: out[r*s+j] +=
// Σ_{k<kc} a[r*lda+k]·w[k*ws+j%16+(j/16)*wp] for r < rows, j < cols (a
// multiple of 16), each element's terms in k order.
func gemmTileGo(out, a, w *float32, rows, cols, kc, s, lda, ws, wp int) {
	if rows <= 0 || kc <= 0 {
		return
	}
	nv := cols / 16
	o := floatsAt(out, (rows-1)*s+cols)
	av := floatsAt(a, (rows-1)*lda+kc)
	wv := floatsAt(w, (kc-1)*ws+(nv-1)*wp+16)
	for r := 0; r < rows; r++ {
		for k := 0; k < kc; k++ {
			x := av[r*lda+k]
			for v := 0; v < nv; v++ {
				wk := wv[k*ws+v*wp : k*ws+v*wp+16]
				or := o[r*s+16*v : r*s+16*v+16]
				for j, y := range wk {
					or[j] += x * y
				}
			}
		}
	}
}
