package sae

import "sync"

// The sparse machinery shared by the training steps: a step keeps, per
// step row, the list of its active features (w.actIdx/actVal/actN);
// decodeGathered decodes those lists and computes the MSE and its decoder
// gradients; the W_enc (and W_dec) gradients are collected as entries (row,
// feature, value) in an encGrads and applied feature by feature, so each
// gradient row is read and written once.

// encGrads collects the W_enc gradient entries of a step (row b, feature
// i, pre-activation gradient dp) and applies them feature by feature: each
// gradient row gW_enc[i] is read and written once, with the c rows of the
// feature's entries streamed past it (gaxpy), instead of one axpy per entry.
// Entries of a feature keep their order (rows ascending, main loss before
// AuxK), so the sums are those of the per-entry loop. ks/xs are
// gemmAccSparse's gather lists (one [d] stretch per worker), from the pool.
type encGrads struct {
	feat, row []int32
	val       []float32
	cnt       []int32
	srow      []int32
	sval      []float32
	ks        []int32
	xs        []float32
	rows      []float32
	spos      []int32 // groupLists: each entry's list position
}

// buf returns a scratch buffer of n floats (contents undefined).
func (eg *encGrads) buf(n int) []float32 {
	if cap(eg.rows) < n {
		eg.rows = make([]float32, n)
	}
	return eg.rows[:n]
}

var encGradsPool = sync.Pool{New: func() any { return new(encGrads) }}

// stepEncGrads returns the workspace's entry collection k (0: decoding,
// 1: the encoder gradient), emptied. Owned by the workspace rather than
// pooled so that their grown lists stay with the step that needs them.
func (w *workspace) stepEncGrads(k int) *encGrads {
	if w.egs[k] == nil {
		w.egs[k] = new(encGrads)
	}
	eg := w.egs[k]
	eg.feat, eg.row, eg.val = eg.feat[:0], eg.row[:0], eg.val[:0]
	return eg
}

func getEncGrads() *encGrads {
	eg := encGradsPool.Get().(*encGrads)
	eg.feat, eg.row, eg.val = eg.feat[:0], eg.row[:0], eg.val[:0]
	return eg
}

// apply adds Σ dp·c_b to gWEncT[i] for every collected entry (b, i, dp)
// and empties the collection (any [S, D] gradient and [rows, D] source).
func (eg *encGrads) apply(gWEncT, c []float32, D, S int) {
	if len(eg.feat) == 0 {
		return
	}
	if rows := len(c) / max(D, 1); denseEntries(len(eg.feat), rows, D, S) {
		// Many entries: scatter them into a dense [rows, S] matrix and run
		// one (parallel, blocked) product, as the dense standard step does.
		a, put := denseScratch(rows * S)
		for t, f := range eg.feat {
			a[int(eg.row[t])*S+int(f)] += eg.val[t]
		}
		gemmTNAccDense(gWEncT, a, c[:rows*D], rows, S, D) // not gemmTNAcc: its sparse path calls apply
		put()
		eg.feat, eg.row, eg.val = eg.feat[:0], eg.row[:0], eg.val[:0]
		return
	}
	cnt, srow, sval := eg.byFeature(S)
	applyGrouped(gWEncT, c, D, S, cnt, srow, sval)
	eg.feat, eg.row, eg.val = eg.feat[:0], eg.row[:0], eg.val[:0]
}

// applyGrouped adds Σ sval·src[srow] over feature f's group (cnt, srow,
// sval as byFeature returns them) to gW[f], for every feature: each
// gradient row on its own, spans of features over the cores (the same
// values as one loop over f).
func applyGrouped(gW, src []float32, D, S int, cnt, srow []int32, sval []float32) {
	forSpans(S, topkFeatSpan, len(srow)*D, func(_, flo, fhi int) {
		for f := flo; f < fhi; f++ {
			lo, hi := featStart(cnt, f), cnt[f]
			if hi > lo {
				gaxpy(gW[f*D:f*D+D], src, D, srow[lo:hi], sval[lo:hi])
			}
		}
	})
}

// featStart is the start of feature f's group in groupByFeature's output
// (cnt[f-1], or 0 for f = 0).
func featStart(cnt []int32, f int) int32 {
	if f == 0 {
		return 0
	}
	return cnt[f-1]
}

// byFeature groups the collected entries by feature (groupByFeature into
// the eg scratch): feature f's entries are srow/sval [cnt[f-1], cnt[f])
// (from 0 for f = 0).
func (eg *encGrads) byFeature(S int) (cnt, srow []int32, sval []float32) {
	n := len(eg.feat)
	if cap(eg.cnt) < S+1 {
		eg.cnt = make([]int32, S+1)
	}
	cnt = eg.cnt[:S+1]
	if cap(eg.srow) < n {
		eg.srow, eg.sval = make([]int32, n), make([]float32, n)
	}
	srow, sval = eg.srow[:n], eg.sval[:n]
	groupByFeature(cnt, eg.feat, eg.row, eg.val, srow, sval)
	return cnt, srow, sval
}

