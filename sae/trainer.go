package sae

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"time"
)

// Source yields training activations. Implementations must be deterministic
// given their state, so that a resumed run sees the same batches.
type Source interface {
	// NextBatch fills dst ([n, d_in], n = len(dst)/d_in) with the next rows.
	NextBatch(dst []float32) error
	// MarshalState returns the position/RNG state; UnmarshalState restores it.
	MarshalState() ([]byte, error)
	UnmarshalState([]byte) error
}

// ErrDiverged is wrapped by the error a run stops with when the loss or the
// input is not finite.
var ErrDiverged = errors.New("training diverged")

// Trainer trains one SAE. Create it with NewTrainer, then call Run (or Step
// for a single step).
type Trainer struct {
	Cfg *Resolved
	SAE *SAE

	// Eval, if set ([n, d_in] rows in input space), is evaluated at the end
	// and every wandb_log_frequency×eval_every_n_wandb_logs steps.
	Eval []float32
	// OnProgress, if set, is called by Run every 128 steps, at the end
	// (Final) and when the run stops on an error (Stopped); package
	// sae/trainlog draws it as a progress line.
	OnProgress func(Progress)
	// RunDir, if set, receives config.json, metrics.jsonl (one line
	// appended and flushed per logged record, so a run can be followed live)
	// and checkpoints.
	RunDir string
	// Context, if set, interrupts Run when it is done (Ctrl-C): Run writes a
	// checkpoint at the current step and returns ErrInterrupted.
	Context context.Context
	// FullLosses makes every step compute the ghost-grad loss value even
	// when no feature is dead (by default only logged steps do: the
	// gradient is zero then, so training is unaffected).
	FullLosses bool

	src Source
	// mlog is metrics.jsonl opened for appending while Run runs; mlogErr
	// the first error writing it (Run returns it).
	mlog    *os.File
	mlogErr error
	params  [][]float32 // SAE.params(), kept (the SAE's slices are not reallocated while training)
	opt     *adam
	g       grads
	// gDirty is set while t.g may hold a step's gradients (the optimizer
	// update clears them).
	gDirty bool
	ws     *workspace
	batch  []float32
	rows   *rowBatch // batches as row indices (nil: the source copies them)
	sched  lrSchedule
	rng    *rand.PCG
	norm   *rand.Rand
	opts   stepOptions

	// Counters (saved in checkpoints).
	StepN            int64 // training steps done
	Tokens           int64 // training tokens seen
	actFreq          []float32
	passesSince      []float32
	nFracActive      int64
	NormScale        float64 // expected_average_only_in factor (1 otherwise)
	thresholds       []int64
	metrics          []Record
	lastLosses       StepLosses
	started          time.Time
	startTokens      int64
	restoredMetricsN int
}

// Progress is the state of a run as Run reports it to OnProgress.
type Progress struct {
	Step        int64         // training steps done
	Tokens      int64         // training tokens seen
	TotalTokens int64         // training tokens of the whole run
	RunTokens   int64         // tokens seen since this Run started (a resumed run starts late)
	Elapsed     time.Duration // since this Run started
	MSE, L1     float64       // the last step's loss terms (L1 is λ·penalty)
	Final       bool          // the run is complete (last report)
	Stopped     bool          // the run stopped on an error (last report)
}

// Record is one line of metrics.jsonl (written by the trainer, read by
// ReadMetrics): the step and wandb-named values in their line's order.
type Record struct {
	Step   int64 // −1 for a line read without a step
	Values map[string]float64
	Order  []string
}

