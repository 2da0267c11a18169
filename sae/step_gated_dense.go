package sae

import (
	"math"
	"sync/atomic"
)

// gatedDenseBuffers are the dense gated step's buffers beyond the
// workspace's slabs.
type gatedDenseBuffers struct {
	s3         []float32 // [B, S] dLoss/df dots, then dLoss/du (nil until the whole-width pass needs it)
	wdecT      []float32 // [D, S] W_decᵀ (nil until a product needs the copy: gemmAccByT); the chunked pass's buffer
	smallT     []float32 // [D, B] the chunked pass's transposed dLoss/dvia
	viaRec     []float32 // [B, D] auxiliary reconstruction, then dLoss/dvia
	sBG, sBM   []float32 // [S] per-feature gradient sums: b_gate, b_mag
	sRM, piSum []float32 // [S] r_mag; Σ π·m over open gates
	dpSum      []float32 // [S] Σ dLoss/du (b_dec through the input)
}

func (w *workspace) gatedDense() *gatedDenseBuffers {
	if w.gd == nil {
		B, D, S := w.b, w.d, w.s
		w.gd = &gatedDenseBuffers{viaRec: make([]float32, B*D),
			sBG: make([]float32, S), sBM: make([]float32, S), sRM: make([]float32, S), piSum: make([]float32, S),
			dpSum: make([]float32, S)}
	}
	return w.gd
}

// gatedChunks enables the dense gated step's chunked dLoss/df (tests
// compare the step without it).
var gatedChunks = true

// gatedDenseByCost reports whether a wide gated step (d_in ≥
// denseCostMinDIn, fast kernels) should run dense: at least
// denseMinDensity of the gates open in this step's encoder output (w.pre =
// c·W_enc), the standard step's cost model (denseMinDensity): the gated
// step's per-entry work (two decodes, two dots, two gradient rows) is the
// standard step's. It also returns that count of open gates (when it
// says dense): the non-zero entries of relu(π), which the dense step's
// products on relu(π) take instead of scanning it. Each row's count stays
// in w.actN (w.countsReady): the sparse step sizes its lists by them.
func gatedDenseByCost(s *SAE, w *workspace) (int, bool) {
	U, S := w.u, w.s
	if !fastGemm() || w.d < denseCostMinDIn || U == 0 || S < 8 {
		return 0, false
	}
	bg := s.BGate[:S]
	open := countRows(U, S, func(b int) int {
		u := w.pre[b*S : b*S+S]
		var n int
		if useAVX512 {
			n = gatedOpenAVX512(&u[0], &bg[0], S)
		} else {
			n = gatedOpenGo(&u[0], &bg[0], S)
		}
		w.actN[b] = int32(n)
		return n
	})
	w.countsReady = true
	return open, float64(open) >= denseMinDensity*float64(U*S)
}

