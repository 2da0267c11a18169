package sae

// The dense gated and jumprelu steps need, per entry, dLoss/df = dy·W_decᵀ
// ([U, d_sae]) only for a per-entry pass that turns it into dLoss/dpre. When
// the batch is larger than d_in the dots can be taken a chunk of columns at
// a time into the [d_in, d_sae] W_decᵀ buffer, each chunk's entries right
// after, with dLoss/dpre written over the pre-activations: no [U, d_sae]
// slab for the dots (issue 16's memory). The values are those of the
// whole-width pass: each product element is the same chain of
// multiply-adds, and the chunks hold whole blocks of the pass.

// entryPass is a dense step's per-entry pass over column block k ([lo, hi)):
// ddAt(b, lo, hi) is row b's dLoss/df dots in the block, which the pass
// turns into dLoss/dpre and hands, row by row, to done(b, lo, hi, dd).
type entryPass func(k, lo, hi int, ddAt func(b, lo, hi int) []float32, done func(b, lo, hi int, dd []float32))

// dotsChunkCols is the width of the column chunks of chunkedDots (a
// multiple of passBlock, so that the chunks hold whole blocks of the
// per-entry pass): the most that fit, as a [U, width] block, in a [d_in,
// d_sae] buffer, or 0 when not even one block does or one chunk would be
// the whole width.
func dotsChunkCols(U, D, S int) int {
	cw := (D * S / max(U, 1)) / passBlock * passBlock
	if cw < passBlock || cw >= S {
		return 0
	}
	return cw
}

// chunkedDots runs pass over every block of the [U, S] dots dy·W_decᵀ
// (dy [U, D], wDec [S, D]), computed cw columns at a time into buf (at least
// U·cw values), each chunk's blocks over the cores right after, and copies
// each row's dLoss/dpre into dst ([U, S]; the slab pass reads its
// pre-activations from may serve: each entry is read before it is written).
func chunkedDots(pass entryPass, dst, buf, dy, wDec []float32, U, D, S, cw int) {
	for c0 := 0; c0 < S; c0 += cw {
		c1 := min(c0+cw, S)
		n := c1 - c0
		cbuf := buf[:U*n]
		clearPar(cbuf)
		gemmAccBlockedT(cbuf, dy[:U*D], wDec[c0*D:c1*D], U, D, n)
		k0 := c0 / passBlock
		forSpans(nBlocks(n), 1, U*n, func(j, _, _ int) {
			k := k0 + j
			lo, hi := k*passBlock, min(k*passBlock+passBlock, S)
			pass(k, lo, hi, func(b, lo, hi int) []float32 {
				return cbuf[b*n+lo-c0 : b*n+hi-c0]
			}, func(b, lo, hi int, dd []float32) {
				copy(dst[b*S+lo:b*S+hi], dd)
			})
		})
	}
}

// wholeDots runs pass over every block of the [U, S] dots already in dd,
// which the pass turns into dLoss/dpre in place.
func wholeDots(pass entryPass, dd []float32, U, S int) {
	forBlocks(S, U*S, func(k, lo, hi int) {
		pass(k, lo, hi, func(b, lo, hi int) []float32 { return dd[b*S+lo : b*S+hi] },
			func(int, int, int, []float32) {})
	})
}
