package sae

import (
	"math"
	"strings"
	"sync"
)

// adam is torch.optim.Adam (no weight decay, no amsgrad) over a list of
// float32 parameters.
type adam struct {
	beta1, beta2, eps float64
	step              int64
	m, v              [][]float32
}

func newAdam(params [][]float32, beta1, beta2, eps float64) *adam {
	a := &adam{beta1: beta1, beta2: beta2, eps: eps}
	for _, p := range params {
		a.m = append(a.m, make([]float32, len(p)))
		a.v = append(a.v, make([]float32, len(p)))
	}
	return a
}

// update applies one Adam step with learning rate lr to the gradients g
// scaled by gscale (the gradient-clipping coefficient, 1 for none), and
// clears g for the next step.
func (a *adam) update(params [][]float32, g grads, lr float64, gscale float32) {
	a.step++
	bc1 := 1 - math.Pow(a.beta1, float64(a.step))
	bc2 := 1 - math.Pow(a.beta2, float64(a.step))
	// torch: p -= lr/bc1 · m / (sqrt(v)/sqrt(bc2) + eps). Multiplying the
	// numerator and the denominator by sqrt(bc2) leaves one division per
	// element: p -= (lr/bc1·sqrt(bc2))·m / (sqrt(v) + eps·sqrt(bc2)) (the
	// same value up to float32 rounding; the divider bounds this pass).
	bc2s := math.Sqrt(bc2)
	stepSize := float32(lr / bc1 * bc2s)
	eps := float32(a.eps * bc2s)
	b1 := float32(a.beta1)
	omb1 := float32(1 - a.beta1)
	b2 := float32(a.beta2)
	omb2 := float32(1 - a.beta2)
	for k, p := range params {
		adamScaleZero(p, g[k], a.m[k], a.v[k], gscale, b1, omb1, b2, omb2, stepSize, eps)
	}
}

// sumSq returns Σ v[i]² (float32, in vector lanes when available).
func sumSq(v []float32) float32 {
	var s float32
	i0 := 0
	if useAVX2 && len(v) >= 8 {
		i0 = len(v) &^ 7
		s = sumSqAVX2(&v[0], i0)
	}
	// the rest (all of it in pure Go) in dotNarrow's four chains
	r := v[i0:]
	return s + dotNarrow(r, r)
}

// scale multiplies v by c.
func scale(v []float32, c float32) {
	i0 := 0
	if useAVX2 && len(v) >= 8 {
		i0 = len(v) &^ 7
		scaleAVX2(&v[0], i0, c)
	}
	for i := i0; i < len(v); i++ {
		v[i] *= c
	}
}

// normalizeRows rescales every row of w ([rows, d]) to unit L2 norm (the
// trainer's SAE.SetDecoderNormToUnit, with vector sums).
func normalizeRows(w []float32, rows, d int) {
	if d < 32 {
		if useAVX2 && d%4 == 0 && rows > 0 && d > 0 {
			// the same lanes and order as dotNarrow, in one call
			_ = w[rows*d-1]
			normalizeRows4AVX(&w[0], rows, d)
			return
		}
		// Narrow rows: plain loops beat the kernel calls.
		for i := 0; i < rows; i++ {
			row := w[i*d : i*d+d]
			inv := 1 / float32(math.Sqrt(float64(dotNarrow(row, row))))
			for j := range row {
				row[j] *= inv
			}
		}
		return
	}
	// Every row on its own: spans of rows over the cores.
	forSpans(rows, rowSpan, rows*d, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			row := w[i*d : i*d+d]
			scale(row, 1/float32(math.Sqrt(float64(sumSq(row)))))
		}
	})
}

// rowSpan is the number of decoder rows a goroutine of the per-row
// decoder passes (normalisation, parallel-gradient removal) takes at a
// time.
const rowSpan = 64

// rowSqPool holds removeParallelDecoderGrad's per-row squared norms.
var rowSqPool = sync.Pool{New: func() any { return new([]float64) }}

// clipCoefKnown returns the global L2 norm of the gradients and the factor
// torch.nn.utils.clip_grad_norm_ scales them by so the norm is at most
// maxNorm (1 when it already is, or when maxNorm <= 0); the squared norm of
// g[known] is already computed (sq; known < 0: none), so that gradient is
// not read again.
func clipCoefKnown(g grads, maxNorm float64, known int, sq float64) (float64, float32) {
	var ss float64
	for k, v := range g {
		if k == known {
			ss += sq
			continue
		}
		ss += float64(sumSq(v))
	}
	total := math.Sqrt(ss)
	if maxNorm <= 0 {
		return total, 1
	}
	if coef := maxNorm / (total + 1e-6); coef < 1 {
		return total, float32(coef)
	}
	return total, 1
}