// NewTrainer initialises an SAE from the config (seeded weight init,
// b_dec init and activation-norm estimate from src) and a trainer for it.
func NewTrainer(r *Resolved, src Source) (*Trainer, error) {
	s, err := New(r.Arch, r.DIn, r.DSAE)
	if err != nil {
		return nil, err
	}
	s.ActivationFn = r.ActivationFn
	if s.ActivationFn == "topk" || s.ActivationFn == "" {
		s.ActivationFn = "relu"
	}
	s.ApplyBDecToInput = r.ApplyBDecToInput
	s.NormalizeActivations = r.NormalizeActivations
	if s.NormalizeActivations == "expected_average_only_in" {
		s.NormalizeActivations = "none" // applied by the trainer, folded at the end
	}
	s.K, s.KBatch = r.K, r.KBatch
	s.Meta = Metadata{ModelName: r.ModelName, ModelClassName: r.ModelClassName, HookName: r.HookName,
		HookLayer: r.HookLayer, HookHeadIndex: r.HookHeadIndex, ContextSize: r.ContextSize,
		PrependBOS: r.PrependBOS, DatasetPath: r.DatasetPath, SAELensVersion: SAELensFormatVersion,
		SAELensTrainingVersion: SAELensFormatVersion}
	initRNG := rand.New(rand.NewPCG(uint64(r.Seed), 0x5ae))
	initWeights(s, r, initRNG)
	t := newTrainer(r, s, src)
	if err := t.initFromData(); err != nil {
		return nil, err
	}
	return t, nil
}

func newTrainer(r *Resolved, s *SAE, src Source) *Trainer {
	t := &Trainer{Cfg: r, SAE: s, src: src, NormScale: 1}
	t.params = s.params()
	t.opt = newAdam(t.params, r.AdamBeta1, r.AdamBeta2, r.Glassbox.AdamEps)
	t.g = newGrads(s)
	t.ws = newWorkspace(r.TrainBatchSizeTokens, r.DIn, r.DSAE)
	t.batch = make([]float32, r.TrainBatchSizeTokens*r.DIn)
	t.rows = newRowBatch(src, r.TrainBatchSizeTokens, r.DIn)
	t.sched = newLRSchedule(r)
	t.rng = rand.NewPCG(uint64(r.Seed), 0x4015e)
	t.norm = rand.New(t.rng)
	t.actFreq = make([]float32, r.DSAE)
	t.passesSince = make([]float32, r.DSAE)
	t.opts = stepOptions{lp: r.LpNorm, scaleByDec: r.ScaleSparsityPenaltyByDecoderNorm, ghost: r.UseGhostGrads,
		denseMSE: r.DenseBatchMSE, noise: float32(r.NoiseScale), normFn: t.norm.NormFloat64,
		bandwidth: float32(r.JumpReLUBandwidth), tanhMode: r.JumpReLUSparsityLossMode == "tanh",
		tanhScale: float32(r.JumpReLUTanhScale), auxCoeff: float32(r.AuxLossCoefficient)}
	if r.NCheckpoints > 0 {
		stride := r.TotalTokens / int64(r.NCheckpoints)
		if stride > 0 {
			for v := stride; v < r.TotalTokens; v += stride {
				t.thresholds = append(t.thresholds, v)
			}
		}
	}
	return t
}

// initWeights follows SAELens 3.12's initialisation (kaiming-uniform W_dec
// and W_enc, then orthogonal or heuristic decoder, encoder as decoder
// transpose, unit-norm decoder rows) with glassbox's own seeded RNG.
func initWeights(s *SAE, r *Resolved, rng *rand.Rand) {
	kaiming := func(v []float32, fanIn int) {
		bound := math.Sqrt(2) * math.Sqrt(3/float64(fanIn))
		for i := range v {
			v[i] = float32((rng.Float64()*2 - 1) * bound)
		}
	}
	kaiming(s.WDec, s.DIn)
	wenc := make([]float32, s.DIn*s.DSAE)
	kaiming(wenc, s.DSAE)
	s.SetWEnc(wenc)
	if r.DecoderOrthogonalInit {
		orthogonalRows(s.WDec, s.DSAE, s.DIn, rng)
	} else if r.DecoderHeuristicInit {
		for i := range s.WDec {
			s.WDec[i] = float32(rng.Float64())
		}
		s.SetDecoderNormToUnit()
		for i := range s.WDec {
			s.WDec[i] *= float32(r.DecoderHeuristicInitNorm)
		}
	}
	if r.InitEncoderAsDecoderTranspose {
		copy(s.WEncT, s.WDec)
	}
	if r.NormalizeSAEDecoder {
		s.SetDecoderNormToUnit()
	}
	s.arch().initParams(s, r)
}

