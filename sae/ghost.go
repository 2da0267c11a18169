package sae

import "math"

// ghostBuffers are the padded matrices of the ghost-grad computation.
type ghostBuffers struct {
	dp          int
	h, dh, dpre []float32 // [B, nDead] (dh: [B, ndp])
	wd, wdT     []float32 // [nDead, dp], [dp, ndp]
	g, dg, cP   []float32 // [B, dp]
	gwd, gwe    []float32 // [nDead, dp]
	colSum      []float32 // [nDead]
}

func (w *workspace) ghostBufs() *ghostBuffers {
	if w.gb == nil {
		dp := (w.d + 7) &^ 7
		B := w.b
		w.gb = &ghostBuffers{dp: dp, g: make([]float32, B*dp), dg: make([]float32, B*dp), cP: make([]float32, B*dp)}
	}
	gb := w.gb
	// The dead-feature buffers are sized for this step's dead count (all
	// of d_sae would be 3 [B, d_sae] slabs, 300 MB at issue 16's size),
	// grown when more features are dead.
	nd := len(w.dead)
	ndp := (nd + 7) &^ 7
	B, dp := w.b, gb.dp
	grow := func(v *[]float32, n int) {
		if len(*v) < n {
			*v = make([]float32, n)
		}
	}
	grow(&gb.h, B*nd)
	grow(&gb.dh, B*ndp)
	grow(&gb.dpre, B*nd)
	grow(&gb.wd, nd*dp)
	grow(&gb.wdT, dp*ndp)
	grow(&gb.gwd, nd*dp)
	grow(&gb.gwe, nd*dp)
	grow(&gb.colSum, nd)
	return gb
}

// ghostExp fills the ghost buffers' h = exp(pre[:, dead]) for the step
// rows from w.pre (the dense standard step calls it before it turns pre
// into the activations in place; ghostGrads otherwise).
func (w *workspace) ghostExp() {
	gb := w.ghostBufs()
	U, S := w.u, w.s
	nd := len(w.dead)
	for b := 0; b < U; b++ {
		pre := w.pre[b*S : b*S+S]
		h := gb.h[b*nd : b*nd+nd]
		for k, i := range w.dead {
			h[k] = expf(pre[i])
		}
	}
	w.ghostHReady = true
}

