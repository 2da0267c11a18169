package sae

import (
	"math"
	"sync"
)

// stepTopK is the topk / batchtopk training step: a dense encoder
// product, the per-row (topk) or per-batch (batchtopk) selection, the
// gathered decoder, and the AuxK loss of the dead latents. The backward
// pass runs feature by feature (topkBackward), so each decoder row, W_dec
// gradient row and W_enc gradient row is read once a step.
func (s *SAE) stepTopK(w *workspace, x []float32, o *stepOptions, gr grads, L *StepLosses, batch bool) error {
	// Rows are de-duplicated for topk (U ≤ B step rows, weighted by
	// w.mult), never for batchtopk (U = B).
	B, U, D, S := w.b, w.u, w.d, w.s
	gWEncT, gWDec, gBEnc, gBDec := gr[0], gr[1], gr[2], gr[3]
	s.encodeDense(w, s.BEnc, o)
	s.topkSelect(w, batch)
	L.MSE = s.decodeGathered(w, x, o, gWDec, gBDec)
	tb := topkPool.Get().(*topkBuffers)
	defer topkPool.Put(tb)
	tb.reset()
	// Main loss: the pre-activation gradient of every active entry; its
	// W_enc gradient is applied below, feature by feature.
	s.topkMainGrads(w, tb, gBEnc, gBDec)
	// AuxK (SAELens 6.x): the top k_aux dead latents (by raw
	// pre-activation) reconstruct the residual.
	nd := len(w.dead)
	kAux := D / 2
	if nd == 0 || kAux == 0 {
		s.topkBackward(w, tb, nil, gWEncT, gWDec, gBEnc, gBDec)
		return nil
	}
	scale := float32(math.Min(float64(nd)/float64(kAux), 1))
	kAux = min(kAux, nd)
	coef := o.auxCoeff * scale
	var aux float64
	drecAll := tb.floats(&tb.drec, U*D)
	out := tb.ints(&tb.out, nd+1)
	rowEnd := tb.ints(&tb.rowEnd, U)
	for b := 0; b < U; b++ {
		pre := w.pre[b*S : b*S+S]
		// The selected dead latents in ascending feature order.
		ks := w.dead
		if kAux < nd {
			ks = tb.sel.selectTop(pre, w.dead, kAux, out)
		}
		tb.aFeat = append(tb.aFeat, ks...)
		for _, i := range ks {
			tb.aVal = append(tb.aVal, pre[i])
			tb.aRow = append(tb.aRow, int32(b))
		}
		rowEnd[b] = int32(len(tb.aFeat))
	}
	// The AuxK reconstructions (into drecAll), decoder rows a block of
	// features at a time so that the block stays in cache across the rows;
	// per element the sums run in ascending feature order, as one gathered
	// axpy per row would.
	for b := 0; b < U; b++ {
		copy(drecAll[b*D:b*D+D], s.BDec)
	}
	cur := tb.ints(&tb.cur, U)
	cur[0] = 0
	copy(cur[1:], rowEnd[:U-1])
	fb := max(16, auxBlockBytes/(4*D))
	for f1 := fb; ; f1 += fb {
		for b := 0; b < U; b++ {
			lo, hi := cur[b], cur[b]
			for hi < rowEnd[b] && int(tb.aFeat[hi]) < f1 {
				hi++
			}
			gaxpy(drecAll[b*D:b*D+D], s.WDec, D, tb.aFeat[lo:hi], tb.aVal[lo:hi])
			cur[b] = hi
		}
		if f1 >= S {
			break
		}
	}
	for b := 0; b < U; b++ {
		m := w.mult[b]
		rn := w.norms[b]
		xb := x[b*D : b*D+D]
		xh := w.xhat[b*D : b*D+D]
		drec := drecAll[b*D : b*D+D] // holds the reconstruction until overwritten
		var a float32
		kd := coef * 2 / float32(B) * rn.kout * m
		for j, rec := range drec {
			r := xb[j] - xh[j]
			d := rec*rn.kout + rn.mu - r
			a += d * d
			drec[j] = kd * d
			gBDec[j] += drec[j]
		}
		aux += float64(a * m)
	}
	s.topkBackward(w, tb, drecAll, gWEncT, gWDec, gBEnc, gBDec)
	L.Aux = float64(coef) * aux / float64(B)
	return nil
}

