package sae

import "math"

// denseMaxDSAE is the largest d_sae for which the standard architecture's
// step runs as dense small matrix products (when fastGemm);
// larger SAEs use the sparse path that skips inactive features.
var denseMaxDSAE = 1024

// denseMaxDIn is the largest d_in for which the dense standard step is
// used: above it the sparse step (one dense encoder product, the rest per
// active feature) is faster once L0 is a small fraction of d_sae, which it
// is after the first few hundred steps of any sparse run.
var denseMaxDIn = 96

// standardDense reports whether the standard step runs dense
// (stepStandardDense) rather than sparse (stepStandard) by shape alone: the
// small SAEs of the notebook sizes. Wide SAEs choose per step by cost
// (standardDenseByCost).
func standardDense(w *workspace) bool {
	return fastGemm() && w.s <= denseMaxDSAE && w.d <= denseMaxDIn
}

// denseCostMinDIn is the smallest d_in from which the standard step chooses
// its path by cost at every step (below it the shape rule, standardDense,
// decides alone: there the per-entry kernels never pay, sparseMinCols).
var denseCostMinDIn = sparseMinCols

// denseMinDensity is the fraction of active entries (L0/d_sae) from which
// the dense standard step is cheaper than the sparse one on wide SAEs.
//
// Cost model. After the shared encoder product, both paths do the same
// four products per step row: the decoder (y = f·W_dec), the feature
// gradient (dy·W_decᵀ) and the two weight gradients (fᵀ·dy, dpreᵀ·c). The
// dense path does them as GEMMs over every feature, 4·d_sae·d_in
// multiply-adds per row, blocked in cache, at close to the FMA peak and on
// every core (gemmAccBlocked, gemmTNAcc). The sparse path does them per
// active entry, 4·L0·d_in multiply-adds per row, as gathered axpys and dot
// products that stream one W_dec/W_enc row each from L2/L3 per entry: about
// 8× fewer multiply-adds per second on one core (the issue-16 profile: L0 ≈
// 3000 of 6144 at d_in 768 ran at ≈ 3 GFMA/s where the GEMM kernel runs
// above 25). So dense wins once L0/d_sae exceeds ≈ 1/8; 0.1 leans to
// dense, which also uses both cores. Inside the dense step, a product
// whose left operand is at most sparseMaxDensity non-zero still takes the
// per-entry kernels (gemmAcc), so the switch has no cliff.
var denseMinDensity = 0.1

// standardDenseByCost reports whether a wide standard step (d_in ≥
// denseCostMinDIn, fast kernels) should run dense, from the step's own
// pre-activations (w.pre, already computed): the measured L0 of this step.
// The per-row counts stay in w.actN (w.countsReady) for the sparse step.
func standardDenseByCost(w *workspace) bool {
	U, S := w.u, w.s
	if !fastGemm() || w.d < denseCostMinDIn || U == 0 || S == 0 {
		return false
	}
	active := countRows(U, S, func(b int) int { return w.countActive(b) })
	w.countsReady = true
	return float64(active) >= denseMinDensity*float64(U*S)
}

// countActive sets and returns actN[b], the number of positive
// pre-activations of step row b (NaN counts as inactive).
func (w *workspace) countActive(b int) int {
	n := 0
	for _, v := range w.pre[b*w.s : b*w.s+w.s] {
		n += positive(v)
	}
	w.actN[b] = int32(n)
	return n
}

// positive is 1 when v > 0, else 0 (NaN counts as 0), branch-free.
func positive(v float32) int {
	b := math.Float32bits(v)
	// sign clear and not ±0; NaN (exponent all ones, mantissa ≠ 0) excluded
	nz := int((b&0x7fffffff + 0x7fffffff) >> 31)
	pos := int(^b>>31) & 1
	nan := int((0x7f800000 - (b & 0x7fffffff)) >> 31)
	return nz & pos &^ nan
}

