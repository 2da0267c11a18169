package sae

// gemmTiles512 runs the AVX-512 12-row tiles of gemmAccPanels over g
// packed panels (pack: panel q at pack[q·d·16:], [d, 16]): out[r, 16q+j]
// += Σ_k a[r, k]·pack[q·d·16 + 16k + j] for r < 12·tiles12, j < 16, with
// out's and a's row strides s and d. Pairs of adjacent panels go through
// the 12×32 tile, a last odd panel through the 12×16 one. The loops are
// blocked for the caches: a block of rows at a time, and within it kc
// terms at a time over every pair of panels, so that a pair's kc rows
// stay in L1 across the block's tiles and the block of a in L2 across
// the pairs. Splitting k into blocks only stores and reloads the partial
// sums: each element's terms still go one FMA each in k order.
func gemmTiles512(out, a, pack []float32, tiles12, d, s, g int) {
	if tiles12 == 0 || d == 0 || g == 0 {
		return
	}
	_ = out[(12*tiles12-1)*s+16*g-1]
	_ = a[12*tiles12*d-1]
	_ = pack[g*d*16-1]
	kc := tileK512
	tb := tileRows512 / 12
	for t0 := 0; t0 < tiles12; t0 += tb {
		nt := min(tb, tiles12-t0)
		for k0 := 0; k0 < d; k0 += kc {
			kn := min(kc, d-k0)
			for q := 0; q < g; q += 2 {
				o, x, w := &out[t0*12*s+16*q], &a[t0*12*d+k0], &pack[q*d*16+k0*16]
				if q+1 < g {
					gemm12x32AVX512(o, x, w, nt, kn, s, d, 16, d*16)
				} else {
					gemm12x16AVX512(o, x, w, nt, kn, s, d, 16, 0)
				}
			}
		}
	}
}

// tileK512 and tileRows512 are gemmTiles512's block sizes: terms (a
// pair's 256 rows of panel are 32 KB of Zen 5's 48 KB L1d) and rows (the
// block of a, 96 × 256 terms, 96 KB of its 1 MB L2).
const tileK512, tileRows512 = 256, 96

// packPanels512 is the number of 16-column panels gemmAccPanels packs at
// a time for the AVX-512 tiles (twice packPanels: four 12×32 tiles per
// block of rows; at issue 16's shapes 4 and 16 were no faster).
const packPanels512 = 8

// gemmDirect512 runs the AVX-512 12-row tiles straight on w ([d, s],
// small enough to stay in cache): out[r, j] += Σ_k a[r, k]·w[k, j] for
// r < 12·tiles12 and j < 16·panels, pairs of 16-column panels through the
// 12×32 tile and a last odd one through the 12×16 one.
func gemmDirect512(out, a, w []float32, tiles12, d, s, panels int) {
	if tiles12 == 0 || d == 0 || panels == 0 {
		return
	}
	_ = out[(12*tiles12-1)*s+16*panels-1]
	_ = a[12*tiles12*d-1]
	_ = w[(d-1)*s+16*panels-1]
	for q := 0; q < panels; q += 2 {
		if q+1 < panels {
			gemm12x32AVX512(&out[16*q], &a[0], &w[16*q], tiles12, d, s, d, s, 16)
		} else {
			gemm12x16AVX512(&out[16*q], &a[0], &w[16*q], tiles12, d, s, d, s, 0)
		}
	}
}