// orthogonalRows fills w ([rows, cols]) like torch.nn.init.orthogonal_ on
// its transpose: a QR factorisation (positive diagonal) of a Gaussian matrix,
// so the shorter dimension is orthonormal.
func orthogonalRows(w []float32, rows, cols int, rng *rand.Rand) {
	// Work on a tall matrix A [m, n] (m >= n) and orthonormalise its columns.
	m, n := rows, cols
	tall := rows >= cols
	if !tall {
		m, n = cols, rows
	}
	a := make([]float64, m*n)
	for i := range a {
		a[i] = rng.NormFloat64()
	}
	for j := 0; j < n; j++ {
		for k := 0; k < j; k++ {
			var p float64
			for i := 0; i < m; i++ {
				p += a[i*n+j] * a[i*n+k]
			}
			for i := 0; i < m; i++ {
				a[i*n+j] -= p * a[i*n+k]
			}
		}
		var ss float64
		for i := 0; i < m; i++ {
			ss += a[i*n+j] * a[i*n+j]
		}
		inv := 1 / math.Sqrt(ss)
		for i := 0; i < m; i++ {
			a[i*n+j] *= inv
		}
	}
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			if tall {
				w[i*cols+j] = float32(a[i*n+j])
			} else {
				w[j*cols+i] = float32(a[i*n+j])
			}
		}
	}
}

// initFromData estimates the activation-norm scaling factor and initialises
// b_dec from the data, drawing batches from the source as SAELens does.
func (t *Trainer) initFromData() error {
	r := t.Cfg
	d := r.DIn
	if r.NormalizeActivations == "expected_average_only_in" {
		nb := r.Glassbox.NormEstimateBatches
		if nb < 1 {
			nb = 1000
		}
		var sum float64
		for k := 0; k < nb; k++ {
			if err := t.nextBatch(); err != nil {
				return fmt.Errorf("estimate norm scaling factor: %w", err)
			}
			var m float64
			for b := 0; b < r.TrainBatchSizeTokens; b++ {
				var ss float64
				for _, v := range t.batch[b*d : b*d+d] {
					ss += float64(v) * float64(v)
				}
				m += math.Sqrt(ss)
			}
			sum += m / float64(r.TrainBatchSizeTokens)
		}
		mean := sum / float64(nb)
		if mean == 0 {
			return fmt.Errorf("estimate norm scaling factor: activations are all zero")
		}
		t.NormScale = math.Sqrt(float64(d)) / mean
	}
	if r.BDecInitMethod == "zeros" {
		return nil
	}
	n := r.Glassbox.BDecInitSamples
	if n <= 0 {
		n = r.NBatchesInBuffer / 2 * r.StoreBatchSizePrompts * r.ContextSize
	}
	if n <= 0 {
		n = r.TrainBatchSizeTokens
	}
	sample := make([]float32, n*d)
	if err := t.src.NextBatch(sample); err != nil {
		return fmt.Errorf("b_dec init: %w", err)
	}
	if err := checkFinite(sample); err != nil {
		return fmt.Errorf("b_dec init: %w", err)
	}
	if t.NormScale != 1 {
		for i := range sample {
			sample[i] *= float32(t.NormScale)
		}
	}
	var init []float64
	if r.BDecInitMethod == "mean" {
		init = make([]float64, d)
		for i := 0; i < n; i++ {
			for j := 0; j < d; j++ {
				init[j] += float64(sample[i*d+j])
			}
		}
		for j := range init {
			init[j] /= float64(n)
		}
	} else {
		it := r.Glassbox.GeometricMedianMaxIter
		if it <= 0 {
			it = 100
		}
		var err error
		if init, err = GeometricMedian(sample, d, it, 1e-6, 1e-20); err != nil {
			return err
		}
	}
	for j := range init {
		t.SAE.BDec[j] = float32(init[j])
	}
	if len(sample) >= releaseGCValues/4 {
		// The sample (b_dec_init_samples rows) is garbage now: collect it
		// before the first step allocates its buffers, so that these reuse
		// its memory instead of raising the heap's peak.
		sample = nil
		runtime.GC()
	}
	return nil
}