// groupLists groups the workspace's active lists (step rows [0, w.u), row
// b's entries at actOff[b] + k for k < actN[b]) by feature into the eg
// scratch, as byFeature does for collected entries, with every entry's
// list position as its pos: feature f's entries are srow/sval/spos
// [cnt[f-1], cnt[f]) in row order. The lists are read in place: no entry
// list is built.
func (eg *encGrads) groupLists(w *workspace) (cnt, srow []int32, sval []float32, spos []int32) {
	U, S := w.u, w.s
	n := 0
	for _, k := range w.actN[:U] {
		n += int(k)
	}
	if cap(eg.cnt) < S+1 {
		eg.cnt = make([]int32, S+1)
	}
	cnt = eg.cnt[:S+1]
	if cap(eg.srow) < n || cap(eg.spos) < n {
		m := w.listCap(n)
		eg.srow, eg.sval, eg.spos = make([]int32, m), make([]float32, m), make([]int32, m)
	}
	srow, sval, spos = eg.srow[:n], eg.sval[:n], eg.spos[:n]
	clear(cnt)
	for b := 0; b < U; b++ {
		o := w.actOff[b]
		for _, f := range w.actIdx[o : o+int(w.actN[b])] {
			cnt[f+1]++
		}
	}
	for f := 1; f < len(cnt); f++ {
		cnt[f] += cnt[f-1]
	}
	for b := 0; b < U; b++ {
		o := w.actOff[b]
		val := w.actVal[o : o+int(w.actN[b])]
		for k, f := range w.actIdx[o : o+len(val)] {
			p := cnt[f]
			srow[p], sval[p], spos[p] = int32(b), val[k], int32(o+k)
			cnt[f] = p + 1
		}
	}
	return cnt, srow, sval, spos
}

// groupByFeature writes the entries (feat, row, val) grouped by feature
// into srow/sval, keeping their order within a feature (a counting sort);
// afterwards cnt ([S+1]) holds at cnt[f] the end of feature f's group (its
// start is cnt[f-1], or 0).
func groupByFeature(cnt, feat, row []int32, val []float32, srow []int32, sval []float32) {
	clear(cnt)
	for _, f := range feat {
		cnt[f+1]++
	}
	for f := 1; f < len(cnt); f++ {
		cnt[f] += cnt[f-1]
	}
	for t, f := range feat {
		p := cnt[f]
		srow[p], sval[p] = row[t], val[t]
		cnt[f] = p + 1
	}
}

// backEncoder adds the gradient of pre-activation gradient dp for feature i
// of row b: bias and (apply_b_dec_to_input) b_dec now, W_enc collected in
// eg (applied by eg.apply).
func (s *SAE) backEncoder(w *workspace, eg *encGrads, b int, i int32, dp float32, gBias, gBDec []float32) {
	D := w.d
	eg.feat = append(eg.feat, i)
	eg.row = append(eg.row, int32(b))
	eg.val = append(eg.val, dp)
	if gBias != nil {
		gBias[i] += dp
	}
	if s.ApplyBDecToInput {
		axpy(-dp, s.WEncT[int(i)*D:int(i)*D+D], gBDec)
	}
}

// decodeGathered decodes the active lists into y and x̂, computes the MSE
// and dLoss/dy (weighted by row multiplicity), and adds the b_dec and W_dec
// gradients of the MSE term: the sparse steps' decoder. Each row's y is one
// gathered axpy over its active decoder rows, and the W_dec gradient is
// applied feature by feature (encGrads against the dy rows); per element
// the sums run in the order of one axpy per active entry.
func (s *SAE) decodeGathered(w *workspace, x []float32, o *stepOptions, gWDec, gBDec []float32) float64 {
	return s.decodeGatheredDots(w, x, o, gWDec, gBDec, nil)
}

