package sae

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// passBlock is the width of the fixed blocks the dense steps' per-entry
// passes are cut into (columns of a [B, d_sae] slab, or rows of a
// transpose's source): the partition depends on the shape only, never on
// the core count, so sums taken per block and then combined in block order
// are the same with any GOMAXPROCS. A d_sae of at most passBlock is one
// block, the serial pass itself.
const passBlock = 512

// passMinWork is the number of entries a pass must touch before it is
// split over goroutines (below it, one goroutine runs every block in
// order, with the same results).
const passMinWork = 1 << 16

// nBlocks is the number of passBlock-wide blocks of n.
func nBlocks(n int) int { return (n + passBlock - 1) / passBlock }

// forBlocks calls fn(k, lo, hi) once for each block k of [0, n) (lo = k·
// passBlock, hi = min(lo+passBlock, n)), spread over up to GOMAXPROCS
// goroutines when the pass touches at least passMinWork entries (work).
// fn must write only to what block k owns (its columns, its slot of a
// per-block partial array): which goroutine runs a block never changes
// its result.
func forBlocks(n, work int, fn func(k, lo, hi int)) {
	forSpans(n, passBlock, work, fn)
}

// forSpans is forBlocks with blocks of span entries instead of passBlock
// (span > 0): fn(k, lo, hi) for lo = k·span, hi = min(lo+span, n).
func forSpans(n, span, work int, fn func(k, lo, hi int)) {
	forSpansWorker(n, span, work, func(_, k, lo, hi int) { fn(k, lo, hi) })
}

// spanWorkers is the number of goroutines forSpansWorker runs for n
// entries in spans of span with work entries touched: 1 (the caller) when
// the pass is small or GOMAXPROCS is 1. Scratch indexed by forSpansWorker's
// worker number needs this many slots.
func spanWorkers(n, span, work int) int {
	nb := (n + span - 1) / span
	workers := min(runtime.GOMAXPROCS(0), nb)
	if workers < 2 || work < passMinWork {
		return 1
	}
	return workers
}

// forSpansWorker is forSpans that also passes fn the number g <
// spanWorkers(n, span, work) of the goroutine running the span (for its
// scratch: which goroutine runs a span must not change its result).
func forSpansWorker(n, span, work int, fn func(g, k, lo, hi int)) {
	nb := (n + span - 1) / span
	workers := spanWorkers(n, span, work)
	if workers < 2 {
		for k := 0; k < nb; k++ {
			fn(0, k, k*span, min(k*span+span, n))
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < workers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := int(next.Add(1) - 1)
				if k >= nb {
					return
				}
				fn(g, k, k*span, min(k*span+span, n))
			}
		}()
	}
	wg.Wait()
}

// axpyColsSpan is the column span (a multiple of 8: every span but the
// last is whole vector lanes; the last is at least as long) that
// axpyGatherCols splits y into.
const axpyColsSpan = 128

// axpyGatherCols adds Σ_t a[t]·sign·src[rows[t]·len(y) : …+len(y)] into y,
// term by term in t order for every element, as the loop of axpy(sign·a[t],
// row, y) does; for large work the columns of y are split over the cores
// (each element still sums its terms in t order: the same values).
func axpyGatherCols(y, src []float32, rows []int32, a []float32, sign float32) {
	axpyGatherColsLists(y, src, rows, a, nil, nil, sign)
}

// axpyGatherColsLists is axpyGatherCols over lists: list b is rows/a
// [off[b], off[b]+n[b]), the lists taken in order (the order of one axpy
// per entry). A nil n is one list: all of rows.
func axpyGatherColsLists(y, src []float32, rows []int32, a []float32, off []int, n []int32, sign float32) {
	D := len(y)
	total, lists := len(rows), 1
	if n != nil {
		total, lists = 0, len(n)
		for _, k := range n {
			total += int(k)
		}
	}
	if D == 0 || total == 0 {
		return
	}
	// nsp spans of axpyColsSpan, the last one up to D: a span shorter
	// than axpy's vector minimum would change which elements it fuses.
	nsp := max(1, D/axpyColsSpan)
	forSpans(nsp, 1, total*D, func(k, _, _ int) {
		lo, hi := k*axpyColsSpan, (k+1)*axpyColsSpan
		if k == nsp-1 {
			hi = D
		}
		yc := y[lo:hi]
		for b := range lists {
			o, nb := 0, len(rows)
			if n != nil {
				o, nb = off[b], int(n[b])
			}
			for t, r := range rows[o : o+nb] {
				axpy(sign*a[o+t], src[int(r)*D+lo:int(r)*D+hi], yc)
			}
		}
	})
}

