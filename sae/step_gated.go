package sae

import (
	"math"
)

// gatedBuffers are the gated step's scratch buffers, kept in the workspace
// (w.gated) from step to step.
type gatedBuffers struct {
	gIdx  []int32   // open gates per row, rows at w.actOff (first gateN[b] of each row's room)
	gPi   []float32 // their π
	gF    []float32 // their activation f (0 where the magnitude is off)
	gateN []int32   // [U]
	// The open-gate entries by feature (CSR: feature i's entries are
	// eRow/ePi/eF[cnt[i]:cnt[i+1]], rows ascending).
	cnt     []int32
	eRow    []int32
	ePi, eF []float32
	// Rows padded to dp values (zeros past d_in) so that the AVX2 kernels
	// run without scalar tails: decoder copy, centred input, dLoss/dy then
	// dLoss/dvia rows, decode rows and a gradient row.
	dp       int
	wdecP    []float32 // [S, dp]
	cP       []float32 // [U, dp]
	dyv      []float32 // [2U, dp]
	yP, viaP []float32 // [dp]
	tP       []float32 // [dp]
	decRow   []int32   // per-feature gather lists (W_dec gradient)
	decVal   []float32
	encVal   []float32 // per-feature W_enc gradient coefficients
	dotP     []float32 // per-feature dvia·W_dec[i] and dy·W_dec[i]
	dotF     []float32
}

// size makes room for U step rows of d_in D (padded to dp), open-gate lists
// of room entries in all and open entries by feature (allocated at
// capOf's size: the workspace's listCap).
func (gb *gatedBuffers) size(U, D, S, dp, room, open int, capOf func(int) int) {
	if gb.dp != dp {
		// new row length: fresh (zero) padded buffers
		gb.dp = dp
		gb.wdecP, gb.cP, gb.dyv, gb.yP, gb.viaP, gb.tP = nil, nil, nil, nil, nil, nil
	}
	if dp != D && len(gb.wdecP) < S*dp {
		gb.wdecP = make([]float32, S*dp)
	}
	if dp != D && len(gb.cP) < U*dp {
		gb.cP = make([]float32, U*dp)
	}
	if len(gb.yP) < dp {
		gb.yP, gb.viaP, gb.tP = make([]float32, dp), make([]float32, dp), make([]float32, dp)
	}
	if len(gb.gIdx) < room {
		n := capOf(room)
		gb.gIdx, gb.gPi, gb.gF = make([]int32, n), make([]float32, n), make([]float32, n)
	}
	if len(gb.eRow) < open {
		n := capOf(open)
		gb.eRow, gb.ePi, gb.eF = make([]int32, n), make([]float32, n), make([]float32, n)
	}
	if len(gb.gateN) < U {
		gb.gateN = make([]int32, U)
		gb.decRow, gb.decVal = make([]int32, 2*U), make([]float32, 2*U)
		gb.encVal, gb.dotP, gb.dotF = make([]float32, U), make([]float32, U), make([]float32, U)
	}
	if len(gb.cnt) < S+1 {
		gb.cnt = make([]int32, S+1)
	}
	if len(gb.dyv) < 2*U*dp {
		gb.dyv = make([]float32, 2*U*dp)
	}
}

