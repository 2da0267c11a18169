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
	b, d, s int
	// u is the number of rows the step functions see: the distinct rows of
	// the batch when it was de-duplicated, b otherwise. Row r < u stands
	// for mult[r] rows of the batch; batch row k is step row rowOf[k].
	// Step functions loop over u rows, weight every per-row loss term and
	// gradient by mult[r], and still normalise by b.
	u        int
	mult     []float32 // [B]
	rowOf    []int32   // [B]
	dd       dedupeTable
	noDedupe bool      // never de-duplicate (tests compare both ways)
	c        []float32 // [B, d_in] SAE-space centred input
	norms    []rowNorm // [B]
	pre      []float32 // [B, d_sae] hidden pre-activation (gated: u = c·W_enc)
	actIdx   []int32   // active feature indices, row after row (actOff)
	actVal   []float32 // their activations
	actN     []int32   // [B] active count per row
	// actOff is where each row's active list starts: row b's list is
	// actIdx/actVal [actOff[b], actOff[b]+actN[b]).
	actOff   []int
	y        []float32 // [B, d_in] decoder output (SAE space)
	xhat     []float32 // [B, d_in] reconstruction (input space)
	dy       []float32 // [B, d_in] dLoss/dy
	wmse     []float32 // [B] dense_batch MSE weights
	wdn      []float32 // [d_sae] decoder norms
	featAcc  []float32 // [d_sae] per-feature accumulator
	dth      []float64 // [d_sae] threshold gradient accumulator
	scratch  []int32   // top-k scratch ([d_sae]; batchtopk grows it to [B, d_sae]: scratchN)
	scratchW [][]int32 // the top-k scratch ([d_sae]) of the topk step's other goroutines
	bdIdx    []int32   // [d_sae] bdecThroughInput's features (nil until needed)
	bdVal    []float32 // [d_sae] and their sums
	dead     []int32   // dead feature list
	dots     []float32 // [B, d_sae] standard sparse step: dy_b·W_dec[i] per active entry; the dense step's dF (slab)
	h        []float32 // [d_sae] per-step scratch (gated Σπ, jumprelu norm gradient, AuxK values)
	g        []float32 // [d_in] row scratch
	g2       []float32 // [d_in] row scratch
	deadMask []bool
	// denseActs is set by the dense step: the activations are in fDense
	// and colCount, not in the active lists.
	denseActs bool
	fDense    []float32 // [B, d_sae] the dense step's activations (w.pre itself)
	// ghostHReady is set when the ghost buffers' h already holds
	// exp(pre[:, dead]) for this step (ghostExp).
	ghostHReady bool
	// preReady is set when w.pre already holds this step's encoder output
	// (the standard step's cost choice computed it); see encodeOnce.
	preReady bool
	// countsReady is set when w.actN already holds every step row's count
	// from the path choice: active features (standard), open gates (gated).
	countsReady bool
	// listMost is the most entries this step's lists can hold (0: not
	// known); see listCap.
	listMost int
	colCount []int32   // [d_sae] rows each feature was active on (dense step)
	partials []float64 // [blocks, B] per-block row sums of the dense steps' split passes
	rowSums  []float32 // [B] per-row sums of the dense steps' row passes
	wenc     []float32 // [d_in, d_sae] encoder copy for the AVX2 kernel
	encCols  []int32   // input columns with a non-zero value this step
	db       *denseBuffers
	gb       *ghostBuffers
	gated    *gatedBuffers      // the gated step's scratch (nil until its first step)
	gd       *gatedDenseBuffers // the dense gated step's (nil until its first step)
	jd       *jumpDenseBuffers  // the dense jumprelu step's (nil until its first step)
	egs      [2]*encGrads       // stepEncGrads' entry collections
	minPos   float32            // batchtopk: smallest positive activation of the batch
	anyPos   bool
}

func newWorkspace(b, d, s int) *workspace {
	w := &workspace{b: b, d: d, s: s,
		c: make([]float32, b*d), norms: make([]rowNorm, b), pre: make([]float32, b*s),
		actN: make([]int32, b), actOff: make([]int, b), y: make([]float32, b*d), xhat: make([]float32, b*d), dy: make([]float32, b*d), wmse: make([]float32, b),
		wdn: make([]float32, s), featAcc: make([]float32, s), dth: make([]float64, s),
		scratch: make([]int32, s), dead: make([]int32, 0, s), h: make([]float32, s),
		g: make([]float32, d), g2: make([]float32, d), colCount: make([]int32, s),
		u: b, mult: make([]float32, b), rowOf: make([]int32, b)}
	w.identityRows()
	return w
}

