package sae

import (
	"math"
	"sync/atomic"
)

// denseBuffers are the padded matrices of the dense standard step
// (d_in padded to a multiple of 8: dp). When dp = d_in the padded row
// buffers are the workspace's own (y, dy, c) and the decoder copy is W_dec
// itself; dF is the workspace's dots slab; the activations replace the
// pre-activations in place (ghost grads take exp(pre) of the dead
// features first), and actVal, unused by the dense path, is the
// small-shape products' transpose scratch.
type denseBuffers struct {
	dp             int
	wdecP, wdecT   []float32 // [S, dp] (nil when dp = d_in), [dp, S]
	yP, dyP, cP    []float32 // [B, dp] (nil when dp = d_in)
	gWDecP, gWEncP []float32 // [S, dp] (nil when dp = d_in)
	smallT         []float32 // [d_in, B] transposed operand of the large weight-gradient products
	colSum         []float32 // [S]
}

func (w *workspace) dense() *denseBuffers {
	if w.db == nil {
		dp := (w.d + 7) &^ 7
		B, S := w.b, w.s
		w.db = &denseBuffers{dp: dp, wdecT: make([]float32, dp*S), colSum: make([]float32, S)}
		if dp != w.d {
			w.db.wdecP, w.db.gWDecP, w.db.gWEncP = make([]float32, S*dp), make([]float32, S*dp), make([]float32, S*dp)
			w.db.yP, w.db.dyP, w.db.cP = make([]float32, B*dp), make([]float32, B*dp), make([]float32, B*dp)
		}
	}
	return w.db
}