// stepGatedDense is stepGated computed with dense products over every
// feature (the same loss and gradients up to summation order): the phase
// of a wide gated SAE where many gates are open. w.pre holds u = c·W_enc.
//
// Memory: three [B, d_sae] slabs — u (w.pre, then dLoss/du), the
// activations f (actVal) and relu(π) then dLoss/dπ (the dots slab) — where
// the dLoss/df dots can be taken in column chunks (a batch larger than
// d_in: dotsChunkCols), else four (the dLoss/df dots then dLoss/du in s3);
// the transposes of the weight-gradient products reuse whichever slab is
// free at that point. open is the number of open gates
// (π > 0 over the step rows: relu(π)'s non-zero entries).
func (s *SAE) stepGatedDense(w *workspace, x []float32, o *stepOptions, gr grads, L *StepLosses, open int) {
	B, U, D, S := w.b, w.u, w.d, w.s
	gWEncT, gWDec, gBGate, gRMag, gBMag, gBDec := gr[0], gr[1], gr[2], gr[3], gr[4], gr[5]
	gd := w.gatedDense()
	tanh := s.ActivationFn == "tanh-relu"
	e := w.featAcc // exp(r_mag)
	for i := 0; i < S; i++ {
		e[i] = float32(math.Exp(float64(s.RMag[i])))
	}
	s.decoderNorms(w.wdn)
	F := w.actValSlab()[:U*S]
	V := w.dotsSlab()[:U*S]
	bGate, bMag := s.BGate[:S], s.BMag[:S]
	clear(w.colCount)
	clear(gd.piSum)
	clear(w.actN[:U])
	// Per column block: activations, masks, the firing counts and Σπ·m per
	// feature (rows in order), the rows' partial penalties (combined in
	// block order below).
	nb := nBlocks(S)
	part := w.blockPartials(nb, U)
	masked := useAVX512 && !tanh
	forBlocks(S, U*S, func(k, lo, hi int) {
		cc, ps, wdn, e := w.colCount[lo:hi], gd.piSum[lo:hi], w.wdn[lo:hi], e[lo:hi]
		bGate, bMag := bGate[lo:hi], bMag[lo:hi]
		var qb [passBlock]float32 // the masked kernel's π·wdn terms
		for b := 0; b < U; b++ {
			m := w.mult[b]
			mi := int32(m)
			u := w.pre[b*S+lo : b*S+hi]
			f := F[b*S+lo : b*S+hi]
			v := V[b*S+lo : b*S+hi]
			var p float32
			if masked {
				// The loop below without its branches; the row's penalty
				// terms (+0 where the gate is shut: p ≥ +0 stays) summed
				// here in the loop's order.
				q := qb[:len(u)]
				n := gatedActsAVX512(&u[0], &bGate[0], &bMag[0], &e[0], &wdn[0], &f[0], &v[0], &q[0], &ps[0], &cc[0], len(u), m, mi)
				for _, t := range q {
					p += t
				}
				atomic.AddInt32(&w.actN[b], int32(n))
				part[k*U+b] = float64(p)
				continue
			}
			n := 0
			// The float32(…) around products keep a GOAMD64=v3 build from
			// fusing them with the sums into FMAs: the AVX-512 kernels
			// round the product first, and both paths must give the same bits.
			for i, ui := range u {
				pi := ui + bGate[i]
				var fi, vi float32
				if pi > 0 {
					vi = pi
					p += float32(pi * wdn[i])
					ps[i] += float32(pi * m)
					if mg := float32(ui*e[i]) + bMag[i]; mg > 0 {
						fi = mg
						if tanh {
							fi = float32(math.Tanh(float64(mg)))
						}
						n++
						cc[i] += mi
					}
				}
				f[i], v[i] = fi, vi
			}
			atomic.AddInt32(&w.actN[b], int32(n))
			part[k*U+b] = float64(p)
		}
	})
	var pen float64
	for b := 0; b < U; b++ {
		var p float32
		for k := 0; k < nb; k++ {
			p += float32(part[k*U+b])
		}
		pen += float64(p * w.mult[b])
	}
	w.denseActs = true
	w.fDense = F
	// The non-zero counts of F and V = relu(π) pick the products' paths as
	// gemmAcc's scans would (F: the active entries; tanh-relu: -1, scanned).
	nzF := -1
	if !tanh {
		nzF = 0
		for _, n := range w.actN[:U] {
			nzF += int(n)
		}
	}
	// Decodes: y = f·W_dec + b_dec, via = relu(π)·W_dec + b_dec.
	y, vr := w.y[:U*D], gd.viaRec[:U*D]
	for b := 0; b < U; b++ {
		copy(y[b*D:b*D+D], s.BDec)
		copy(vr[b*D:b*D+D], s.BDec)
	}
	if dens := productDensity(S, D); D < sparseMinCols || !sparseOperandAt(F, nzF, dens) && !sparseOperandAt(V, open, dens) {
		// gemmAcc's dense path for both, W_dec packed once
		gemmAccDensePair(y, F, U, vr, V, U, s.WDec, S, D)
	} else {
		gemmAccCounted(y, F, s.WDec, U, S, D, nzF)
		gemmAccCounted(vr, V, s.WDec, U, S, D, open)
	}
	// Losses, dLoss/dy (w.dy) and dLoss/dvia (over vr), as stepGated.
	w.mseWeights(x, o)
	invB := 1 / float32(B)
	rs := w.rowSumsBuf()
	auxRow := w.blockPartials(1, U)
	forRows(U, 2*D, func(lo, hi int) {
		for b := lo; b < hi; b++ {
			m := w.mult[b]
			xb := x[b*D : b*D+D]
			yb := y[b*D : b*D+D]
			rn := w.norms[b]
			xh := w.xhat[b*D : b*D+D]
			dy := w.dy[b*D : b*D+D]
			k := 2 * w.wmse[b] * invB * rn.kout * m
			var r float32
			for j := range xb {
				v := yb[j]*rn.kout + rn.mu
				xh[j] = v
				d := v - xb[j]
				r += d * d
				dy[j] = k * d
			}
			rs[b] = r
			via := vr[b*D : b*D+D]
			ka := 2 * invB * m
			var a float32
			for j := range via {
				d := via[j] - xb[j]
				a += d * d
				via[j] = ka * d
			}
			auxRow[b] = float64(a)
		}
	})
	// The reductions over rows, in row order: the losses, and b_dec's
	// gradient by spans of columns over the cores (each element still
	// adds dy then dvia of every row in row order; axpy by 1 is the add).
	var mse, aux float64
	for b := 0; b < U; b++ {
		m := w.mult[b]
		mse += float64(rs[b] * w.wmse[b] * m)
		aux += float64(float32(auxRow[b]) * m)
	}
	forSpans(D, bdecSpan, 2*U*D, func(_, lo, hi int) {
		g := gBDec[lo:hi]
		for b := 0; b < U; b++ {
			axpy(1, w.dy[b*D+lo:b*D+hi], g)
			axpy(1, vr[b*D+lo:b*D+hi], g)
		}
	})
	L.MSE = mse / float64(B)
	L.L1 = float64(o.coeff) * pen / float64(B)
	L.Aux = aux / float64(B)
	dvia := vr
	lam := o.coeff / float32(B)
	sBG, sBM, sRM, dpSum := gd.sBG[:S], gd.sBM[:S], gd.sRM[:S], gd.dpSum[:S]
	clear(sBG)
	clear(sBM)
	clear(sRM)
	clear(dpSum)
	// entries is the per-entry pass over the columns [lo, hi): dLoss/dπ_gate,
	// dLoss/dπ_mag and dLoss/du, from the dLoss/dπ dots in V and row b's
	// dLoss/df dots ddAt(b, lo, hi), which become its dLoss/du (done).
	var entries entryPass = func(_, lo, hi int, ddAt func(b, lo, hi int) []float32, done func(b, lo, hi int, dd []float32)) {
		sBG, sBM, sRM, dpSum := sBG[lo:hi], sBM[lo:hi], sRM[lo:hi], dpSum[lo:hi]
		bGate, wdn, e := bGate[lo:hi], w.wdn[lo:hi], e[lo:hi]
		for b := 0; b < U; b++ {
			m := w.mult[b]
			u := w.pre[b*S+lo : b*S+hi]
			f := F[b*S+lo : b*S+hi]
			dotP := V[b*S+lo : b*S+hi]
			dd := ddAt(b, lo, hi)
			lamM := lam * m
			if masked {
				// the loop below without its branches
				gatedGradsAVX512(&u[0], &bGate[0], &dotP[0], &f[0], &dd[0], &wdn[0], &e[0], &sBG[0], &sBM[0], &sRM[0], &dpSum[0], len(u), lamM)
				done(b, lo, hi, dd)
				continue
			}
			for i, ui := range u {
				if ui+bGate[i] <= 0 {
					dd[i] = 0
					continue
				}
				dpg := dotP[i] + float32(lamM*wdn[i])
				var dpm float32
				if fi := f[i]; fi > 0 {
					dpm = dd[i]
					if tanh {
						dpm *= 1 - fi*fi
					}
				}
				sBG[i] += dpg
				sBM[i] += dpm
				sRM[i] += float32(dpm * ui * e[i])
				d := dpg + float32(dpm*e[i])
				dd[i] = d
				dpSum[i] += d
			}
			done(b, lo, hi, dd)
		}
	}
	var du []float32 // dLoss/du for the W_enc gradient
	if cw := dotsChunkCols(U, D, S); cw > 0 && gatedChunks && useAVX2 && U*S*D >= tnTransposeMinWork && D >= 16 &&
		encodeFromT(dvia, U, D, S) && encodeFromT(w.dy[:U*D], U, D, S) {
		// Three [B, d_sae] slabs instead of four. The auxiliary decode's
		// W_dec gradient, relu(π)ᵀ·dvia, as its transpose dviaᵀ·relu(π)
		// (the operand transposed is dvia, [B, d_in], not relu(π)) into the
		// [d_in, d_sae] buffer, then copied transposed into the (zero)
		// gradient (each element the same chain of multiply-adds); the
		// dLoss/dπ dots into V; the dLoss/df dots in chunks into the same
		// buffer, dLoss/du over u (chunkedDots).
		if len(gd.wdecT) < D*S {
			gd.wdecT = make([]float32, D*S)
		}
		if len(gd.smallT) < U*D {
			gd.smallT = make([]float32, w.b*D)
		}
		tT := gd.wdecT[:D*S]
		clearPar(tT)
		gemmTNAccBuf(tT, dvia, V, U, D, S, gd.smallT)
		transposePar(gWDec, D, tT, D, S)
		clearPar(V)
		gemmAccBlockedT(V, dvia, s.WDec, U, D, S)
		du = w.pre[:U*S]
		chunkedDots(entries, du, tT, w.dy, s.WDec, U, D, S, cw)
	} else {
		if len(gd.s3) < w.b*S {
			gd.s3 = make([]float32, w.b*S)
		}
		s3 := gd.s3[:U*S]
		// W_dec gradient of the auxiliary decode while relu(π) is still in V.
		gemmTNAccCounted(gWDec, V, dvia, U, S, D, s3, open)
		// dLoss/dπ and dLoss/df dots: dvia·W_decᵀ (into V), dy·W_decᵀ (s3).
		// Both on W_dec itself where they can, else on W_decᵀ's copy.
		clearPar(V)
		clearPar(s3)
		if encodeFromT(dvia, U, D, S) && encodeFromT(w.dy[:U*D], U, D, S) {
			// both straight on W_dec, its panels transposed once
			gemmAccBlockedTPair(V, dvia, U, s3, w.dy[:U*D], U, s.WDec, D, S)
		} else {
			ready := false
			gemmAccByT(V, dvia, s.WDec, U, D, S, &gd.wdecT, &ready)
			gemmAccByT(s3, w.dy[:U*D], s.WDec, U, D, S, &gd.wdecT, &ready)
		}
		// Per entry, into s3.
		wholeDots(entries, s3, U, S)
		du = s3
	}
	// W_enc gradient: (dLoss/du)ᵀ·c; W_dec gradient of the main decode:
	// fᵀ·dy (V is free: its slab holds the transposes).
	gemmTNAccBuf(gWEncT, du, w.c[:U*D], U, S, D, V)
	gemmTNAccCounted(gWDec, F, w.dy[:U*D], U, S, D, V, nzF)
	forBlocks(S, S*D, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			gBGate[i] += sBG[i]
			gBMag[i] += sBM[i]
			gRMag[i] += sRM[i]
			if wdi := w.wdn[i]; gd.piSum[i] != 0 && wdi > 0 {
				axpy(lam*gd.piSum[i]/wdi, s.WDec[i*D:i*D+D], gWDec[i*D:i*D+D])
			}
		}
	})
	if s.ApplyBDecToInput {
		// A reduction over the features into b_dec's gradient: in order.
		w.bdecThroughInput(gBDec, s.WEncT, dpSum[:S])
	}
}

// bdecSpan is the number of b_dec gradient columns a goroutine of the dense
// gated step's row reduction takes at a time (a multiple of 8: whole
// vectors but in the last span).
const bdecSpan = 128