// stepGated is the gated SAE's training step (SAELens' gated loss: MSE of
// the gated reconstruction, λ·Σ relu(π_gate)·‖W_dec‖ and the auxiliary
// reconstruction from relu(π_gate) through the same decoder).
//
// Only open gates (π_gate > 0) carry gradient. After the dense encoder
// product and the two decodes (gathered per row), every per-entry term is
// computed feature by feature: the open-gate entries are sorted by feature
// (rows ascending), and for each feature its decoder row is read once for
// the dLoss/dπ dot products of all its rows, and its W_dec and W_enc
// gradient rows are written once (gathered over the dy/dvia rows and the
// input rows). The per-row buffers (dy, dvia, the centred input) stay in
// cache while the d_sae-sized matrices stream past once.
func (s *SAE) stepGated(w *workspace, x []float32, o *stepOptions, gr grads, L *StepLosses) error {
	// Step rows may be de-duplicated: U ≤ B rows, row b standing for
	// w.mult[b] batch rows; every per-row term is weighted by it.
	B, U, D, S := w.b, w.u, w.d, w.s
	gWEncT, gWDec, gBGate, gRMag, gBMag, gBDec := gr[0], gr[1], gr[2], gr[3], gr[4], gr[5]
	saved := o.noise
	o.noise = 0
	s.encodeDense(w, nil, o) // pre = u = c·W_enc
	o.noise = saved
	if open, dense := gatedDenseByCost(s, w); dense {
		s.stepGatedDense(w, x, o, gr, L, open)
		return nil
	}
	// The per-row lists (open gates, active features) packed row after row:
	// each row's room is one more than its open gates when the path choice
	// counted them (the gate pass writes its candidate slot branch-free),
	// else d_sae. rowEnd is the end of row b's room.
	total := U * S
	if w.countsReady {
		w.sparseBound(1)
		total = w.countedLists(1)
	} else {
		w.activeLists(S)
	}
	w.countsReady = false
	rowEnd := func(b int) int {
		if b+1 < U {
			return w.actOff[b+1]
		}
		return total
	}
	tanh := s.ActivationFn == "tanh-relu"
	e := w.featAcc // exp(r_mag)
	for i := 0; i < S; i++ {
		e[i] = float32(math.Exp(float64(s.RMag[i])))
	}
	gb := w.gated
	if gb == nil {
		gb = new(gatedBuffers)
		w.gated = gb
	}
	dp := paddedRowLen(D) // the kernels' padded row length
	gb.size(U, D, S, dp, total, total, w.listCap)
	cnt := gb.cnt[:S+1]
	clear(cnt)
	// One pass per row finds the open gates (branch-free: the gate test is
	// unpredictable), then the active features among them.
	bGate, bMag := s.BGate[:S], s.BMag[:S]
	for b := 0; b < U; b++ {
		u := w.pre[b*S : b*S+S]
		at, end := w.actOff[b], rowEnd(b)
		gIdx := gb.gIdx[at:end]
		gPi := gb.gPi[at:end]
		gF := gb.gF[at:end]
		g := 0
		for i, ui := range u {
			pi := ui + bGate[i]
			gIdx[g] = int32(i)
			gPi[g] = pi
			inc := 0
			if pi > 0 {
				inc = 1
			}
			g += inc
		}
		gb.gateN[b] = int32(g)
		idx := w.actIdx[at:end]
		val := w.actVal[at:end]
		n := 0
		for t, ii := range gIdx[:g] {
			i := int(ii)
			cnt[i+1]++
			var f float32
			if mg := u[i]*e[i] + bMag[i]; mg > 0 {
				f = mg
				if tanh {
					f = float32(math.Tanh(float64(mg)))
				}
				idx[n] = ii
				val[n] = f
				n++
			}
			gF[t] = f
		}
		w.actN[b] = int32(n)
	}
	// Entries by feature (counting sort; rows stay ascending).
	for i := 1; i <= S; i++ {
		cnt[i] += cnt[i-1]
	}
	pos := w.scratch[:S] // next free slot per feature
	for i := range pos {
		pos[i] = cnt[i]
	}
	for b := 0; b < U; b++ {
		g := int(gb.gateN[b])
		at := w.actOff[b]
		gIdx := gb.gIdx[at : at+g]
		gPi := gb.gPi[at : at+g]
		gF := gb.gF[at : at+g]
		for t, ii := range gIdx {
			p := pos[ii]
			gb.eRow[p], gb.ePi[p], gb.eF[p] = int32(b), gPi[t], gF[t]
			pos[ii] = p + 1
		}
	}
	s.decoderNorms(w.wdn)
	wdec, c := s.WDec, w.c
	if dp != D && cnt[S] > 0 { // (no open gate at all: nothing reads them)
		// only the decoder rows of features with open gates are read
		for i := 0; i < S; i++ {
			if cnt[i+1] > cnt[i] {
				copy(gb.wdecP[i*dp:i*dp+D], s.WDec[i*D:i*D+D])
			}
		}
		copyRows(gb.cP, dp, w.c, D, U, D)
		wdec, c = gb.wdecP[:S*dp], gb.cP[:U*dp]
	}
	// Decodes, losses, dLoss/dy and dLoss/dvia (weighted by multiplicity).
	w.mseWeights(x, o)
	dyAll := gb.dyv[:U*dp]
	dviaAll := gb.dyv[U*dp : 2*U*dp]
	yP, viaP := gb.yP[:dp], gb.viaP[:dp]
	y, via := yP[:D], viaP[:D]
	invB := 1 / float32(B)
	var mse, pen, aux float64
	for b := 0; b < U; b++ {
		m := w.mult[b]
		xb := x[b*D : b*D+D]
		copy(y, s.BDec)
		clear(yP[D:])
		// main and auxiliary decodes in one pass over the open gates'
		// decoder rows (f is 0 on a closed magnitude: it adds nothing)
		g := int(gb.gateN[b])
		at := w.actOff[b]
		ks := gb.gIdx[at : at+g]
		xs := gb.gPi[at : at+g]
		copy(via, s.BDec)
		clear(viaP[D:])
		gaxpy2(yP, viaP, wdec, dp, ks, gb.gF[at:at+g], xs)
		rn := w.norms[b]
		xh := w.xhat[b*D : b*D+D]
		dy := dyAll[b*dp : b*dp+D]
		wb := w.wmse[b]
		k := 2 * wb * invB * rn.kout * m
		var rs float32
		for j := range xb {
			v := y[j]*rn.kout + rn.mu
			xh[j] = v
			d := v - xb[j]
			rs += d * d
			dy[j] = k * d
			gBDec[j] += dy[j]
		}
		mse += float64(rs * wb * m)
		// auxiliary reconstruction relu(π)·W_dec + b_dec
		var p float32
		for t, i := range ks {
			p += xs[t] * w.wdn[i]
		}
		pen += float64(p * m)
		dvia := dviaAll[b*dp : b*dp+D]
		ka := 2 * invB * m
		var a float32
		for j := range via {
			d := via[j] - xb[j]
			a += d * d
			dvia[j] = ka * d
			gBDec[j] += dvia[j]
		}
		aux += float64(a * m)
	}
	L.MSE = mse / float64(B)
	// Feature by feature: dLoss/dπ_gate and dLoss/dπ_mag of every entry,
	// the bias and r_mag gradients, the W_dec gradient (main + auxiliary
	// decode + the norm penalty) and the W_enc gradient.
	lam := o.coeff / float32(B)
	for i := 0; i < S; i++ {
		lo, hi := int(cnt[i]), int(cnt[i+1])
		if lo == hi {
			continue
		}
		row := wdec[i*dp : i*dp+dp]
		ei, wdi := e[i], w.wdn[i]
		var sBG, sBM, sRM, piSum, dpSum float32
		nd := 0
		rows := gb.eRow[lo:hi]
		pis := gb.ePi[lo:hi]
		fs := gb.eF[lo:hi]
		fs = fs[:len(rows)]
		pis = pis[:len(rows)]
		decRow, decVal := gb.decRow[:2*len(rows)], gb.decVal[:2*len(rows)]
		encVal := gb.encVal[:len(rows)]
		dotP, dotF := gb.dotP[:len(rows)], gb.dotF[:len(rows)]
		gatedDots(row, dviaAll, dyAll, rows, dp, dotP, dotF)
		for t, br := range rows {
			b := int(br)
			m := w.mult[b]
			pi := pis[t]
			dpg := dotP[t] + lam*m*wdi
			var dpm float32
			if f := fs[t]; f > 0 {
				df := dotF[t]
				if tanh {
					dpm = df * (1 - f*f)
				} else {
					dpm = df
				}
				decRow[nd], decVal[nd] = br, f
				nd++
			}
			decRow[nd], decVal[nd] = br+int32(U), pi
			nd++
			piSum += pi * m
			sBG += dpg
			sBM += dpm
			sRM += dpm * w.pre[b*S+i] * ei
			dp := dpg + dpm*ei
			encVal[t] = dp
			dpSum += dp
		}
		gBGate[i] += sBG
		gBMag[i] += sBM
		gRMag[i] += sRM
		gd := gWDec[i*D : i*D+D]
		ge := gWEncT[i*D : i*D+D]
		if end := i*D + dp; end <= len(gWDec) && end <= len(gWEncT) {
			// dp values from the row start: the dp−D past the row are the
			// next rows' first values (not yet written, this loop goes up
			// in i), and they get Σ coefficient·0 from the zero pads of
			// the source rows, i.e. stay as they are.
			gaxpy(gWDec[i*D:end], gb.dyv, dp, decRow[:nd], decVal[:nd])
			gaxpy(gWEncT[i*D:end], c, dp, rows, encVal)
		} else {
			// padded rows into a padded scratch row, then added
			t := gb.tP[:dp]
			clear(t)
			gaxpy(t, gb.dyv, dp, decRow[:nd], decVal[:nd])
			axpy(1, t[:D], gd)
			clear(t)
			gaxpy(t, c, dp, rows, encVal)
			axpy(1, t[:D], ge)
		}
		if piSum != 0 && wdi > 0 {
			axpy(lam*piSum/wdi, s.WDec[i*D:i*D+D], gd)
		}
		if s.ApplyBDecToInput {
			axpy(-dpSum, s.WEncT[i*D:i*D+D], gBDec)
		}
	}
	L.L1 = float64(o.coeff) * pen / float64(B)
	L.Aux = aux / float64(B)
	return nil
}