// stepStandardDense is stepStandard computed with dense products: the same
// loss and gradients, faster when d_sae is small.
func (s *SAE) stepStandardDense(w *workspace, x []float32, o *stepOptions, gr grads, L *StepLosses) error {
	B, U, D, S := w.b, w.u, w.d, w.s
	db := w.dense()
	dp := db.dp
	gWEncT, gWDec, gBEnc, gBDec := gr[0], gr[1], gr[2], gr[3]
	s.encodeOnce(w, s.BEnc, o)
	tanh := s.ActivationFn == "tanh-relu"
	// The activations replace the pre-activations in place; ghost grads
	// take the dead features' exp(pre) first (all they read of pre).
	fAll := w.pre
	runGhost := o.ghost && (len(w.dead) > 0 || !o.skipIdleGhostLoss)
	if runGhost && len(w.dead) > 0 {
		w.ghostExp()
	}
	w.fDense = fAll
	dfAll := w.dotsSlab()
	wdecP, yP, dyP, cP := db.wdecP, db.yP, db.dyP, db.cP
	if dp == D {
		wdecP, yP, dyP, cP = s.WDec, w.y, w.dy, w.c
	}
	// The transpose scratch of the small-shape weight-gradient products:
	// actVal (the dense path keeps no active lists).
	tbuf := w.actValSlab
	// Activations, branch-free: f = relu(pre) (tanh-relu: tanh of it), the
	// active count per row and per feature (the firing statistics).
	clear(w.colCount)
	clear(w.actN[:U])
	forBlocks(S, U*S, func(_, lo, hi int) {
		cc := w.colCount[lo:hi]
		for b := 0; b < U; b++ {
			pre := w.pre[b*S+lo : b*S+hi]
			f := fAll[b*S+lo : b*S+hi]
			// the firing statistics count every batch row: m per step row
			n := int32(reluCount(f, pre, cc, int32(w.mult[b])))
			atomic.AddInt32(&w.actN[b], n)
			if tanh {
				for i, v := range f {
					if v > 0 {
						f[i] = float32(math.Tanh(float64(v)))
					}
				}
			}
		}
	})
	w.denseActs = true
	// Padded decoder copies.
	if dp != D {
		copyRows(wdecP, dp, s.WDec, D, S, D)
	}
	// y = f·W_dec + b_dec
	copyRows(yP, dp, s.BDec, 0, U, D)
	gemmAcc(yP[:U*dp], fAll[:U*S], wdecP, U, S, dp)
	// Reconstruction, MSE and dLoss/dy (weighted by the row multiplicity).
	w.mseWeights(x, o)
	invB := 1 / float32(B)
	rs := w.rowSumsBuf()
	forRows(U, D, func(lo, hi int) {
		for b := lo; b < hi; b++ {
			xb := x[b*D : b*D+D]
			y := yP[b*dp : b*dp+D]
			xh := w.xhat[b*D : b*D+D]
			dy := dyP[b*dp : b*dp+D]
			rn := w.norms[b]
			k := 2 * w.wmse[b] * invB * rn.kout * w.mult[b]
			var r float32
			for j := range xb {
				v := y[j]*rn.kout + rn.mu
				xh[j] = v
				e := v - xb[j]
				r += e * e
				dy[j] = k * e
			}
			rs[b] = r
		}
	})
	L.MSE = w.reduceMSERows(rs, dyP, dp, U, D, gBDec) / float64(B)
	if dp != D {
		copyRows(cP, dp, w.c, D, U, D)
	}
	// dF = dy·W_decᵀ
	clearPar(dfAll[:U*S])
	if dp == D && encodeFromT(dyP[:U*D], U, D, S) {
		// on W_dec itself, W_decᵀ's transpose (the same values)
		gemmAccBlockedT(dfAll[:U*S], dyP[:U*D], s.WDec, U, D, S)
	} else {
		transposePar(db.wdecT, S, s.WDec, S, D)
		gemmAcc(dfAll[:U*S], dyP[:U*dp], db.wdecT, U, dp, S)
	}
	// Sparsity penalty and dLoss/dpre (written into df).
	s.penaltyWeights(w, o)
	clear(w.featAcc)
	clear(db.colSum)
	lam := o.coeff / float32(B)
	p := o.lp
	fast := p == 1 && !o.scaleByDec && !tanh
	// Per column block: the rows' partial norms (combined in block order
	// below) and the per-feature sums over the rows in row order.
	nb := nBlocks(S)
	part := w.blockPartials(nb, U)
	if p != 1 {
		// The L_p norm of each row first: its gradient needs the whole row's.
		forBlocks(S, U*S, func(k, lo, hi int) {
			wdn := w.wdn[lo:hi]
			for b := 0; b < U; b++ {
				f := fAll[b*S+lo : b*S+hi]
				var acc float64
				for i, v := range f {
					if v > 0 {
						acc += math.Pow(float64(v*wdn[i]), p)
					}
				}
				part[k*U+b] = acc
			}
		})
	}
	rowNorm := func(b int) float32 {
		var acc float64
		for k := 0; k < nb; k++ {
			acc += part[k*U+b]
		}
		return float32(math.Pow(acc, 1/p))
	}
	forBlocks(S, U*S, func(k, lo, hi int) {
		cs, fa, wdn := db.colSum[lo:hi], w.featAcc[lo:hi], w.wdn[lo:hi]
		for b := 0; b < U; b++ {
			f := fAll[b*S+lo : b*S+hi]
			df := dfAll[b*S+lo : b*S+hi]
			m := w.mult[b]
			lamM := lam * m
			if fast {
				// L1 with unweighted ReLU activations: one fused branch-free pass.
				part[k*U+b] = float64(l1Fused(df, f, cs, lamM))
				continue
			}
			var norm, scale float32
			if p == 1 {
				for i, v := range f {
					norm += v * wdn[i]
				}
				part[k*U+b] = float64(norm)
			} else {
				norm = rowNorm(b)
				if norm > 0 {
					scale = float32(math.Pow(float64(norm), 1-p))
				}
			}
			for i, v := range f {
				if v <= 0 {
					df[i] = 0
					continue
				}
				var dv float32
				if p == 1 {
					dv = lamM
				} else if norm > 0 {
					dv = lamM * float32(math.Pow(float64(v*wdn[i]), p-1)) * scale
				}
				d := df[i] + dv*wdn[i]
				if o.scaleByDec {
					fa[i] += dv * v
				}
				if tanh {
					d *= 1 - v*v
				}
				df[i] = d
				cs[i] += d
			}
		}
	})
	var pen float64
	for b := 0; b < U; b++ {
		var norm float32
		if p == 1 {
			for k := 0; k < nb; k++ {
				norm += float32(part[k*U+b])
			}
		} else {
			norm = rowNorm(b)
		}
		pen += float64(norm * w.mult[b])
	}
	L.L1 = float64(o.coeff) * pen / float64(B)
	// W_dec gradient: fᵀ·dy; W_enc gradient: dpreᵀ·c.
	// The gradients are zero on entry (forwardBackward's contract) and the
	// dense step writes them first: products go straight in when d_in needs
	// no padding, else through the padded buffers by row copies.
	if dp == D && useAVX2 && U*S*D >= tnTransposeMinWork && D >= 16 {
		// Large: the products' transposes, [D, S] = dyᵀ·f and cᵀ·dF, into
		// W_decᵀ's copy (free now), then transposed into the gradients:
		// the operand the product transposes is then a [U, d_in] one
		// instead of a [U, d_sae] one (100 MB at issue 16's size), so
		// actVal stays untouched in the dense phase.
		if len(db.smallT) < U*D {
			db.smallT = make([]float32, w.b*D)
		}
		tT := db.wdecT[:D*S]
		clearPar(tT)
		gemmTNAccBuf(tT, dyP[:U*D], fAll[:U*S], U, D, S, db.smallT)
		transposePar(gWDec, D, tT, D, S)
		clearPar(tT)
		gemmTNAccBuf(tT, cP[:U*D], dfAll[:U*S], U, D, S, db.smallT)
		transposePar(gWEncT, D, tT, D, S)
	} else if dp == D {
		gemmTNAccBuf(gWDec, fAll[:U*S], dyP[:U*D], U, S, D, tbuf())
		gemmTNAccBuf(gWEncT, dfAll[:U*S], cP[:U*D], U, S, D, tbuf())
	} else {
		clear(db.gWDecP)
		gemmTNAccBuf(db.gWDecP, fAll[:U*S], dyP[:U*dp], U, S, dp, tbuf())
		clear(db.gWEncP)
		gemmTNAccBuf(db.gWEncP, dfAll[:U*S], cP[:U*dp], U, S, dp, tbuf())
		copyRows(gWDec, D, db.gWDecP, dp, S, D)
		copyRows(gWEncT, D, db.gWEncP, dp, S, D)
	}
	for i := 0; i < S; i++ {
		gBEnc[i] += db.colSum[i]
	}
	if s.ApplyBDecToInput {
		// A reduction over the features into b_dec's gradient: in order.
		w.bdecThroughInput(gBDec, s.WEncT, db.colSum[:S])
	}
	if o.scaleByDec {
		forBlocks(S, S*D, func(_, lo, hi int) {
			for i := lo; i < hi; i++ {
				if w.featAcc[i] != 0 && w.wdn[i] > 0 {
					axpy(w.featAcc[i]/w.wdn[i], s.WDec[i*D:i*D+D], gWDec[i*D:i*D+D])
				}
			}
		})
	}
	if runGhost {
		L.Ghost = s.ghostGrads(w, x, o, gr)
	}
	return nil
}

