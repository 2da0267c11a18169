package sae

import (
	"math"
	"math/bits"
	"sync/atomic"
)

// jumpDenseBuffers are the dense jumprelu step's buffers beyond the
// workspace's slabs.
type jumpDenseBuffers struct {
	wdecT  []float32 // [D, S] W_decᵀ, then the transposed weight gradients
	smallT []float32 // [D, B] the transposed operand of the large products
	dpSum  []float32 // [S] Σ dLoss/dpre (b_dec through the input)
}

func (w *workspace) jumpDense() *jumpDenseBuffers {
	if w.jd == nil {
		w.jd = &jumpDenseBuffers{wdecT: make([]float32, w.d*w.s), smallT: make([]float32, w.d*w.b),
			dpSum: make([]float32, w.s)}
	}
	return w.jd
}

// jumpChunks enables the chunked dLoss/df of the dense jumprelu step (tests
// compare the step without it).
var jumpChunks = true

// jumpDenseByCost reports whether a wide jumprelu step (d_in ≥
// denseCostMinDIn, fast kernels) should run dense: at least
// denseMinDensity of the entries above their threshold (th, [S]) in this
// step's pre-activations, the standard step's cost model.
func jumpDenseByCost(w *workspace, th []float32) bool {
	U, S := w.u, w.s
	if !fastGemm() || w.d < denseCostMinDIn || U == 0 || S < 8 {
		return false
	}
	th = th[:S]
	active := countRows(U, S, func(b int) int {
		pre := w.pre[b*S : b*S+S]
		pre = pre[:len(th)]
		n := 0
		for i, p := range pre {
			n += positive(p - th[i])
		}
		return n
	})
	return float64(active) >= denseMinDensity*float64(U*S)
}

