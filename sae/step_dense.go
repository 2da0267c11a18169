package sae

import "math"

// denseBuffers are the padded matrices of the dense standard step
// (d_in padded to a multiple of 8: dp). When dp = d_in the padded row
// buffers are the workspace's own (y, dy, c) and the decoder copy is W_dec
// itself; dF is the workspace's dots slab; f is allocated only when the
// pre-activations must outlive the step's activations (ghost grads).
type denseBuffers struct {
	dp             int
	f              []float32 // [B, S], nil until needed
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
	// The activations replace the pre-activations in place unless ghost
	// grads read the dead features' pre-activations after the penalty.
	fAll := w.pre
	if o.ghost {
		if db.f == nil {
			db.f = make([]float32, B*S)
		}
		fAll = db.f
	}
	w.fDense = fAll
	dfAll := w.dotsSlab()
	wdecP, yP, dyP, cP := db.wdecP, db.yP, db.dyP, db.cP
	if dp == D {
		wdecP, yP, dyP, cP = s.WDec, w.y, w.dy, w.c
	}
	tbuf := w.actVal // the dense path keeps no active lists
	// Activations, branch-free: f = relu(pre) (tanh-relu: tanh of it), the
	// active count per row and per feature (the firing statistics).
	clear(w.colCount)
	cc := w.colCount[:S]
	for b := 0; b < U; b++ {
		pre := w.pre[b*S : b*S+S]
		f := fAll[b*S : b*S+S]
		f = f[:len(pre)]
		cc = cc[:len(pre)]
		// the firing statistics count every batch row: m per step row
		w.actN[b] = int32(reluCount(f, pre, cc, int32(w.mult[b])))
		if tanh {
			for i, v := range f {
				if v > 0 {
					f[i] = float32(math.Tanh(float64(v)))
				}
			}
		}
	}
	w.denseActs = true
	// Padded decoder copies.
	if dp != D {
		copyRows(wdecP, dp, s.WDec, D, S, D)
	}
	transposeTo(db.wdecT, S, s.WDec, S, D)
	// y = f·W_dec + b_dec
	copyRows(yP, dp, s.BDec, 0, U, D)
	gemmAcc(yP[:U*dp], fAll[:U*S], wdecP, U, S, dp)
	// Reconstruction, MSE and dLoss/dy (weighted by the row multiplicity).
	w.mseWeights(x, o)
	var mse float64
	invB := 1 / float32(B)
	for b := 0; b < U; b++ {
		xb := x[b*D : b*D+D]
		y := yP[b*dp : b*dp+D]
		xh := w.xhat[b*D : b*D+D]
		dy := dyP[b*dp : b*dp+D]
		rn := w.norms[b]
		wb := w.wmse[b]
		m := w.mult[b]
		k := 2 * wb * invB * rn.kout * m
		var rs float32
		for j := range xb {
			v := y[j]*rn.kout + rn.mu
			xh[j] = v
			e := v - xb[j]
			rs += e * e
			dy[j] = k * e
			gBDec[j] += dy[j]
		}
		mse += float64(rs * wb * m)
	}
	L.MSE = mse / float64(B)
	if dp != D {
		copyRows(cP, dp, w.c, D, U, D)
	}
	// dF = dy·W_decᵀ
	clear(dfAll[:U*S])
	gemmAcc(dfAll[:U*S], dyP[:U*dp], db.wdecT, U, dp, S)
	// Sparsity penalty and dLoss/dpre (written into df).
	s.penaltyWeights(w, o)
	clear(w.featAcc)
	clear(db.colSum)
	lam := o.coeff / float32(B)
	p := o.lp
	var pen float64
	fast := p == 1 && !o.scaleByDec && !tanh
	for b := 0; b < U; b++ {
		f := fAll[b*S : b*S+S]
		df := dfAll[b*S : b*S+S]
		m := w.mult[b]
		lamM := lam * m
		if fast {
			// L1 with unweighted ReLU activations: one fused branch-free pass.
			norm := l1Fused(df, f, db.colSum, lamM)
			pen += float64(norm * m)
			continue
		}
		var norm, scale float32
		if p == 1 {
			for i, v := range f {
				norm += v * w.wdn[i]
			}
		} else {
			var acc float64
			for i, v := range f {
				if v > 0 {
					acc += math.Pow(float64(v*w.wdn[i]), p)
				}
			}
			norm = float32(math.Pow(acc, 1/p))
			if norm > 0 {
				scale = float32(math.Pow(float64(norm), 1-p))
			}
		}
		pen += float64(norm * m)
		for i, v := range f {
			if v <= 0 {
				df[i] = 0
				continue
			}
			var dv float32
			if p == 1 {
				dv = lamM
			} else if norm > 0 {
				dv = lamM * float32(math.Pow(float64(v*w.wdn[i]), p-1)) * scale
			}
			d := df[i] + dv*w.wdn[i]
			if o.scaleByDec {
				w.featAcc[i] += dv * v
			}
			if tanh {
				d *= 1 - v*v
			}
			df[i] = d
			db.colSum[i] += d
		}
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
		clear(tT)
		gemmTNAccBuf(tT, dyP[:U*D], fAll[:U*S], U, D, S, db.smallT)
		transposeTo(gWDec, D, tT, D, S)
		clear(tT)
		gemmTNAccBuf(tT, cP[:U*D], dfAll[:U*S], U, D, S, db.smallT)
		transposeTo(gWEncT, D, tT, D, S)
	} else if dp == D {
		gemmTNAccBuf(gWDec, fAll[:U*S], dyP[:U*D], U, S, D, tbuf)
		gemmTNAccBuf(gWEncT, dfAll[:U*S], cP[:U*D], U, S, D, tbuf)
	} else {
		clear(db.gWDecP)
		gemmTNAccBuf(db.gWDecP, fAll[:U*S], dyP[:U*dp], U, S, dp, tbuf)
		clear(db.gWEncP)
		gemmTNAccBuf(db.gWEncP, dfAll[:U*S], cP[:U*dp], U, S, dp, tbuf)
		copyRows(gWDec, D, db.gWDecP, dp, S, D)
		copyRows(gWEncT, D, db.gWEncP, dp, S, D)
	}
	for i := 0; i < S; i++ {
		gd := gWDec[i*D : i*D+D]
		gBEnc[i] += db.colSum[i]
		if s.ApplyBDecToInput && db.colSum[i] != 0 {
			axpy(-db.colSum[i], s.WEncT[i*D:i*D+D], gBDec)
		}
		if o.scaleByDec && w.featAcc[i] != 0 && w.wdn[i] > 0 {
			axpy(w.featAcc[i]/w.wdn[i], s.WDec[i*D:i*D+D], gd)
		}
	}
	if o.ghost && (len(w.dead) > 0 || !o.skipIdleGhostLoss) {
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
	for i := 0; i < rows; i++ {
		copySmall(dst[i*ldd:i*ldd+d], src[i*lds:i*lds+d])
	}
}