// dotNarrow is Σ a[i]·b[i] in four independent chains (for short rows).
func dotNarrow(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		x := a[i : i+4 : i+4]
		y := b[i : i+4 : i+4]
		s0 += x[0] * y[0]
		s1 += x[1] * y[1]
		s2 += x[2] * y[2]
		s3 += x[3] * y[3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// removeParallelDecoderGrad removes from each W_dec row's gradient its
// component along the (unit-norm) row, and returns the squared L2 norm of
// the whole gradient afterwards (the clip norm's W_dec share). Wide rows
// are summed row by row while the row is in cache (one pass over the
// gradient instead of two); narrow ones (a few KiB in all) with sumSq.
func removeParallelDecoderGrad(wdec, gdec []float32, dSAE, dIn int) float64 {
	if dIn >= 32 {
		// Rows split over the cores, each row's squared norm kept, then
		// summed in row order (the serial loop's sum).
		bp := rowSqPool.Get().(*[]float64)
		defer rowSqPool.Put(bp)
		if cap(*bp) < dSAE {
			*bp = make([]float64, dSAE)
		}
		sq := (*bp)[:dSAE]
		forSpans(dSAE, rowSpan, dSAE*dIn, func(_, lo, hi int) {
			for i := lo; i < hi; i++ {
				row := wdec[i*dIn : i*dIn+dIn]
				gr := gdec[i*dIn : i*dIn+dIn]
				if p := dot(gr, row); p != 0 {
					axpy(-p, row, gr)
				}
				sq[i] = float64(sumSq(gr))
			}
		})
		var ss float64
		for _, v := range sq {
			ss += v
		}
		return ss
	}
	if useAVX2 && dIn%4 == 0 && dSAE > 0 && dIn > 0 {
		// the same lanes and order as dotNarrow, in one call
		_ = wdec[dSAE*dIn-1]
		_ = gdec[dSAE*dIn-1]
		removeParallel4AVX(&wdec[0], &gdec[0], dSAE, dIn)
		return float64(sumSq(gdec[:dSAE*dIn]))
	}
	// Narrow rows: plain loops beat the kernel calls.
	for i := 0; i < dSAE; i++ {
		row := wdec[i*dIn : i*dIn+dIn]
		gr := gdec[i*dIn : i*dIn+dIn]
		p := dotNarrow(gr, row)
		if p != 0 {
			for j, v := range row {
				gr[j] -= p * v
			}
		}
	}
	return float64(sumSq(gdec[:dSAE*dIn]))
}

// lrSchedule is SAELens' get_lr_scheduler: optional linear warm-up, the main
// schedule (constant, cosine annealing, cosine annealing with warm restarts),
// and an optional linear decay, as a closed form of the step number.
type lrSchedule struct {
	name                 string
	lr, lrEnd            float64
	warmUp, decay, total int64
	cycles               int
}

func newLRSchedule(r *Resolved) lrSchedule {
	return lrSchedule{name: strings.ToLower(r.LRSchedulerName), lr: r.LR, lrEnd: r.LREnd,
		warmUp: int64(r.LRWarmUpSteps), decay: int64(r.LRDecaySteps), total: r.TotalSteps, cycles: r.NRestartCycles}
}

// at returns the learning rate used by the optimizer step with index step
// (0-based).
func (s lrSchedule) at(step int64) float64 {
	if s.warmUp > 0 && step < s.warmUp {
		// torch LinearLR(start 1/w, end 1, total_iters w-1)
		start := 1 / float64(s.warmUp)
		if s.warmUp == 1 {
			return s.lr * start
		}
		t := math.Min(float64(step), float64(s.warmUp-1))
		return s.lr * (start + (1-start)*t/float64(s.warmUp-1))
	}
	mainSteps := s.total - s.warmUp - s.decay
	if s.decay > 0 && step >= s.total-s.decay {
		end := s.lrEnd
		if s.name == "constant" {
			end = s.lr
		}
		t := math.Min(float64(step-(s.total-s.decay)), float64(s.decay))
		startF := end / s.lr
		return s.lr * (startF + (0-startF)*t/float64(s.decay))
	}
	t := step - s.warmUp
	switch s.name {
	case "cosineannealing":
		if mainSteps <= 0 {
			return s.lr
		}
		return s.lrEnd + (s.lr-s.lrEnd)*(1+math.Cos(math.Pi*float64(t)/float64(mainSteps)))/2
	case "cosineannealingwarmrestarts":
		t0 := mainSteps / int64(s.cycles)
		if t0 <= 0 {
			return s.lr
		}
		tc := t % t0
		return s.lrEnd + (s.lr-s.lrEnd)*(1+math.Cos(math.Pi*float64(tc)/float64(t0)))/2
	default:
		return s.lr
	}
}

// l1At is SAELens' L1Scheduler: the coefficient used at step (0-based)
// ramps linearly over l1_warm_up_steps.
func l1At(final float64, warmUp int, step int64) float64 {
	if warmUp <= 0 {
		return final
	}
	if step == 0 {
		return 0
	}
	// After k scheduler steps the coefficient is final·min(k, warmUp)/warmUp.
	k := step
	if k > int64(warmUp) {
		return final
	}
	return final * float64(k) / float64(warmUp)
}
