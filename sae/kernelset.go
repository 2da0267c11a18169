package sae

// Questions about the kernel set, for the algorithm choices that depend on
// how fast the kernels are rather than on what they compute. With the
// assembly kernels (amd64 without -tags noasm, on a CPU with AVX2 and FMA)
// the vector answers apply; with the pure-Go kernels under the same names
// the scalar ones. Only these and the slice-level kernel wrappers (dot,
// axpy, gemmAcc, …) read useAVX2; the steps ask these questions.

// fastGemm reports whether the dense small matrix products (gemmAcc,
// gemmTNAcc) and the block transpose (transposeTo) run on vector kernels.
// Then a dense pass over every feature beats skipping the inactive ones
// for small SAEs (standardDense), and the encoder is one product with a
// transposed copy of W_enc (encodeDense) rather than one dot product per
// feature. The two ways round sum in different orders, so the answer also
// fixes the last bits of the results on a machine.
func fastGemm() bool { return useAVX2 }

// paddedRowLen returns the row length the vector kernels want for rows of
// d values (the gated step's padded copies): a multiple of 32 from 96
// values on (the 64- and 32-column blocks), of 8 from 8 values on (narrow
// rows: little to gain, much to pad), and d itself for the scalar kernels,
// which gain nothing from padding.
func paddedRowLen(d int) int {
	switch {
	case useAVX2 && d >= 96:
		return (d + 31) &^ 31
	case useAVX2 && d >= 8:
		return (d + 7) &^ 7
	}
	return d
}
