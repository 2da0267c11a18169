package sae

import (
	"fmt"
	"math"
)

// StepLosses are the loss terms of one training step, named as SAELens logs
// them. L1 is λ·penalty (SAELens' l1_loss, or jumprelu's l0_loss).
type StepLosses struct {
	MSE, L1, Ghost, Aux, Overall float64
}

// workspace holds every buffer of a training step for one batch size, so a
// step allocates nothing.
type workspace struct {
	b, d, s  int
	c        []float32 // [B, d_in] SAE-space centred input
	norms    []rowNorm // [B]
	pre      []float32 // [B, d_sae] hidden pre-activation (gated: u = c·W_enc)
	actIdx   []int32   // [B, d_sae] active feature indices per row
	actVal   []float32 // [B, d_sae] their activations
	actN     []int32   // [B] active count per row
	y        []float32 // [B, d_in] decoder output (SAE space)
	xhat     []float32 // [B, d_in] reconstruction (input space)
	dy       []float32 // [B, d_in] dLoss/dy
	wmse     []float32 // [B] dense_batch MSE weights
	wdn      []float32 // [d_sae] decoder norms
	featAcc  []float32 // [d_sae] per-feature accumulator
	dth      []float64 // [d_sae] threshold gradient accumulator
	scratch  []int32   // top-k scratch
	dead     []int32   // dead feature list
	h        []float32 // [B, nDead] ghost / aux activations
	g        []float32 // [d_in] row scratch
	g2       []float32 // [d_in] row scratch
	deadMask []bool
	// denseActs is set by the dense step: the activations are in db.f and
	// colCount, not in the active lists.
	denseActs bool
	colCount  []int32   // [d_sae] rows each feature was active on (dense step)
	wenc      []float32 // [d_in, d_sae] encoder copy for the AVX2 kernel
	db        *denseBuffers
	gb        *ghostBuffers
	minPos    float32 // batchtopk: smallest positive activation of the batch
	anyPos    bool
}

func newWorkspace(b, d, s int) *workspace {
	return &workspace{b: b, d: d, s: s,
		c: make([]float32, b*d), norms: make([]rowNorm, b), pre: make([]float32, b*s),
		actIdx: make([]int32, b*s), actVal: make([]float32, b*s), actN: make([]int32, b),
		y: make([]float32, b*d), xhat: make([]float32, b*d), dy: make([]float32, b*d), wmse: make([]float32, b),
		wdn: make([]float32, s), featAcc: make([]float32, s), dth: make([]float64, s),
		scratch: make([]int32, max(b*s, s)), dead: make([]int32, 0, s), h: make([]float32, s),
		g: make([]float32, d), g2: make([]float32, d), colCount: make([]int32, s)}
}

// stepOptions are the per-step inputs besides the batch.
type stepOptions struct {
	coeff      float32 // current sparsity coefficient λ
	lp         float64
	scaleByDec bool
	ghost      bool
	denseMSE   bool
	noise      float32
	normFn     func() float64 // standard normal source (noise)
	// jumprelu
	bandwidth float32
	tanhMode  bool
	tanhScale float32
	// topk / batchtopk
	auxCoeff float32
	// skipIdleGhostLoss skips the ghost-grad loss when no feature is dead:
	// its gradient is then zero and only its logged value is lost (the
	// trainer sets it on steps that are not logged).
	skipIdleGhostLoss bool
}

// grads has one gradient slice per parameter, in SAE.params() order.
type grads [][]float32

func newGrads(s *SAE) grads {
	ps := s.params()
	g := make(grads, len(ps))
	for i, p := range ps {
		g[i] = make([]float32, len(p))
	}
	return g
}

func (g grads) zero() {
	for _, v := range g {
		clear(v)
	}
}

// forwardBackward runs the training forward pass on x ([B, d_in]), writes
// the gradients of the total loss into gr (which must be zero) and returns
// the loss terms. dead marks the dead features (ghost grads / AuxK).
func (s *SAE) forwardBackward(w *workspace, x []float32, dead []bool, o *stepOptions, gr grads) (StepLosses, error) {
	B, D := w.b, w.d
	if len(x) != B*D {
		return StepLosses{}, fmt.Errorf("sae: batch has %d values, want %d×%d", len(x), B, D)
	}
	// Input normalisation and centring.
	for b := 0; b < B; b++ {
		xb := x[b*D : b*D+D]
		cb := w.c[b*D : b*D+D]
		rn := rowNorm{kin: 1, kout: 1}
		if s.NormalizeActivations != "none" && s.NormalizeActivations != "" {
			rn = normalizeRow(s.NormalizeActivations, xb)
		}
		w.norms[b] = rn
		if s.ApplyBDecToInput {
			for j, v := range xb {
				cb[j] = (v-rn.mu)*rn.kin - s.BDec[j]
			}
		} else if rn.kin != 1 || rn.mu != 0 {
			for j, v := range xb {
				cb[j] = (v - rn.mu) * rn.kin
			}
		} else {
			copy(cb, xb)
		}
	}
	w.dead = w.dead[:0]
	for i, dd := range dead {
		if dd {
			w.dead = append(w.dead, int32(i))
		}
	}
	var L StepLosses
	var err error
	w.denseActs = false
	switch s.Arch {
	case ArchStandard:
		if useAVX2 && w.s <= denseMaxDSAE {
			err = s.stepStandardDense(w, x, o, gr, &L)
		} else {
			err = s.stepStandard(w, x, o, gr, &L)
		}
	case ArchGated:
		err = s.stepGated(w, x, o, gr, &L)
	case ArchJumpReLU:
		err = s.stepJumpReLU(w, x, o, gr, &L)
	case ArchTopK, ArchBatchTopK:
		err = s.stepTopK(w, x, o, gr, &L)
	default:
		err = fmt.Errorf("sae: unknown architecture %q", s.Arch)
	}
	L.Overall = L.MSE + L.L1 + L.Ghost + L.Aux
	return L, err
}

