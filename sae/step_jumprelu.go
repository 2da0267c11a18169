package sae

import (
	"math"
)

func rect(z float32) bool { return z > -0.5 && z < 0.5 }

func (s *SAE) stepJumpReLU(w *workspace, x []float32, o *stepOptions, gr grads, L *StepLosses) error {
	// Step rows may be de-duplicated: U ≤ B rows, row b standing for
	// w.mult[b] batch rows; every per-row term is weighted by it.
	B, U, D, S := w.b, w.u, w.d, w.s
	gWEncT, gWDec, gBEnc, gBDec, gLogTh := gr[0], gr[1], gr[2], gr[3], gr[4]
	s.encodeDense(w, s.BEnc, o)
	th := w.featAcc
	for i := 0; i < S; i++ {
		th[i] = float32(math.Exp(float64(s.LogThreshold[i])))
	}
	if jumpDenseByCost(w, th) {
		s.stepJumpReLUDense(w, x, th, o, gr, L)
		return nil
	}
	w.activeLists(w.s)
	for b := 0; b < U; b++ {
		pre := w.pre[b*S : b*S+S]
		idx := w.actIdx[b*S : b*S+S]
		val := w.actVal[b*S : b*S+S]
		n := 0
		for i, p := range pre {
			if p > th[i] {
				idx[n] = int32(i)
				val[n] = p
				n++
			}
		}
		w.actN[b] = int32(n)
	}
	L.MSE = s.decodeGathered(w, x, o, gWDec, gBDec)
	if o.tanhMode {
		s.decoderNorms(w.wdn)
	}
	lam := o.coeff / float32(B)
	bw := o.bandwidth
	clear(w.dth)
	var dnorm []float32 // tanh mode: per-feature decoder-norm gradient
	if o.tanhMode {
		dnorm = w.h[:S]
		clear(dnorm)
	}
	// Many active entries (the dense phase): dLoss/df for every entry as
	// one dense product dy·W_decᵀ instead of one dot per entry.
	var dfAll []float32
	entries := 0
	for _, n := range w.actN[:U] {
		entries += int(n)
	}
	if denseEntries(entries, U, D, S) {
		wdT, putT := denseScratch(D * S)
		defer putT()
		transposeTo(wdT, S, s.WDec, S, D)
		var put func()
		dfAll, put = denseScratch(U * S)
		defer put()
		gemmAccDense(dfAll, w.dy[:U*D], wdT, U, D, S)
	}
	var pen float64
	eg := w.stepEncGrads(1)
	for b := 0; b < U; b++ {
		m := w.mult[b]
		lamB := lam * m
		pre := w.pre[b*S : b*S+S]
		dy := w.dy[b*D : b*D+D] // already weighted by m
		for i, p := range pre {
			active := p > th[i]
			near := rect((p - th[i]) / bw)
			if !active && !near && !o.tanhMode {
				continue
			}
			var f float32
			if active {
				f = p
			}
			var df float32
			if active || near {
				if dfAll != nil {
					df = dfAll[b*S+i]
				} else {
					df = dot(dy, s.WDec[i*D:i*D+D])
				}
			}
			if o.tanhMode {
				t := float32(math.Tanh(float64(o.tanhScale * f * w.wdn[i])))
				pen += float64(t * m)
				dt := lamB * (1 - t*t) * o.tanhScale
				df += dt * w.wdn[i]
				dnorm[i] += dt * f
			} else if active {
				pen += float64(m)
			}
			if near {
				// JumpReLU pseudo-derivative w.r.t. the threshold.
				w.dth[i] -= float64(th[i] / bw * df)
				if !o.tanhMode {
					w.dth[i] -= float64(lamB / bw)
				}
			}
			if active {
				s.backEncoder(w, eg, b, int32(i), df, gBEnc, gBDec)
			}
		}
	}
	eg.apply(gWEncT, w.c, D, S)
	for i := 0; i < S; i++ {
		gLogTh[i] += float32(w.dth[i]) * th[i]
		if o.tanhMode && dnorm[i] != 0 && w.wdn[i] > 0 {
			axpy(dnorm[i]/w.wdn[i], s.WDec[i*D:i*D+D], gWDec[i*D:i*D+D])
		}
	}
	L.L1 = float64(o.coeff) * pen / float64(B)
	return nil
}