// topkSelect fills the active lists (w.actIdx/actVal/actN) from w.pre: the
// k largest positive pre-activations of every step row (topk), or, when
// batch, the KBatch·B largest of the batch (batchtopk, which also records the
// smallest positive selected value in w.minPos / w.anyPos).
func (s *SAE) topkSelect(w *workspace, batch bool) {
	B, U, S := w.b, w.u, w.s
	if !batch {
		w.activeLists(max(0, min(s.K, S))) // a row keeps at most k
		// Every row on its own: spans of rows over the cores, each
		// goroutine with its own selection scratch.
		work := U * S
		nw := spanWorkers(U, topkRowSpan, work)
		for len(w.scratchW) < nw-1 {
			w.scratchW = append(w.scratchW, make([]int32, S))
		}
		forSpansWorker(U, topkRowSpan, work, func(g, _, lo, hi int) {
			scratch := w.scratch
			if g > 0 {
				scratch = w.scratchW[g-1]
			}
			for b := lo; b < hi; b++ {
				s.topkSelectRow(w, b, scratch)
			}
		})
	} else {
		w.activeLists(S)
		m := int(s.KBatch * float64(B))
		all := w.scratchN(B * S)
		for k := range all {
			all[k] = int32(k)
		}
		pre := w.pre
		if m < len(all) {
			// Select on relu(pre), kept in actVal until the active lists
			// below overwrite it.
			rv := w.actVal[:B*S]
			for k, v := range pre[:B*S] {
				if v > 0 {
					rv[k] = v
				} else {
					rv[k] = 0
				}
			}
			selectTopValues(all, rv, m)
		}
		sel := all[:min(m, len(all))]
		sortInt32(sel)
		for b := range w.actN[:B] {
			w.actN[b] = 0
		}
		w.anyPos = false
		for _, k := range sel {
			if pre[k] > 0 {
				b := int(k) / S
				n := w.actN[b]
				w.actIdx[b*S+int(n)] = k % int32(S) // ls = S
				w.actVal[b*S+int(n)] = pre[k]
				w.actN[b] = n + 1
				if !w.anyPos || pre[k] < w.minPos {
					w.minPos = pre[k]
				}
				w.anyPos = true
			}
		}
	}
}

// topkRowSpan is the number of step rows a goroutine of the topk step's
// per-row passes takes at a time.
const topkRowSpan = 8

// topkFeatSpan is the number of features a goroutine of topkBackward
// takes at a time.
const topkFeatSpan = 64

// topkSelectRow fills step row b's active list with its k largest positive
// pre-activations in ascending feature order (scratch: [d_sae]).
func (s *SAE) topkSelectRow(w *workspace, b int, scratch []int32) {
	S := w.s
	pre := w.pre[b*S : b*S+S]
	sel := topKIndices(pre, s.K, scratch)
	sortInt32(sel)
	o := w.actOff[b]
	idx := w.actIdx[o : o+len(sel)]
	val := w.actVal[o : o+len(sel)]
	n := 0
	for _, i := range sel {
		if pre[i] > 0 {
			idx[n] = i
			val[n] = pre[i]
			n++
		}
	}
	w.actN[b] = int32(n)
}