// encodeDense computes pre = c·W_enc + bias (+ noise) for every row.
func (s *SAE) encodeDense(w *workspace, bias []float32, o *stepOptions) {
	B, D, S := w.b, w.d, w.s
	wt := s.WEncT
	if useAVX2 && S >= 8 {
		if w.wenc == nil {
			w.wenc = make([]float32, D*S)
		}
		transpose(w.wenc, wt, S, D)
		for b := 0; b < B; b++ {
			if bias != nil {
				copy(w.pre[b*S:b*S+S], bias)
			} else {
				clear(w.pre[b*S : b*S+S])
			}
		}
		gemmAcc(w.pre, w.c, w.wenc, B, D, S)
	} else {
		for b := 0; b < B; b++ {
			cb := w.c[b*D : b*D+D]
			pre := w.pre[b*S : b*S+S]
			for i := 0; i < S; i++ {
				pre[i] = dot(cb, wt[i*D:i*D+D])
				if bias != nil {
					pre[i] += bias[i]
				}
			}
		}
	}
	for b := 0; b < B; b++ {
		pre := w.pre[b*S : b*S+S]
		if o.noise != 0 {
			for i := range pre {
				pre[i] += float32(o.normFn()) * o.noise
			}
		}
	}
}

// decodeAndMSE decodes the active lists into y and x̂, computes the MSE and
// dLoss/dy, and adds the b_dec and W_dec gradients of the MSE term.
func (s *SAE) decodeAndMSE(w *workspace, x []float32, o *stepOptions, gWDec, gBDec []float32) float64 {
	B, D, S := w.b, w.d, w.s
	for b := 0; b < B; b++ {
		y := w.y[b*D : b*D+D]
		copy(y, s.BDec)
		n := int(w.actN[b])
		idx := w.actIdx[b*S : b*S+n]
		val := w.actVal[b*S : b*S+n]
		for k, i := range idx {
			axpy(val[k], s.WDec[int(i)*D:int(i)*D+D], y)
		}
		rn := w.norms[b]
		xh := w.xhat[b*D : b*D+D]
		if rn.kout != 1 || rn.mu != 0 {
			for j := range y {
				xh[j] = y[j]*rn.kout + rn.mu
			}
		} else {
			copy(xh, y)
		}
	}
	if o.denseMSE {
		denseBatchWeights(x, B, D, w.wmse)
	} else {
		for b := range w.wmse[:B] {
			w.wmse[b] = 1
		}
	}
	var mse float64
	invB := 1 / float32(B)
	for b := 0; b < B; b++ {
		xb := x[b*D : b*D+D]
		xh := w.xhat[b*D : b*D+D]
		dy := w.dy[b*D : b*D+D]
		wb := w.wmse[b]
		k := 2 * wb * invB * w.norms[b].kout
		var rs float32
		for j := range xb {
			e := xh[j] - xb[j]
			rs += e * e
			dy[j] = k * e
		}
		mse += float64(rs * wb)
		for j := range dy {
			gBDec[j] += dy[j]
		}
		n := int(w.actN[b])
		idx := w.actIdx[b*S : b*S+n]
		val := w.actVal[b*S : b*S+n]
		for k, i := range idx {
			axpy(val[k], dy, gWDec[int(i)*D:int(i)*D+D])
		}
	}
	return mse / float64(B)
}

// denseBatchWeights writes 1/(‖t_b − mean(t)‖ + 1e-6) for SAELens'
// "dense_batch" MSE normalisation.
func denseBatchWeights(t []float32, B, D int, out []float32) {
	mean := make([]float64, D)
	for b := 0; b < B; b++ {
		for j := 0; j < D; j++ {
			mean[j] += float64(t[b*D+j])
		}
	}
	for j := range mean {
		mean[j] /= float64(B)
	}
	for b := 0; b < B; b++ {
		var ss float64
		for j := 0; j < D; j++ {
			v := float64(t[b*D+j]) - mean[j]
			ss += v * v
		}
		out[b] = float32(1 / (math.Sqrt(ss) + 1e-6))
	}
}

// features writes the feature activations of the last step into dst [B, d_sae].
func (w *workspace) features(dst []float32) {
	if w.denseActs {
		copy(dst, w.db.f)
		return
	}
	clear(dst)
	S := w.s
	for b := 0; b < w.b; b++ {
		for k := 0; k < int(w.actN[b]); k++ {
			dst[b*S+int(w.actIdx[b*S+k])] = w.actVal[b*S+k]
		}
	}
}
