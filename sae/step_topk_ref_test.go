package sae

import (
	"math"
)

// stepTopKRef is the topk step as it was before the feature-major AuxK
// backward and the radix selection (commit e2fed98): the reference the
// faster step is compared with (the encoder and the selection are shared).
func (s *SAE) stepTopKRef(w *workspace, x []float32, o *stepOptions, gr grads, L *StepLosses) error {
	// Rows are de-duplicated for topk (U ≤ B step rows, weighted by
	// w.mult), never for batchtopk (U = B).
	B, U, D, S := w.b, w.u, w.d, w.s
	gWEncT, gWDec, gBEnc, gBDec := gr[0], gr[1], gr[2], gr[3]
	s.encodeDense(w, s.BEnc, o)
	s.topkSelect(w, s.Arch == ArchBatchTopK) // unchanged since
	L.MSE = s.decodeGathered(w, x, o, gWDec, gBDec)
	eg := getEncGrads()
	defer encGradsPool.Put(eg)
	for b := 0; b < U; b++ {
		n := int(w.actN[b])
		dy := w.dy[b*D : b*D+D] // already weighted by mult[b]
		for _, i := range w.actIdx[w.actOff[b] : w.actOff[b]+n] {
			s.backEncoder(w, eg, b, i, dot(dy, s.WDec[int(i)*D:int(i)*D+D]), gBEnc, gBDec)
		}
	}
	// AuxK (SAELens 6.x): the top k_aux dead latents reconstruct the residual.
	nd := len(w.dead)
	kAux := D / 2
	if nd == 0 || kAux == 0 {
		eg.apply(gWEncT, w.c, D, S)
		return nil
	}
	scale := float32(math.Min(float64(nd)/float64(kAux), 1))
	kAux = min(kAux, nd)
	coef := o.auxCoeff * scale
	vals := w.h[:nd]
	var aux float64
	rec := w.g
	// The W_dec gradient of AuxK is collected like W_enc's: entries (row b,
	// feature i, pre_bi) against the rows of drec [U, d_in].
	ed := getEncGrads()
	defer encGradsPool.Put(ed)
	drecAll := ed.buf(U * D)
	for b := 0; b < U; b++ {
		m := w.mult[b]
		pre := w.pre[b*S : b*S+S]
		for k, i := range w.dead {
			vals[k] = pre[i]
		}
		// in selection order (deterministic; each feature once per row,
		// so only the decode's summation order depends on it)
		sel := topKIndices(vals, kAux, w.scratch)
		copy(rec, s.BDec)
		ks, xs := eg.ks[:0], eg.xs[:0]
		for _, k := range sel {
			i := w.dead[k]
			ks = append(ks, i)
			xs = append(xs, pre[i])
		}
		eg.ks, eg.xs = ks, xs
		gaxpy(rec, s.WDec, D, ks, xs)
		rn := w.norms[b]
		xb := x[b*D : b*D+D]
		xh := w.xhat[b*D : b*D+D]
		drec := drecAll[b*D : b*D+D]
		var a float32
		for j := range rec {
			r := xb[j] - xh[j]
			d := rec[j]*rn.kout + rn.mu - r
			a += d * d
			drec[j] = coef * 2 * d / float32(B) * rn.kout * m
			gBDec[j] += drec[j]
		}
		aux += float64(a * m)
		for t, i := range ks {
			row := s.WDec[int(i)*D : int(i)*D+D]
			ed.feat = append(ed.feat, i)
			ed.row = append(ed.row, int32(b))
			ed.val = append(ed.val, xs[t])
			s.backEncoder(w, eg, b, i, dot(drec, row), gBEnc, gBDec)
		}
	}
	ed.apply(gWDec, drecAll, D, S)
	eg.apply(gWEncT, w.c, D, S)
	L.Aux = float64(coef) * aux / float64(B)
	return nil
}
