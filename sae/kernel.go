package sae

// gemmAcc computes out[r, j] += Σ_k a[r, k]·w[k, j] for a [rows, d],
// w [d, s], out [rows, s] (row-major), with the AVX2 kernel for the first
// s&^7 columns when available.
func gemmAcc(out, a, w []float32, rows, d, s int) {
	if rows == 0 || d == 0 || s == 0 {
		return
	}
	_ = out[rows*s-1]
	_ = a[rows*d-1]
	_ = w[d*s-1]
	s8 := 0
	if useAVX2 {
		s8 = s &^ 7
		if s8 > 0 {
			gemmAccAVX2(&out[0], &a[0], &w[0], rows, d, s, s8)
		}
	}
	if s8 == s {
		return
	}
	for r := 0; r < rows; r++ {
		o := out[r*s : r*s+s]
		for k := 0; k < d; k++ {
			x := a[r*d+k]
			if x == 0 {
				continue
			}
			wk := w[k*s : k*s+s]
			for j := s8; j < s; j++ {
				o[j] += x * wk[j]
			}
		}
	}
}

// gemmTNAcc computes out[i, j] += Σ_b a[b, i]·w[b, j] for a [n, m],
// w [n, p], out [m, p].
func gemmTNAcc(out, a, w []float32, n, m, p int) {
	if n == 0 || m == 0 || p == 0 {
		return
	}
	_ = out[m*p-1]
	_ = a[n*m-1]
	_ = w[n*p-1]
	p8 := 0
	if useAVX2 {
		p8 = p &^ 7
		if p8 > 0 {
			gemmTNAccAVX2(&out[0], &a[0], &w[0], n, m, p, p8)
		}
	}
	if p8 == p {
		return
	}
	for b := 0; b < n; b++ {
		ab := a[b*m : b*m+m]
		wb := w[b*p : b*p+p]
		for i, x := range ab {
			if x == 0 {
				continue
			}
			o := out[i*p : i*p+p]
			for j := p8; j < p; j++ {
				o[j] += x * wb[j]
			}
		}
	}
}