// topkMainGrads lists the main loss's gradient entries (feature, row,
// pre-activation gradient dy_b·W_dec[i]) in row order, then adds their
// bias gradients: b_enc, and b_dec through the centred input (-Σ dp·W_enc
// column), each element summing the entries in list order — the order of
// topkMainGradsRef, the plain loop, so the values are the same; the dots
// split over the cores by rows, the b_dec sums by columns.
func (s *SAE) topkMainGrads(w *workspace, tb *topkBuffers, gBEnc, gBDec []float32) {
	U, D := w.u, w.d
	nm := 0
	for _, n := range w.actN[:U] {
		nm += int(n)
	}
	tb.mFeat = tb.ints(&tb.mFeat, nm)
	tb.mRow = tb.ints(&tb.mRow, nm)
	tb.mVal = tb.floats(&tb.mVal, nm)
	off := tb.ints(&tb.off, U)
	nm = 0
	for b, n := range w.actN[:U] {
		off[b] = int32(nm)
		nm += int(n)
	}
	forSpans(U, topkRowSpan, nm*D, func(_, lo, hi int) {
		for b := lo; b < hi; b++ {
			n := int(w.actN[b])
			o := int(off[b])
			dy := w.dy[b*D : b*D+D] // already weighted by mult[b]
			for t, i := range w.actIdx[w.actOff[b] : w.actOff[b]+n] {
				tb.mFeat[o+t] = i
				tb.mRow[o+t] = int32(b)
				tb.mVal[o+t] = dot(dy, s.WDec[int(i)*D:int(i)*D+D])
			}
		}
	})
	if gBEnc != nil {
		for t, i := range tb.mFeat {
			gBEnc[i] += tb.mVal[t]
		}
	}
	if s.ApplyBDecToInput {
		axpyGatherCols(gBDec, s.WEncT, tb.mFeat, tb.mVal, -1)
	}
}

// auxBlockBytes is the size of the decoder-row blocks the AuxK
// reconstruction works through (about a quarter of a 1 MiB L2 cache; tests
// shrink it).
var auxBlockBytes = 256 << 10

// topkBuffers is the scratch of one topk step beyond the workspace:
// the gradient entries (feature, row, value) of the main loss (value: the
// pre-activation gradient) and of AuxK (value: the aux activation), and
// their copies grouped by feature.
type topkBuffers struct {
	sel          keySelect
	out, rowEnd  []int32
	off          []int32
	cur          []int32
	drec, dps    []float32
	mFeat, mRow  []int32
	mVal         []float32
	aFeat, aRow  []int32
	aVal         []float32
	mCnt, aCnt   []int32
	mSRow, aSRow []int32
	mSVal, aSVal []float32
	encRow       []int32
	encVal       []float32
}

var topkPool = sync.Pool{New: func() any { return new(topkBuffers) }}

func (tb *topkBuffers) reset() {
	tb.mFeat, tb.mRow, tb.mVal = tb.mFeat[:0], tb.mRow[:0], tb.mVal[:0]
	tb.aFeat, tb.aRow, tb.aVal = tb.aFeat[:0], tb.aRow[:0], tb.aVal[:0]
}

func (tb *topkBuffers) floats(p *[]float32, n int) []float32 {
	if cap(*p) < n {
		*p = make([]float32, n)
	}
	return (*p)[:n]
}

func (tb *topkBuffers) ints(p *[]int32, n int) []int32 {
	if cap(*p) < n {
		*p = make([]int32, n)
	}
	return (*p)[:n]
}

// topkBiasGrad adds the bias gradients of pre-activation gradient dp of
// feature i: b_enc, and b_dec through the centred input when b_dec is
// subtracted from it.
func (s *SAE) topkBiasGrad(i int32, dp float32, gBEnc, gBDec []float32) {
	if gBEnc != nil {
		gBEnc[i] += dp
	}
	if s.ApplyBDecToInput {
		D := s.DIn
		axpy(-dp, s.WEncT[int(i)*D:int(i)*D+D], gBDec)
	}
}