// bdecThroughInput adds −Σ_i sums[i]·wEncT[i] over the features with
// sums[i] ≠ 0, in ascending i, into gBDec (b_dec's gradient through the
// centred input): the loop of axpy(−sums[i], row i, gBDec), with the
// columns split over the cores (axpyGatherCols: the same values).
func (w *workspace) bdecThroughInput(gBDec, wEncT, sums []float32) {
	if len(w.bdIdx) < len(sums) {
		w.bdIdx, w.bdVal = make([]int32, len(sums)), make([]float32, len(sums))
	}
	n := 0
	for i, v := range sums {
		if v != 0 {
			w.bdIdx[n], w.bdVal[n] = int32(i), v
			n++
		}
	}
	axpyGatherCols(gBDec, wEncT, w.bdIdx[:n], w.bdVal[:n], -1)
}

// forRows runs fn(lo, hi) over the rows [0, rows) of a pass of rowWork
// entries per row, in spans of rowPassSpan rows spread over the cores
// when the pass is large (passMinWork). fn must treat every row on its own
// (per-row results, reduced afterwards in row order): the span partition
// then changes no value.
func forRows(rows, rowWork int, fn func(lo, hi int)) {
	forSpans(rows, rowPassSpan, rows*rowWork, func(_, lo, hi int) { fn(lo, hi) })
}

// clearPar is clear(v), in spans of clearSpan over the cores when v is
// large (the dense steps' [B, d_sae] and [d_in, d_sae] slabs).
func clearPar(v []float32) {
	forSpans(len(v), clearSpan, len(v)/4, func(_, lo, hi int) { clear(v[lo:hi]) })
}

// clearSpan is the number of values a goroutine of clearPar clears at a
// time.
const clearSpan = 1 << 16

// countRows returns Σ_b count(b) over the rows [0, rows) of rowWork
// entries each, the rows split over the cores by forRows (integer counts:
// the same total in any order).
func countRows(rows, rowWork int, count func(b int) int) int {
	var total atomic.Int64
	forRows(rows, rowWork, func(lo, hi int) {
		n := 0
		for b := lo; b < hi; b++ {
			n += count(b)
		}
		total.Add(int64(n))
	})
	return int(total.Load())
}

// rowPassSpan is forRows' span: 32 rows, so that a batch of a few hundred
// rows splits evenly (passBlock rows left a batch of 256 on one core).
const rowPassSpan = 32

// transposePar is transposeTo (src [rows, cols] into dst [cols, ldd]) with
// the source rows cut into spans of transposeSpan (multiples of 8, so every
// span but the last takes the 8×8 kernels) spread over the cores. The
// result is the same as transposeTo's: a transpose only moves values.
func transposePar(dst []float32, ldd int, src []float32, rows, cols int) {
	forSpans(rows, transposeSpan, rows*cols, func(_, lo, hi int) {
		transposeTo(dst[lo:], ldd, src[lo*cols:hi*cols], hi-lo, cols)
	})
}

// transposeSpan is the number of source rows a goroutine of transposePar
// takes at a time: small enough to balance the cores (768 rows in 512-row
// blocks left one core a third of the work), a multiple of 16 so that the
// spans' columns of dst start on cache lines when its rows do.
const transposeSpan = 64

// blockPartials returns a zeroed scratch of nb·rows float64 partial sums
// (nb blocks of rows values), grown as needed.
func (w *workspace) blockPartials(nb, rows int) []float64 {
	n := nb * rows
	if cap(w.partials) < n {
		w.partials = make([]float64, n)
	}
	p := w.partials[:n]
	clear(p)
	return p
}

// rowSumsBuf returns the [B] per-row scratch of the dense steps' row passes.
func (w *workspace) rowSumsBuf() []float32 {
	if len(w.rowSums) < w.b {
		w.rowSums = make([]float32, w.b)
	}
	return w.rowSums
}