// copySmall is copy(dst, src) for short rows (len(dst) ≤ len(src)): four
// values per move, with no call into the runtime's memmove.
func copySmall(dst, src []float32) {
	src = src[:len(dst)]
	j := 0
	for ; j+4 <= len(dst); j += 4 {
		*(*[4]float32)(dst[j:]) = *(*[4]float32)(src[j:])
	}
	for ; j < len(dst); j++ {
		dst[j] = src[j]
	}
}

// copyRows copies rows rows of d values from src (row stride lds) to dst
// (row stride ldd).
func copyRows(dst []float32, ldd int, src []float32, lds int, rows, d int) {
	if rows == 0 || d == 0 {
		return
	}
	_ = dst[(rows-1)*ldd+d-1]
	_ = src[(rows-1)*lds+d-1]
	if useAVX2 && d%4 == 0 {
		copyRowsAVX(&dst[0], ldd, &src[0], lds, rows, d)
		return
	}
	if useAVX2 && ldd >= (d+7)&^7 {
		// padded destination rows: the tail merged into 8 whole lanes
		copyRowsBlendAVX(&dst[0], ldd, &src[0], lds, rows, d, &laneMasks[8-d%8])
		return
	}
	if useAVX2 {
		copyRowsMaskAVX(&dst[0], ldd, &src[0], lds, rows, d, &laneMasks[8-d%8])
		return
	}
	for i := 0; i < rows; i++ {
		copySmall(dst[i*ldd:i*ldd+d], src[i*lds:i*lds+d])
	}
}

// laneMasks[8-t:] is the AVX lane mask of the first t lanes (t ≤ 8).
var laneMasks = [16]int32{-1, -1, -1, -1, -1, -1, -1, -1}

// reduceMSERows is the dense steps' reduction over the U distinct rows, in
// row order: it returns Σ_b rs[b]·wmse[b]·mult[b] (the weighted squared
// error) and adds each row's dy (row stride stride, D used) into gBDec.
func (w *workspace) reduceMSERows(rs, dy []float32, stride, U, D int, gBDec []float32) float64 {
	var mse float64
	for b := 0; b < U; b++ {
		mse += float64(rs[b] * w.wmse[b] * w.mult[b])
		row := dy[b*stride : b*stride+D]
		for j := range row {
			gBDec[j] += row[j]
		}
	}
	return mse
}