// topkBackward finishes the step's gradients feature by feature: for a
// feature with AuxK entries, their pre-activation gradients (decoder row ·
// drec row, with the bias gradients) and the AuxK W_dec gradient row; then
// the W_enc gradient row from the main entries followed by the AuxK ones
// (each gradient element sums its entries in row order, main loss first).
// drecAll is nil without AuxK.
func (s *SAE) topkBackward(w *workspace, tb *topkBuffers, drecAll, gWEncT, gWDec, gBEnc, gBDec []float32) {
	D, S := w.d, w.s
	nm, na := len(tb.mFeat), len(tb.aFeat)
	if nm+na == 0 {
		return
	}
	mCnt := tb.ints(&tb.mCnt, S+1)
	mSRow := tb.ints(&tb.mSRow, nm)
	mSVal := tb.floats(&tb.mSVal, nm)
	groupByFeature(mCnt, tb.mFeat, tb.mRow, tb.mVal, mSRow, mSVal)
	aCnt := tb.ints(&tb.aCnt, S+1)
	aSRow := tb.ints(&tb.aSRow, na)
	aSVal := tb.floats(&tb.aSVal, na)
	if na > 0 {
		groupByFeature(aCnt, tb.aFeat, tb.aRow, tb.aVal, aSRow, aSVal)
	} else {
		// Main entries only: every feature's W_enc gradient row on its
		// own, spans of features over the cores (the same values as the
		// loop below).
		forSpans(S, topkFeatSpan, nm*D, func(_, lo, hi int) {
			for f := lo; f < hi; f++ {
				mlo := int32(0)
				if f > 0 {
					mlo = mCnt[f-1]
				}
				if mhi := mCnt[f]; mhi > mlo {
					gaxpy(gWEncT[f*D:f*D+D], w.c, D, mSRow[mlo:mhi], mSVal[mlo:mhi])
				}
			}
		})
		return
	}
	var mlo, alo int32
	for f := 0; f < S; f++ {
		mhi, ahi := mCnt[f], aCnt[f]
		if mhi == mlo && ahi == alo {
			continue
		}
		if ahi == alo {
			gaxpy(gWEncT[f*D:f*D+D], w.c, D, mSRow[mlo:mhi], mSVal[mlo:mhi])
			mlo = mhi
			continue
		}
		encRow := append(tb.encRow[:0], mSRow[mlo:mhi]...)
		encVal := append(tb.encVal[:0], mSVal[mlo:mhi]...)
		dps := tb.floats(&tb.dps, int(ahi-alo))
		dotRows(dps, s.WDec[f*D:f*D+D], drecAll, aSRow[alo:ahi])
		if gBEnc != nil {
			g := gBEnc[f]
			for _, dp := range dps {
				g += dp
			}
			gBEnc[f] = g
		}
		if s.ApplyBDecToInput {
			for _, dp := range dps {
				axpy(-dp, s.WEncT[f*D:f*D+D], gBDec)
			}
		}
		encRow = append(encRow, aSRow[alo:ahi]...)
		encVal = append(encVal, dps...)
		tb.encRow, tb.encVal = encRow, encVal
		gaxpy(gWDec[f*D:f*D+D], drecAll, D, aSRow[alo:ahi], aSVal[alo:ahi])
		gaxpy(gWEncT[f*D:f*D+D], w.c, D, encRow, encVal)
		mlo, alo = mhi, ahi
	}
}

// dotRows writes dst[t] = w · src[rows[t]·len(w) : (rows[t]+1)·len(w)]:
// dot products of one vector with gathered rows, four rows a kernel call
// with AVX2 (w read once for the four).
func dotRows(dst, w, src []float32, rows []int32) {
	D := len(w)
	dst = dst[:len(rows)]
	t := 0
	if useAVX2 && D >= 16 {
		D16 := D &^ 15
		var o [4]float32
		for _, b := range rows {
			if b < 0 || (int(b)+1)*D > len(src) {
				panic("sae: dotRows row outside src")
			}
		}
		for ; t+4 <= len(rows); t += 4 {
			r0, r1, r2, r3 := int(rows[t])*D, int(rows[t+1])*D, int(rows[t+2])*D, int(rows[t+3])*D
			dot4AVX2(&w[0], &src[r0], &src[r1], &src[r2], &src[r3], D16, &o)
			for j := D16; j < D; j++ {
				wj := w[j]
				o[0] += wj * src[r0+j]
				o[1] += wj * src[r1+j]
				o[2] += wj * src[r2+j]
				o[3] += wj * src[r3+j]
			}
			dst[t], dst[t+1], dst[t+2], dst[t+3] = o[0], o[1], o[2], o[3]
		}
	}
	for ; t < len(rows); t++ {
		b := int(rows[t])
		dst[t] = dot(src[b*D:b*D+D], w)
	}
}