// checkFinite returns an ErrDiverged error naming the first NaN or ±Inf
// in v.
func checkFinite(v []float32) error {
	// Branch-free scan, two values per 64-bit word: an all-ones exponent
	// field carries into the value's sign bit.
	const expo, one = 0x7f8000007f800000, 0x0080000000800000
	var a0, a1 uint64
	ws := rowWords(v)
	i := 0
	for ; i+2 <= len(ws); i += 2 {
		a0 |= ws[i]&expo + one
		a1 |= ws[i+1]&expo + one
	}
	for ; i < len(ws); i++ {
		a0 |= ws[i]&expo + one
	}
	if len(v)%2 == 1 {
		a1 |= uint64(math.Float32bits(v[len(v)-1]))&expo + one
	}
	if (a0|a1)&0x8000000080000000 == 0 {
		return nil
	}
	for i, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return fmt.Errorf("%w: activation value %d is %v", ErrDiverged, i, x)
		}
	}
	return nil
}

func (t *Trainer) nextBatch() error {
	if err := t.src.NextBatch(t.batch); err != nil {
		return err
	}
	return checkFinite(t.batch)
}

// Done reports whether every training step has run.
func (t *Trainer) Done() bool { return t.StepN >= t.Cfg.TotalSteps }

// deadMask marks features that have not fired for more than
// dead_feature_window steps.
func (t *Trainer) deadMask(dst []bool) []bool {
	win := float32(t.Cfg.DeadFeatureWindow)
	for i, v := range t.passesSince {
		dst[i] = v > win
	}
	return dst
}

// Step runs training step number StepN, advances StepN and returns the
// step's losses (Run adds logging, evaluation, checkpoints and progress).
func (t *Trainer) Step() (StepLosses, error) {
	r := t.Cfg
	s := t.SAE
	// With a row source (and no input scaling), the batch is taken as row
	// indices and only its distinct rows are copied; t.batch is filled
	// only if logging needs it.
	var rows []float32
	byRows := t.rows != nil && t.NormScale == 1 && !t.ws.noDedupe && dedupeOK(s, t.ws, &t.opts)
	if byRows {
		var err error
		if rows, err = t.rows.next(t.ws); err != nil {
			return StepLosses{}, fmt.Errorf("step %d: %w", t.StepN, err)
		}
	} else {
		if err := t.nextBatch(); err != nil {
			return StepLosses{}, fmt.Errorf("step %d: %w", t.StepN, err)
		}
		if t.rows != nil {
			t.rows.full = true
		}
		if t.NormScale != 1 {
			f := float32(t.NormScale)
			for i := range t.batch {
				t.batch[i] *= f
			}
		}
	}
	t.Tokens += int64(r.TrainBatchSizeTokens)
	if r.NormalizeSAEDecoder {
		normalizeRows(s.WDec, s.DSAE, s.DIn)
	}
	if (t.StepN+1)%int64(r.FeatureSamplingWindow) == 0 {
		t.logSparsity()
		clear(t.actFreq)
		t.nFracActive = 0
	}
	dead := t.deadMask(t.ws.deadBuf())
	if t.gDirty {
		t.g.zero() // a failed step left gradients behind
	}
	t.gDirty = true
	t.opts.coeff = float32(l1At(r.SparsityCoeff, r.L1WarmUpSteps, t.StepN))
	t.opts.skipIdleGhostLoss = (t.StepN+1)%int64(r.WandbLogFrequency) != 0 && !t.FullLosses
	var L StepLosses
	var err error
	if byRows {
		L, err = s.forwardBackwardRows(t.ws, rows, dead, &t.opts, t.g)
	} else {
		L, err = s.forwardBackward(t.ws, t.batch, dead, &t.opts, t.g)
	}
	if err != nil {
		return L, err
	}
	if math.IsNaN(L.Overall) || math.IsInf(L.Overall, 0) {
		return L, fmt.Errorf("step %d: %w: loss is %v (mse %v, sparsity %v)", t.StepN, ErrDiverged, L.Overall, L.MSE, L.L1)
	}
	// Feature firing statistics.
	w := t.ws
	for i := range t.passesSince {
		t.passesSince[i]++
	}
	fire := w.firingCounts()
	for i, c := range fire {
		if c > 0 {
			t.passesSince[i] = 0
			t.actFreq[i] += c
		}
	}
	t.nFracActive += int64(w.b)
	s.arch().afterStep(s, w, r)
	known, decSq := -1, 0.0
	if r.NormalizeSAEDecoder {
		known, decSq = 1, removeParallelDecoderGrad(s.WDec, t.g[1], s.DSAE, s.DIn)
	}
	_, coef := clipCoefKnown(t.g, r.Glassbox.MaxGradNorm, known, decSq)
	t.opt.update(t.params, t.g, t.sched.at(t.StepN), coef) // clears t.g
	t.gDirty = false
	t.lastLosses = L
	t.StepN++
	return L, nil
}