// stepJumpReLUDense is stepJumpReLU computed with dense products over
// every feature (the same loss and gradients up to summation order): the
// phase of a wide jumprelu SAE where many features are above threshold.
// w.pre holds the pre-activations, th the thresholds.
//
// Memory: two [B, d_sae] slabs — the pre-activations, then dLoss/dpre, and
// the activations (actVal) — where dLoss/df can be taken in column chunks
// (chunkedDots: into the W_decᵀ buffer), else three (dLoss/df then
// dLoss/dpre in the dots slab); the weight gradients are taken as their
// [d_in, d_sae] transposes, so the operand the products transpose is a
// [B, d_in] one.
func (s *SAE) stepJumpReLUDense(w *workspace, x []float32, th []float32, o *stepOptions, gr grads, L *StepLosses) {
	B, U, D, S := w.b, w.u, w.d, w.s
	gWEncT, gWDec, gBEnc, gBDec, gLogTh := gr[0], gr[1], gr[2], gr[3], gr[4]
	jd := w.jumpDense()
	F := w.actValSlab()[:U*S]
	th = th[:S]
	clear(w.colCount)
	clear(w.actN[:U])
	forBlocks(S, U*S, func(_, lo, hi int) {
		cc, th := w.colCount[lo:hi], th[lo:hi]
		for b := 0; b < U; b++ {
			pre := w.pre[b*S+lo : b*S+hi]
			f := F[b*S+lo : b*S+hi]
			mi := int32(w.mult[b])
			// f = pre where above the threshold, else 0, counting the active
			// entries (jumpActsGo is the plain loop)
			var n int
			if useAVX512 {
				n = jumpActsAVX512(&pre[0], &th[0], &f[0], &cc[0], len(th), mi)
			} else {
				n = jumpActsGo(&pre[0], &th[0], &f[0], &cc[0], len(th), mi)
			}
			atomic.AddInt32(&w.actN[b], int32(n))
		}
	})
	w.denseActs = true
	w.fDense = F
	// y = f·W_dec + b_dec, x̂, the MSE and dLoss/dy, as decodeGathered.
	y := w.y[:U*D]
	for b := 0; b < U; b++ {
		copy(y[b*D:b*D+D], s.BDec)
	}
	gemmAcc(y, F, s.WDec, U, S, D)
	w.mseWeights(x, o)
	invB := 1 / float32(B)
	rs := w.rowSumsBuf()
	forRows(U, D, func(lo, hi int) {
		for b := lo; b < hi; b++ {
			yb := y[b*D : b*D+D]
			rn := w.norms[b]
			xh := w.xhat[b*D : b*D+D]
			if rn.kout != 1 || rn.mu != 0 {
				for j := range yb {
					xh[j] = yb[j]*rn.kout + rn.mu
				}
			} else {
				copy(xh, yb)
			}
			xb := x[b*D : b*D+D]
			dy := w.dy[b*D : b*D+D]
			k := 2 * w.wmse[b] * invB * rn.kout * w.mult[b]
			var r float32
			for j := range xb {
				e := xh[j] - xb[j]
				r += e * e
				dy[j] = k * e
			}
			rs[b] = r
		}
	})
	L.MSE = w.reduceMSERows(rs, w.dy, D, U, D, gBDec) / float64(B)
	if o.tanhMode {
		s.decoderNorms(w.wdn)
	}
	lam := o.coeff / float32(B)
	bw := o.bandwidth
	clear(w.dth)
	var dnorm []float32
	if o.tanhMode {
		dnorm = w.h[:S]
		clear(dnorm)
	}
	dpSum := jd.dpSum[:S]
	clear(dpSum)
	// Per column block: the per-feature sums over the rows in row order,
	// the block's partial penalty (combined in block order below).
	nb := nBlocks(S)
	part := w.blockPartials(nb, 1)
	masked := useAVX512 && !o.tanhMode
	// entries is the per-entry pass over column block k ([lo, hi)): dLoss/df
	// of row b's entries is ddAt(b, lo, hi); it becomes dLoss/dpre there.
	var entries entryPass = func(k, lo, hi int, ddAt func(b, lo, hi int) []float32, done func(b, lo, hi int, drow []float32)) {
		th, wdn, dth, gBEnc, dpSum := th[lo:hi], w.wdn[lo:hi], w.dth[lo:hi], gBEnc[lo:hi], dpSum[lo:hi]
		var nearBuf [passBlock / 16]uint16 // the masked kernel's near lanes
		var dnormB []float32
		if o.tanhMode {
			dnormB = dnorm[lo:hi]
		}
		var pen float64
		for b := 0; b < U; b++ {
			m := w.mult[b]
			lamB := lam * m
			pre := w.pre[b*S+lo : b*S+hi]
			drow := ddAt(b, lo, hi)
			if masked {
				// The loop below without its branches, but for the
				// entries near the threshold, which follow in the loop's
				// order (their dd untouched by the kernel). The penalty
				// is a sum of whole multiplicities: exact in any order.
				nm := nearBuf[:(len(th)+15)/16]
				n := jumpGradsAVX512(&pre[0], &th[0], &drow[0], &gBEnc[0], &dpSum[0], &nm[0], len(th), bw)
				pen += float64(n) * float64(m)
				for v, mk := range nm {
					for ; mk != 0; mk &= mk - 1 {
						i := 16*v + bits.TrailingZeros16(mk)
						df := drow[i]
						dth[i] -= float64(th[i] / bw * df)
						dth[i] -= float64(lamB / bw)
						if !(pre[i] > th[i]) {
							drow[i] = 0
						}
					}
				}
				done(b, lo, hi, drow)
				continue
			}
			for i, p := range pre[:len(th)] {
				active := p > th[i]
				near := rect((p - th[i]) / bw)
				var df float32
				if active || near {
					df = drow[i]
				}
				var f float32
				if active {
					f = p
				}
				if o.tanhMode {
					t := float32(math.Tanh(float64(o.tanhScale * f * wdn[i])))
					pen += float64(t * m)
					dt := lamB * (1 - t*t) * o.tanhScale
					df += dt * wdn[i]
					dnormB[i] += dt * f
				} else if active {
					pen += float64(m)
				}
				if near {
					dth[i] -= float64(th[i] / bw * df)
					if !o.tanhMode {
						dth[i] -= float64(lamB / bw)
					}
				}
				if active {
					drow[i] = df
					gBEnc[i] += df
					dpSum[i] += df
				} else {
					drow[i] = 0
				}
			}
			done(b, lo, hi, drow)
		}
		part[k] = pen
	}
	var dd []float32 // dLoss/dpre for the W_enc gradient
	if cw := dotsChunkCols(U, D, S); cw > 0 && jumpChunks && encodeFromT(w.dy[:U*D], U, D, S) {
		// dLoss/df in chunks into jd.wdecT (free until the weight
		// gradients), dLoss/dpre over the pre-activations: no dots slab.
		dd = w.pre[:U*S]
		chunkedDots(entries, dd, jd.wdecT, w.dy, s.WDec, U, D, S, cw)
	} else {
		// dLoss/df = dy·W_decᵀ for every entry (the dots slab), then the
		// entries, in place.
		dd = w.dotsSlab()[:U*S]
		clearPar(dd)
		ready := false
		gemmAccByT(dd, w.dy[:U*D], s.WDec, U, D, S, &jd.wdecT, &ready)
		wholeDots(entries, dd, U, S)
	}
	var pen float64
	for k := 0; k < nb; k++ {
		pen += part[k]
	}
	L.L1 = float64(o.coeff) * pen / float64(B)
	// Weight gradients as their transposes: dyᵀ·f and cᵀ·dpre ([D, S],
	// into wdecT, free now), then transposed into the (zero) gradients.
	tT := jd.wdecT[:D*S]
	clearPar(tT)
	gemmTNAccBuf(tT, w.dy[:U*D], F, U, D, S, jd.smallT)
	transposePar(gWDec, D, tT, D, S)
	clearPar(tT)
	gemmTNAccBuf(tT, w.c[:U*D], dd, U, D, S, jd.smallT)
	transposePar(gWEncT, D, tT, D, S)
	forBlocks(S, S*D, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			gLogTh[i] += float32(w.dth[i]) * th[i]
			if o.tanhMode && dnorm[i] != 0 && w.wdn[i] > 0 {
				axpy(dnorm[i]/w.wdn[i], s.WDec[i*D:i*D+D], gWDec[i*D:i*D+D])
			}
		}
	})
	if s.ApplyBDecToInput {
		// A reduction over the features into b_dec's gradient: in order.
		w.bdecThroughInput(gBDec, s.WEncT, dpSum[:S])
	}
}