// The workspace's memory. At issue 16's size (d_in 768, d_sae 6144, batch
// 4096) every [B, d_sae] buffer is 100 MB, so a step keeps as few as it
// can and the two paths of the standard step share them: the dense step
// holds pre (which it turns into the activations in place, unless ghost
// grads need the pre-activations afterwards: the activations then go to
// actVal, unused by the dense path) and dF (the dots slab); the sparse
// step holds pre and the dots slab, and active lists packed row after row
// (as long as its active entries, a tenth of a slab at most), grouped by
// feature in place of a list of entries. Buffers of d_in-wide rows alias the
// unpadded ones when d_in needs no padding.

// activeLists makes room for active lists of ls entries per row (≤ d_sae)
// at a fixed stride: actOff[b] = b·ls.
func (w *workspace) activeLists(ls int) {
	for b := range w.actOff {
		w.actOff[b] = b * ls
	}
	w.listRoom(w.b * ls)
}

// countedLists makes room for active lists packed row after row, each of
// its row's count (w.actN, counted beforehand) plus extra entries, sets
// actOff and returns the entries in all.
func (w *workspace) countedLists(extra int) int {
	n := 0
	for b, k := range w.actN[:w.u] {
		w.actOff[b] = n
		n += int(k) + extra
	}
	w.listRoom(n)
	return n
}

// listRoom makes actIdx and actVal at least n long. They are allocated on
// the first step that fills them (a run whose steps stay dense never holds
// them), at listCap's size.
func (w *workspace) listRoom(n int) {
	if len(w.actIdx) < n {
		w.actIdx = make([]int32, w.listCap(n))
	}
	if len(w.actVal) < n {
		w.actVal = make([]float32, w.listCap(n))
	}
}

// listCap is the size to allocate for a list that must hold n entries:
// w.listMost when the step knows that no sparse step of the run lists more
// (the path choice's density bound; the lists then never grow again), else
// n with a quarter of headroom so that a count that creeps up does not
// reallocate at every step.
func (w *workspace) listCap(n int) int {
	if w.listMost >= n {
		return w.listMost
	}
	return n + n/4
}

// sparseBound sets w.listMost to the most entries the sparse path of a
// step that chose by cost (standardDenseByCost, gatedDenseByCost: below
// denseMinDensity of the U×d_sae entries) can list, plus extra per row.
func (w *workspace) sparseBound(extra int) {
	w.listMost = min(w.u*w.s, int(denseMinDensity*float64(w.u*w.s))+1) + extra*w.u
}

// actValSlab returns the [B, d_sae] actVal slab (allocated on first use):
// the sparse steps' active values, the dense steps' activations.
func (w *workspace) actValSlab() []float32 {
	if len(w.actVal) < w.b*w.s {
		w.actVal = make([]float32, w.b*w.s)
	}
	return w.actVal
}

// dotsSlab returns the [B, d_sae] slab shared by the sparse standard
// step's dots and the dense step's dF (allocated on first use).
func (w *workspace) dotsSlab() []float32 { return w.dotsN(w.b * w.s) }

// dotsN returns the dots slab with at least n values: the sparse standard
// step's dots (one per listed entry) need only that much when no dense step
// came first.
func (w *workspace) dotsN(n int) []float32 {
	if len(w.dots) < n {
		w.dots = make([]float32, n)
	}
	return w.dots
}

// scratchN returns the top-k scratch with at least n entries.
func (w *workspace) scratchN(n int) []int32 {
	if len(w.scratch) < n {
		w.scratch = make([]int32, n)
	}
	return w.scratch[:n]
}

// release drops the [B, d_sae] buffers (a finished run keeps its trainer
// but needs no step buffers; ensure brings them back).
func (w *workspace) release() {
	w.pre, w.actIdx, w.actVal, w.dots, w.fDense = nil, nil, nil, nil, nil
	w.scratch = w.scratch[:0:0]
	w.db, w.gb, w.gated, w.gd, w.jd = nil, nil, nil, nil, nil
	w.egs = [2]*encGrads{}
	w.denseActs = false
	clear(w.actN)
}