func (w *workspace) deadBuf() []bool {
	// reuse h's backing store is unsafe (h is used in the step); keep a
	// dedicated slice.
	if w.deadMask == nil {
		w.deadMask = make([]bool, w.s)
	}
	return w.deadMask
}

// FeatureSparsity returns the fraction of tokens each feature fired on in
// the current feature_sampling_window.
func (t *Trainer) FeatureSparsity() []float32 {
	out := make([]float32, len(t.actFreq))
	if t.nFracActive == 0 {
		return out
	}
	for i, v := range t.actFreq {
		out[i] = v / float32(t.nFracActive)
	}
	return out
}

// LogFeatureSparsity is log10(feature density + 1e-10), as SAELens saves it.
func (t *Trainer) LogFeatureSparsity() []float32 {
	fs := t.FeatureSparsity()
	for i, v := range fs {
		fs[i] = float32(math.Log10(float64(v) + 1e-10))
	}
	return fs
}

func (t *Trainer) logSparsity() {
	if t.nFracActive == 0 {
		return
	}
	fs := t.FeatureSparsity()
	var mean float64
	var b5, b6 int
	for _, v := range fs {
		mean += math.Log10(float64(v) + 1e-10)
		if v < 1e-5 {
			b5++
		}
		if v < 1e-6 {
			b6++
		}
	}
	t.record(t.StepN, []string{"metrics/mean_log10_feature_sparsity", "sparsity/below_1e-5", "sparsity/below_1e-6"},
		[]float64{mean / float64(len(fs)), float64(b5), float64(b6)})
}

func (t *Trainer) record(step int64, keys []string, vals []float64) {
	rec := Record{Step: step, Values: make(map[string]float64, len(keys)), Order: keys}
	for i, k := range keys {
		rec.Values[k] = vals[i]
	}
	t.metrics = append(t.metrics, rec)
	if t.mlog != nil && t.mlogErr == nil {
		if _, err := t.mlog.Write(metricsJSON([]Record{rec})); err != nil {
			t.mlogErr = fmt.Errorf("append %s: %w", t.mlog.Name(), err)
		}
	}
}