// ghostGrads adds the ghost-grad loss of SAELens 3.12/4.4.5 and its
// gradients: dead features decode exp(hidden_pre), rescaled to half the
// residual norm, and are trained to predict the residual, with the loss
// rescaled per element to the size of the MSE. The dead features' work is
// done as small dense products over the dead set.
func (s *SAE) ghostGrads(w *workspace, x []float32, o *stepOptions, gr grads) float64 {
	B, U, D := w.b, w.u, w.d
	gWEncT, gWDec, gBEnc, gBDec := gr[0], gr[1], gr[2], gr[3]
	gb := w.ghostBufs()
	dp := gb.dp
	nd := len(w.dead)
	ndp := (nd + 7) &^ 7
	inv := 1 / float32(B*D)
	var wres []float32
	if o.denseMSE {
		// residual-based normalisation (SAELens normalises by the target)
		r := make([]float32, U*D)
		for k := range r {
			r[k] = x[k] - w.xhat[k]
		}
		wres = make([]float32, U)
		denseBatchWeights(r, U, D, w.mult, wres)
	}
	// Dead decoder rows, padded, and their transpose. wd's padding columns
	// are never written (zero), so the transpose's rows D..dp are zero; its
	// columns nd..ndp keep finite values of earlier steps, which only reach
	// the unused columns nd..ndp of dh.
	if nd > 0 {
		if !ghostRows(w) {
			for k, i := range w.dead {
				copyRows(gb.wd[k*dp:k*dp+D], dp, s.WDec[int(i)*D:int(i)*D+D], D, 1, D)
			}
			transposeTo(gb.wdT, ndp, gb.wd[:nd*dp], nd, dp)
		}
		// h = exp(pre[:, dead]) unless the dense step took it before
		// overwriting pre; g = h·W_dec[dead]
		if !w.ghostHReady {
			w.ghostExp()
		}
	}
	w.ghostHReady = false
	clear(gb.g[:U*dp])
	if ghostRows(w) {
		// g_b = Σ_k h[b, k]·W_dec[dead k], straight from W_dec
		for b := 0; b < U; b++ {
			gaxpy(gb.g[b*dp:b*dp+D], s.WDec, D, w.dead, gb.h[b*nd:b*nd+nd])
		}
	} else {
		gemmAcc(gb.g, gb.h[:U*nd], gb.wd[:nd*dp], U, nd, dp)
	}
	var loss float64
	for b := 0; b < U; b++ {
		xb := x[b*D : b*D+D]
		xh := w.xhat[b*D : b*D+D]
		g := gb.g[b*dp : b*dp+D]
		dg := gb.dg[b*dp : b*dp+D]
		var rr, gg float32
		for j := range xb {
			r := xb[j] - xh[j]
			rr += r * r
			gg += g[j] * g[j]
		}
		sc := float32(math.Sqrt(float64(rr))) / (1e-6 + float32(math.Sqrt(float64(gg)))*2)
		wm := w.wmse[b]
		mult := w.mult[b]
		wr := float32(1)
		if wres != nil {
			wr = wres[b]
		}
		for j := range xb {
			r := xb[j] - xh[j]
			e := g[j]*sc - r
			e2 := e * e * wr
			m := r * r * wm
			R := m / (e2 + 1e-6)
			loss += float64(R * e2 * mult)
			dg[j] = sc * R * wr * 2 * e * inv * mult
		}
	}
	if nd == 0 {
		return loss * float64(inv)
	}
	if ghostRows(w) {
		s.ghostBackRows(w, gb, gr)
		return loss * float64(inv)
	}
	copyRows(gb.cP, dp, w.c, D, U, D)
	// dh = dg·W_dec[dead]ᵀ; dpre = dh ⊙ h
	clear(gb.dh[:U*ndp])
	gemmAcc(gb.dh[:U*ndp], gb.dg, gb.wdT[:dp*ndp], U, dp, ndp)
	clear(gb.colSum[:nd])
	for b := 0; b < U; b++ {
		h := gb.h[b*nd : b*nd+nd]
		dh := gb.dh[b*ndp : b*ndp+nd]
		dpre := gb.dpre[b*nd : b*nd+nd]
		for k := range h {
			dpre[k] = dh[k] * h[k]
			gb.colSum[k] += dpre[k]
		}
	}
	// W_dec[dead] += hᵀ·dg; W_enc[:, dead] += dpreᵀ·c
	clear(gb.gwd[:nd*dp])
	gemmTNAcc(gb.gwd[:nd*dp], gb.h[:U*nd], gb.dg, U, nd, dp)
	clear(gb.gwe[:nd*dp])
	gemmTNAcc(gb.gwe[:nd*dp], gb.dpre[:U*nd], gb.cP, U, nd, dp)
	for k, i := range w.dead {
		gd := gWDec[int(i)*D : int(i)*D+D]
		ge := gWEncT[int(i)*D : int(i)*D+D]
		// y += 1·x is y + x exactly (one rounding, FMA or not)
		axpy(1, gb.gwd[k*dp:k*dp+D], gd)
		axpy(1, gb.gwe[k*dp:k*dp+D], ge)
		gBEnc[i] += gb.colSum[k]
		if s.ApplyBDecToInput {
			axpy(-gb.colSum[k], s.WEncT[int(i)*D:int(i)*D+D], gBDec)
		}
	}
	return loss * float64(inv)
}

// ghostRowsMax is the most step rows for which the ghost-grad backward pass
// runs dead row by dead row (dots and axpys straight on W_dec and the
// gradient rows) instead of as padded dense products, for rows of at least
// ghostRowsMinD values: with so few rows the products' gathers, transposes,
// clears and add-backs (several passes over the dead rows) cost more than
// the arithmetic they organise. Batches of a constant hook (one distinct
// row, every feature dead) are the usual case. Narrow rows stay with the
// products (BenchmarkGhostPaths: at d_in 12 the row calls cost more, about
// even at 40–64, 1.7× faster at 244).
var ghostRowsMax, ghostRowsMinD = 2, 64

func ghostRows(w *workspace) bool { return w.u <= ghostRowsMax && w.d >= ghostRowsMinD }

// ghostBackRows is the backward part of ghostGrads for a few step rows:
// dh = dg·W_dec[dead]ᵀ, dpre = dh ⊙ h, and the W_dec, W_enc, b_enc (and
// b_dec) gradients of the dead rows, each gradient row read and written
// once. Per element the sums run over the rows in order.
func (s *SAE) ghostBackRows(w *workspace, gb *ghostBuffers, gr grads) {
	U, D := w.u, w.d
	dp := gb.dp
	nd := len(w.dead)
	gWEncT, gWDec, gBEnc, gBDec := gr[0], gr[1], gr[2], gr[3]
	for k, i := range w.dead {
		row := s.WDec[int(i)*D : int(i)*D+D]
		gd := gWDec[int(i)*D : int(i)*D+D]
		ge := gWEncT[int(i)*D : int(i)*D+D]
		var cs float32
		for b := 0; b < U; b++ {
			dg := gb.dg[b*dp : b*dp+D]
			h := gb.h[b*nd+k]
			dpre := dot(dg, row) * h
			cs += dpre
			axpy(h, dg, gd)
			axpy(dpre, w.c[b*D:b*D+D], ge)
		}
		gBEnc[i] += cs
		if s.ApplyBDecToInput {
			axpy(-cs, s.WEncT[int(i)*D:int(i)*D+D], gBDec)
		}
	}
}
