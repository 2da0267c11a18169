package sae

// Two products over one right operand. The dense gated step decodes f and
// relu(π) through the same W_dec and takes dvia·W_decᵀ and dy·W_decᵀ from
// the same W_dec: run as one pass over the packed panels, W_dec is packed
// (or transposed into panels) once instead of twice. Each product's values
// are those of its own call.

// gemmAccDensePair is gemmAccDense(out0, a0, w, rows0, d, s) and
// gemmAccDense(out1, a1, w, rows1, d, s), with w's panels packed once
// where gemmAccDense would pack them (the blocked kernels).
func gemmAccDensePair(out0, a0 []float32, rows0 int, out1, a1 []float32, rows1 int, w []float32, d, s int) {
	s8 := s &^ 7
	if !useAVX2 || rows0 == 0 || rows1 == 0 || d == 0 || s8 <= 128 || d*s8*4 <= 128<<10 {
		gemmAccDense(out0, a0, w, rows0, d, s)
		gemmAccDense(out1, a1, w, rows1, d, s)
		return
	}
	_ = out0[rows0*s-1]
	_ = a0[rows0*d-1]
	_ = out1[rows1*s-1]
	_ = a1[rows1*d-1]
	_ = w[d*s-1]
	gemmAccPanelsJobs([]gemmJob{{out0, a0, rows0}, {out1, a1, rows1}}, w, nil, d, s, s8)
	if s8 != s {
		gemmAccTail(out0, a0, w, rows0, d, s, s8)
		gemmAccTail(out1, a1, w, rows1, d, s, s8)
	}
}

// gemmAccBlockedTPair is gemmAccBlockedT(out0, a0, wT, rows0, d, s) and
// gemmAccBlockedT(out1, a1, wT, rows1, d, s) with each panel of wT
// transposed once for both.
func gemmAccBlockedTPair(out0, a0 []float32, rows0 int, out1, a1 []float32, rows1 int, wT []float32, d, s int) {
	if s%16 != 0 || rows0 < 4 || rows1 < 4 {
		gemmAccBlockedT(out0, a0, wT, rows0, d, s)
		gemmAccBlockedT(out1, a1, wT, rows1, d, s)
		return
	}
	gemmAccPanelsJobs([]gemmJob{{out0, a0, rows0}, {out1, a1, rows1}}, nil, wT, d, s, s)
}