// logTrainStep records the wandb metrics of step number step (just run).
func (t *Trainer) logTrainStep(step int64, L StepLosses) {
	r := t.Cfg
	w := t.ws
	B, D := w.b, w.d
	if t.rows != nil && !t.rows.full {
		t.rows.fill(t.batch, D)
	}
	x := t.batch
	mean := w.g // scratch
	clear(mean)
	for b := 0; b < B; b++ {
		for j := 0; j < D; j++ {
			mean[j] += x[b*D+j] / float32(B)
		}
	}
	var sse, sst float64
	perTok := make([]float64, B)
	for b := 0; b < B; b++ {
		var e, v float64
		r := int(w.rowOf[b]) // the step row of batch row b
		for j := 0; j < D; j++ {
			d1 := float64(w.xhat[r*D+j] - x[b*D+j])
			d2 := float64(x[b*D+j] - mean[j])
			e += d1 * d1
			v += d2 * d2
		}
		sse += e
		sst += v
		if v > 0 {
			perTok[b] = 1 - e/v
		}
	}
	ev := math.NaN() // undefined when the batch does not vary, as ReconSums.ExplainedVariance
	if sst > 0 {
		ev = 1 - sse/sst
	}
	var pm, ps float64
	for _, v := range perTok {
		pm += v
	}
	pm /= float64(B)
	for _, v := range perTok {
		ps += (v - pm) * (v - pm)
	}
	if B > 1 {
		ps = math.Sqrt(ps / float64(B-1))
	}
	var l0 float64
	for _, r := range w.rowOf[:B] {
		l0 += float64(w.actN[r])
	}
	var dead int
	var mps float64
	win := float32(r.DeadFeatureWindow)
	for _, v := range t.passesSince {
		if v > win {
			dead++
		}
		mps += float64(v)
	}
	coeff := l1At(r.SparsityCoeff, r.L1WarmUpSteps, step)
	l1n := L.L1
	if coeff != 0 {
		l1n = L.L1 / coeff
	}
	keys := []string{"losses/mse_loss", "losses/l1_loss", "losses/auxiliary_reconstruction_loss", "losses/ghost_grad_loss",
		"losses/overall_loss", "metrics/explained_variance", "metrics/explained_variance_std", "metrics/l0",
		"sparsity/mean_passes_since_fired", "sparsity/dead_features", "details/current_learning_rate",
		"details/current_l1_coefficient", "details/n_training_tokens"}
	vals := []float64{L.MSE, l1n, L.Aux, L.Ghost, L.Overall, ev, ps, l0 / float64(B), mps / float64(len(t.passesSince)),
		float64(dead), t.sched.at(step), coeff, float64(t.Tokens)}
	ak, av := t.SAE.arch().logValues(t.SAE)
	keys, vals = append(keys, ak...), append(vals, av...)
	t.record(step, keys, vals)
}

// Evaluate runs the (unfolded) SAE on the eval rows, in the trainer's
// normalised space.
func (t *Trainer) evaluate() (EvalMetrics, error) {
	if len(t.Eval) == 0 {
		return EvalMetrics{}, nil
	}
	x := t.Eval
	if t.NormScale != 1 {
		x = make([]float32, len(t.Eval))
		for i, v := range t.Eval {
			x[i] = v * float32(t.NormScale)
		}
	}
	return t.SAE.Evaluate(x)
}

// FinalSAE returns a copy of the SAE as it is saved at the end of training:
// decoder rows unit-normed (when normalize_sae_decoder) and the
// expected_average_only_in scaling factor folded into the weights (SAELens
// 6.x folding: W_enc·f, W_dec/f, b_dec/f).
func (t *Trainer) FinalSAE() *SAE {
	s := t.SAE.Clone()
	if t.Cfg.NormalizeSAEDecoder {
		s.SetDecoderNormToUnit()
	}
	if t.NormScale != 1 {
		f := float32(t.NormScale)
		for i := range s.WEncT {
			s.WEncT[i] *= f
		}
		for i := range s.WDec {
			s.WDec[i] /= f
		}
		for i := range s.BDec {
			s.BDec[i] /= f
		}
	}
	s.NormalizeActivations = t.Cfg.NormalizeActivations
	if s.NormalizeActivations == "expected_average_only_in" {
		s.NormalizeActivations = "none"
	}
	return s
}