// ensure re-allocates what release dropped.
func (w *workspace) ensure() {
	if w.pre == nil {
		w.pre = make([]float32, w.b*w.s)
		w.scratch = make([]int32, w.s)
	}
}

// identityRows makes the step rows the batch rows (no de-duplication).
func (w *workspace) identityRows() {
	w.u = w.b
	for k := range w.mult {
		w.mult[k] = 1
		w.rowOf[k] = int32(k)
	}
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

// forwardBackward runs the training forward pass on the batch in ([B,
// d_in]), writes the gradients of the total loss into gr (which must be
// zero) and returns the loss terms. dead marks the dead features (ghost
// grads / AuxK). When dedupeOK allows it, the step functions see only the
// batch's distinct rows (w.u of them, with multiplicities w.mult).
func (s *SAE) forwardBackward(w *workspace, in []float32, dead []bool, o *stepOptions, gr grads) (StepLosses, error) {
	B, D := w.b, w.d
	if len(in) != B*D {
		return StepLosses{}, fmt.Errorf("sae: batch has %d values, want %d×%d", len(in), B, D)
	}
	w.ensure()
	x := in
	if !w.noDedupe && dedupeOK(s, w, o) {
		x = w.dedupe(in)
	} else if w.u != B {
		w.identityRows()
	}
	return s.forwardBackwardRows(w, x, dead, o, gr)
}

// forwardBackwardRows is forwardBackward on the step rows x ([w.u, d_in]),
// with w.mult and w.rowOf already set.
func (s *SAE) forwardBackwardRows(w *workspace, x []float32, dead []bool, o *stepOptions, gr grads) (StepLosses, error) {
	w.ensure()
	D := w.d
	U := w.u
	// Input normalisation and centring.
	for b := 0; b < U; b++ {
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
	w.preReady = false
	w.countsReady = false
	w.listMost = 0
	if a := s.arch(); a != nil {
		L, err = a.step(s, w, x, o, gr)
	} else {
		err = fmt.Errorf("sae: unknown architecture %q", s.Arch)
	}
	L.Overall = L.MSE + L.L1 + L.Ghost + L.Aux
	return L, err
}

// encodeOnce is encodeDense unless the step already encoded (w.preReady,
// set when the path choice needed the pre-activations); it clears the flag.
func (s *SAE) encodeOnce(w *workspace, bias []float32, o *stepOptions) {
	if w.preReady {
		w.preReady = false
		return
	}
	s.encodeDense(w, bias, o)
}

// encodeDense computes pre = c·W_enc + bias (+ noise) for every step row.
func (s *SAE) encodeDense(w *workspace, bias []float32, o *stepOptions) {
	U, D, S := w.u, w.d, w.s
	wt := s.WEncT
	if encodeFromT(w.c, U, D, S) {
		// Large and dense: the blocked product packs its panels straight
		// from W_encᵀ (no [d_in, d_sae] copy, no transpose pass). The
		// bias rows (100 MB at issue 16's size) are written over the
		// cores.
		forRows(U, S, func(lo, hi int) {
			for b := lo; b < hi; b++ {
				if bias != nil {
					copy(w.pre[b*S:b*S+S], bias)
				} else {
					clear(w.pre[b*S : b*S+S])
				}
			}
		})
		gemmAccBlockedT(w.pre, w.c, wt, U, D, S)
	} else if fastGemm() && S >= 8 {
		if w.wenc == nil {
			w.wenc = make([]float32, D*S)
			w.encCols = make([]int32, 0, D)
		}
		// Only the W_enc rows that meet a non-zero input are read (a row
		// met only by zeros may hold stale finite values: it adds ±0).
		w.encCols = w.encCols[:0]
		for j := 0; j < D; j++ {
			for b := 0; b < U; b++ {
				if w.c[b*D+j] != 0 {
					w.encCols = append(w.encCols, int32(j))
					break
				}
			}
		}
		if 4*len(w.encCols) > D {
			// most columns: the whole (vector) transpose is cheaper
			transposeTo(w.wenc, S, wt, S, D)
		} else {
			transposeCols(w.wenc, S, wt, S, D, w.encCols)
		}
		for b := 0; b < U; b++ {
			if bias != nil {
				copy(w.pre[b*S:b*S+S], bias)
			} else {
				clear(w.pre[b*S : b*S+S])
			}
		}
		gemmAcc(w.pre, w.c, w.wenc, U, D, S)
	} else {
		for b := 0; b < U; b++ {
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
	if o.noise != 0 {
		for b := 0; b < U; b++ {
			pre := w.pre[b*S : b*S+S]
			for i := range pre {
				pre[i] += float32(o.normFn()) * o.noise
			}
		}
	}
}

// encodeFromT reports whether encodeDense runs its product on W_encᵀ
// itself (gemmAccBlockedT): where gemmAcc on the encoder copy would take
// the blocked kernels (a dense input, d_sae > 128 and a 16-multiple, a
// panel of more than 128 KB, at least 4 rows), with the same values.
func encodeFromT(c []float32, U, D, S int) bool {
	return packFromT && fastGemm() && U >= 4 && D > 0 && S%16 == 0 && S > 128 && D*S*4 > 128<<10 &&
		!sparseEnough(c[:U*D])
}

// gemmAccByT adds a·wTᵀ to out (a [rows, d], wT [s, d], out [rows, s]):
// straight on wT where encodeFromT allows (the same values), else with
// gemmAcc on the transpose of wT in *buf ([d, s], allocated when first
// needed), transposed once per step: *ready records it.
func gemmAccByT(out, a, wT []float32, rows, d, s int, buf *[]float32, ready *bool) {
	if encodeFromT(a[:rows*d], rows, d, s) {
		gemmAccBlockedT(out, a, wT, rows, d, s)
		return
	}
	if !*ready {
		if len(*buf) < d*s {
			*buf = make([]float32, d*s)
		}
		transposePar(*buf, s, wT, s, d)
		*ready = true
	}
	gemmAcc(out, a, (*buf)[:d*s], rows, d, s)
}

// packFromT enables encodeFromT (tests compare the steps without it).
var packFromT = true

// mseWeights writes the per-row MSE weights of the step rows x into w.wmse:
// 1, or the dense_batch weights.
func (w *workspace) mseWeights(x []float32, o *stepOptions) {
	if o.denseMSE {
		denseBatchWeights(x, w.u, w.d, w.mult, w.wmse)
		return
	}
	for b := range w.wmse[:w.u] {
		w.wmse[b] = 1
	}
}

// denseBatchWeights writes 1/(‖t_b − mean(t)‖ + 1e-6) for SAELens'
// "dense_batch" MSE normalisation; t has U rows standing for mult[b] batch
// rows each (the mean is over the whole batch).
func denseBatchWeights(t []float32, U, D int, mult []float32, out []float32) {
	mean := make([]float64, D)
	var n float64
	for b := 0; b < U; b++ {
		m := float64(mult[b])
		n += m
		for j := 0; j < D; j++ {
			mean[j] += m * float64(t[b*D+j])
		}
	}
	for j := range mean {
		mean[j] /= n
	}
	for b := 0; b < U; b++ {
		var ss float64
		for j := 0; j < D; j++ {
			v := float64(t[b*D+j]) - mean[j]
			ss += v * v
		}
		out[b] = float32(1 / (math.Sqrt(ss) + 1e-6))
	}
}

// firingCounts returns, per feature, the number of batch rows it was
// active on in the last step (a workspace buffer).
func (w *workspace) firingCounts() []float32 {
	fc := w.featAcc[:w.s] // free after the step
	if w.denseActs {
		for i, c := range w.colCount[:w.s] {
			fc[i] = float32(c)
		}
		return fc
	}
	clear(fc)
	if w.actIdx == nil {
		return fc // no step yet
	}
	for b := 0; b < w.u; b++ {
		m := w.mult[b]
		o := w.actOff[b]
		for _, i := range w.actIdx[o : o+int(w.actN[b])] {
			fc[i] += m
		}
	}
	return fc
}

// features writes the feature activations of the last step into dst [B,
// d_sae], one row per batch row.
func (w *workspace) features(dst []float32) {
	S := w.s
	if w.denseActs {
		for b := 0; b < w.b; b++ {
			r := int(w.rowOf[b])
			copy(dst[b*S:b*S+S], w.fDense[r*S:r*S+S])
		}
		return
	}
	clear(dst)
	if w.actIdx == nil {
		return // no step yet
	}
	for b := 0; b < w.b; b++ {
		r := int(w.rowOf[b])
		o := w.actOff[r]
		for k := 0; k < int(w.actN[r]); k++ {
			dst[b*S+int(w.actIdx[o+k])] = w.actVal[o+k]
		}
	}
}