func (s *SAE) stepStandard(w *workspace, x []float32, o *stepOptions, gr grads, L *StepLosses) error {
	B, U, D, S := w.b, w.u, w.d, w.s
	gWEncT, gWDec, gBEnc, gBDec := gr[0], gr[1], gr[2], gr[3]
	s.encodeOnce(w, s.BEnc, o)
	tanh := s.ActivationFn == "tanh-relu"
	// The active lists packed row after row (each row's count first,
	// unless the path choice counted), rows over the cores.
	if w.countsReady {
		w.sparseBound(0)
	} else {
		countRows(U, S, func(b int) int { return w.countActive(b) })
	}
	w.countsReady = false
	total := w.countedLists(0)
	forRows(U, S, func(lo, hi int) {
		for b := lo; b < hi; b++ {
			at := w.actOff[b]
			idx := w.actIdx[at : at+int(w.actN[b])]
			val := w.actVal[at : at+len(idx)]
			n := 0
			for i, p := range w.pre[b*S : b*S+S] {
				if p > 0 {
					idx[n] = int32(i)
					if tanh {
						val[n] = float32(math.Tanh(float64(p)))
					} else {
						val[n] = p
					}
					n++
				}
			}
		}
	})
	dots := w.dotsN(total)
	L.MSE = s.decodeGatheredDots(w, x, o, gWDec, gBDec, dots)
	// Sparsity penalty λ/B Σ_b ‖f_b ⊙ n‖_p; each entry's pre-activation
	// gradient dp replaces its dot.
	s.penaltyWeights(w, o)
	clear(w.featAcc)
	lam := o.coeff / float32(B)
	p := o.lp
	var pen float64
	for b := 0; b < U; b++ {
		m := w.mult[b] // rows of the batch this step row stands for
		lamB := lam * m
		n := int(w.actN[b])
		at := w.actOff[b]
		idx := w.actIdx[at : at+n]
		val := w.actVal[at : at+n]
		dots := dots[at : at+n]
		var norm, scale float32
		if p == 1 {
			for k, i := range idx {
				norm += val[k] * w.wdn[i]
			}
		} else {
			var acc float64
			for k, i := range idx {
				acc += math.Pow(float64(val[k]*w.wdn[i]), p)
			}
			norm = float32(math.Pow(acc, 1/p))
			if norm > 0 {
				scale = float32(math.Pow(float64(norm), 1-p))
			}
		}
		pen += float64(norm * m)
		for k, i := range idx {
			f := val[k]
			var dv float32 // d penalty / d v_i
			if p == 1 {
				dv = lamB
			} else if norm > 0 {
				dv = lamB * float32(math.Pow(float64(f*w.wdn[i]), p-1)) * scale
			}
			df := dots[k] + dv*w.wdn[i] // dots[k] = dy·W_dec[i]
			if o.scaleByDec {
				w.featAcc[i] += dv * f
			}
			dp := df
			if tanh {
				dp = df * (1 - f*f)
			}
			dots[k] = dp
			if gBEnc != nil {
				gBEnc[i] += dp
			}
		}
	}
	if s.ApplyBDecToInput {
		// b_dec's gradient through the centred input, -Σ dp·W_enc[i], in
		// entry order (backEncoder's per-entry axpy), columns over the cores.
		axpyGatherColsLists(gBDec, s.WEncT, w.actIdx, dots, w.actOff, w.actN[:U], -1)
	}
	// W_enc's gradient feature by feature, over the decoder's grouping of
	// the same entries (w.egs[0]) with the dp values gathered in.
	ed := w.egs[0]
	if n := total; n > 0 {
		spos, sval := ed.spos[:n], ed.sval[:n]
		for q, t := range spos {
			sval[q] = dots[t]
		}
		applyGrouped(gWEncT, w.c, D, S, ed.cnt[:S+1], ed.srow[:n], sval)
	}
	L.L1 = float64(o.coeff) * pen / float64(B)
	if o.scaleByDec {
		for i := 0; i < S; i++ {
			if w.featAcc[i] != 0 && w.wdn[i] > 0 {
				axpy(w.featAcc[i]/w.wdn[i], s.WDec[i*D:i*D+D], gWDec[i*D:i*D+D])
			}
		}
	}
	if o.ghost && (len(w.dead) > 0 || !o.skipIdleGhostLoss) {
		L.Ghost = s.ghostGrads(w, x, o, gr)
	}
	return nil
}

// penaltyWeights fills w.wdn with the sparsity penalty's per-feature
// weights: the decoder row norms when the penalty is scaled by them, else 1.
func (s *SAE) penaltyWeights(w *workspace, o *stepOptions) {
	if o.scaleByDec {
		s.decoderNorms(w.wdn)
		return
	}
	for i := range w.wdn {
		w.wdn[i] = 1
	}
}
