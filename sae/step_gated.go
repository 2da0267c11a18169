package sae

import (
	"math"
)

func (s *SAE) stepGated(w *workspace, x []float32, o *stepOptions, gr grads, L *StepLosses) error {
	// Step rows may be de-duplicated: U ≤ B rows, row b standing for
	// w.mult[b] batch rows; every per-row term is weighted by it.
	B, U, D, S := w.b, w.u, w.d, w.s
	gWEncT, gWDec, gBGate, gRMag, gBMag, gBDec := gr[0], gr[1], gr[2], gr[3], gr[4], gr[5]
	saved := o.noise
	o.noise = 0
	s.encodeDense(w, nil, o) // pre = u = c·W_enc
	o.noise = saved
	tanh := s.ActivationFn == "tanh-relu"
	e := w.featAcc // exp(r_mag)
	for i := 0; i < S; i++ {
		e[i] = float32(math.Exp(float64(s.RMag[i])))
	}
	// One pass per row finds the open gates (kept as lists: index in
	// w.scratch, π in piAll, count in gateN) and the active features.
	eg := getEncGrads()
	defer encGradsPool.Put(eg)
	piAll := eg.buf(U * S)
	gateN := eg.nrow[:0]
	for b := 0; b < U; b++ {
		u := w.pre[b*S : b*S+S]
		idx := w.actIdx[b*S : b*S+S]
		val := w.actVal[b*S : b*S+S]
		gIdx := w.scratch[b*S : b*S+S]
		gPi := piAll[b*S : b*S+S]
		n, g := 0, 0
		for i, ui := range u {
			if pi := ui + s.BGate[i]; pi > 0 {
				gIdx[g] = int32(i)
				gPi[g] = pi
				g++
				if f := activate(s.ActivationFn, ui*e[i]+s.BMag[i]); f > 0 {
					idx[n] = int32(i)
					val[n] = f
					n++
				}
			}
		}
		w.actN[b] = int32(n)
		gateN = append(gateN, int32(g))
	}
	eg.nrow = gateN
	L.MSE = s.decodeGathered(w, x, o, gWDec, gBDec)
	s.decoderNorms(w.wdn)
	lam := o.coeff / float32(B)
	piSum := w.h[:S] // Σ_b mult_b·π_bi, for the norm gradient
	clear(piSum)
	var pen, aux float64
	via := w.g
	// W_enc and the auxiliary W_dec gradients are collected per entry and
	// applied feature by feature (encGrads); dvia rows are kept for that.
	ed := getEncGrads()
	defer encGradsPool.Put(ed)
	dviaAll := ed.buf(U * D)
	for b := 0; b < U; b++ {
		m := w.mult[b]
		lamB := lam * m
		u := w.pre[b*S : b*S+S]
		// gate-active features of the row and their π
		ks := w.scratch[b*S : b*S+int(gateN[b])]
		xs := piAll[b*S : b*S+int(gateN[b])]
		copy(via, s.BDec)
		gaxpy(via, s.WDec, D, ks, xs)
		for t, i := range ks {
			pen += float64(xs[t] * w.wdn[i] * m)
		}
		xb := x[b*D : b*D+D]
		dvia := dviaAll[b*D : b*D+D]
		var a float32
		for j := range via {
			d := via[j] - xb[j]
			a += d * d
			dvia[j] = 2 * d / float32(B) * m
			gBDec[j] += dvia[j]
		}
		aux += float64(a * m)
		dy := w.dy[b*D : b*D+D]
		n := int(w.actN[b])
		idx := w.actIdx[b*S : b*S+n]
		val := w.actVal[b*S : b*S+n]
		k := 0
		for t, ii := range ks {
			i := int(ii)
			pi := xs[t]
			ui := u[i]
			row := s.WDec[i*D : i*D+D]
			ed.feat = append(ed.feat, ii)
			ed.row = append(ed.row, int32(b))
			ed.val = append(ed.val, pi)
			piSum[i] += pi * m
			dpg := dot(dvia, row) + lamB*w.wdn[i]
			var dpm float32
			if k < n && idx[k] == ii {
				f := val[k]
				df := dot(dy, row)
				if tanh {
					dpm = df * (1 - f*f)
				} else {
					dpm = df
				}
				k++
			}
			gBGate[i] += dpg
			gBMag[i] += dpm
			gRMag[i] += dpm * ui * e[i]
			s.backEncoder(w, eg, b, ii, dpg+dpm*e[i], nil, gBDec)
		}
	}
	ed.apply(gWDec, dviaAll, D, S)
	eg.apply(gWEncT, w.c, D, S)
	for i := 0; i < S; i++ {
		if piSum[i] != 0 && w.wdn[i] > 0 {
			axpy(lam*piSum[i]/w.wdn[i], s.WDec[i*D:i*D+D], gWDec[i*D:i*D+D])
		}
	}
	L.L1 = float64(o.coeff) * pen / float64(B)
	L.Aux = aux / float64(B)
	return nil
}