// decodeGatheredDots is decodeGathered that, when dots is not nil, also
// writes dy_b·W_dec[i] for every active entry (row b, k-th active feature
// i) into dots[actOff[b] + k], computed feature by feature while W_dec[i]
// and gW_dec[i] are in cache (the standard step's dLoss/df dots). The
// entries stay grouped by feature in w.egs[0] (groupLists) afterwards.
func (s *SAE) decodeGatheredDots(w *workspace, x []float32, o *stepOptions, gWDec, gBDec, dots []float32) float64 {
	B, U, D, S := w.b, w.u, w.d, w.s
	// Many active entries (the dense phase of a wide SAE, e.g. jumprelu
	// from initialisation): decode and take the W_dec gradient as dense
	// products over a scattered [U, S] activation matrix.
	var fd []float32
	if dots == nil {
		active := 0
		for _, n := range w.actN[:U] {
			active += int(n)
		}
		if denseEntries(active, U, D, S) {
			var put func()
			fd, put = denseScratch(U * S)
			defer put()
			for b := 0; b < U; b++ {
				n := int(w.actN[b])
				row := fd[b*S : b*S+S]
				o := w.actOff[b]
				for k, i := range w.actIdx[o : o+n] {
					row[i] = w.actVal[o+k]
				}
				copy(w.y[b*D:b*D+D], s.BDec)
			}
			gemmAcc(w.y[:U*D], fd, s.WDec, U, S, D)
		}
	}
	// Every row on its own: spans of rows over the cores.
	work := U * D
	if fd == nil {
		work = 0
		for _, n := range w.actN[:U] {
			work += int(n) * D
		}
	}
	forSpans(U, topkRowSpan, work, func(_, lo, hi int) {
		for b := lo; b < hi; b++ {
			y := w.y[b*D : b*D+D]
			if fd == nil {
				copy(y, s.BDec)
				n := int(w.actN[b])
				o := w.actOff[b]
				gaxpy(y, s.WDec, D, w.actIdx[o:o+n], w.actVal[o:o+n])
			}
			rn := w.norms[b]
			xh := w.xhat[b*D : b*D+D]
			if rn.kout != 1 || rn.mu != 0 {
				for j := range y {
					xh[j] = y[j]*rn.kout + rn.mu
				}
			} else {
				copy(xh, y)
			}
		}
	})
	w.mseWeights(x, o)
	var mse float64
	invB := 1 / float32(B)
	for b := 0; b < U; b++ {
		xb := x[b*D : b*D+D]
		xh := w.xhat[b*D : b*D+D]
		dy := w.dy[b*D : b*D+D]
		wb := w.wmse[b]
		m := w.mult[b]
		k := 2 * wb * invB * w.norms[b].kout * m
		var rs float32
		for j := range xb {
			e := xh[j] - xb[j]
			rs += e * e
			dy[j] = k * e
		}
		mse += float64(rs * wb * m)
		for j := range dy {
			gBDec[j] += dy[j]
		}
	}
	if fd != nil {
		gemmTNAcc(gWDec, fd, w.dy[:U*D], U, S, D)
		return mse / float64(B)
	}
	// The W_dec gradient feature by feature over the entries grouped from
	// the lists (rows ascending within a feature: the per-entry order).
	ed := w.stepEncGrads(0)
	cnt, srow, sval, spos := ed.groupLists(w)
	if dots != nil {
		applyDots(gWDec, w.dy, s.WDec, D, S, dots, cnt, srow, sval, spos)
	} else {
		applyGrouped(gWDec, w.dy, D, S, cnt, srow, sval)
	}
	return mse / float64(B)
}

// applyDots is applyGrouped (gW[f] += Σ sval·src[srow] over feature f's
// group) that also writes, for every entry, dot(src[srow], w[f]) into dots
// at the entry's spos.
func applyDots(gW, src, w []float32, D, S int, dots []float32, cnt, srow []int32, sval []float32, spos []int32) {
	if len(srow) == 0 {
		return
	}
	// Features on their own (each writes its gradient row and its
	// entries' dots): spans of features over the cores.
	forSpans(S, topkFeatSpan, 2*len(srow)*D, func(_, flo, fhi int) {
		for f := flo; f < fhi; f++ {
			lo, hi := featStart(cnt, f), cnt[f]
			if hi > lo {
				wf := w[f*D : f*D+D]
				for p := lo; p < hi; p++ {
					r := int(srow[p])
					dots[spos[p]] = dot(src[r*D:r*D+D], wf)
				}
				gaxpy(gW[f*D:f*D+D], src, D, srow[lo:hi], sval[lo:hi])
			}
		}
	})
}

// denseEntries reports whether n gradient or activation entries over a
// [rows, S] matrix against rows of D values are better handled as one dense
// product than entry by entry: the cost model of the standard step
// (denseMinDensity, denseCostMinDIn), for the steps built on the sparse
// machinery.
func denseEntries(n, rows, D, S int) bool {
	return fastGemm() && D >= denseCostMinDIn && rows > 0 && S > 0 &&
		float64(n) >= denseMinDensity*float64(rows*S)
}

// denseBufs holds the scattered dense matrices of denseEntries products.
var denseBufs = sync.Pool{New: func() any { return new([]float32) }}

// denseScratch returns a zeroed buffer of n floats and the function that
// returns it to the pool.
func denseScratch(n int) ([]float32, func()) {
	p := denseBufs.Get().(*[]float32)
	if cap(*p) < n {
		*p = make([]float32, n)
	}
	a := (*p)[:n]
	clear(a)
	return a, func() { denseBufs.Put(p) }
}
