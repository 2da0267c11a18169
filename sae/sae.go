package sae

import (
	"fmt"
	"math"
	"slices"
)

// SAE holds the weights of one sparse autoencoder and what is needed to run
// it. Matrices are dense row-major float32. W_enc is kept transposed
// (WEncT is [d_sae, d_in], row i = encoder direction of feature i) because
// every hot loop reads it by feature; the files hold SAELens' W_enc [d_in,
// d_sae] (see WEnc / SetWEnc).
type SAE struct {
	// Arch is the architecture (Arch* constants).
	Arch string
	// DIn and DSAE are the input and feature dimensions.
	DIn, DSAE int

	WEncT []float32 // [d_sae, d_in]
	WDec  []float32 // [d_sae, d_in]
	BEnc  []float32 // [d_sae] (unused by gated)
	BDec  []float32 // [d_in]

	// Gated parameters ([d_sae] each).
	BGate, RMag, BMag []float32
	// LogThreshold is jumprelu's trained parameter, threshold = exp(log_threshold).
	LogThreshold []float32
	// TopKThreshold is batchtopk's running threshold (used for inference,
	// and saved as a jumprelu threshold).
	TopKThreshold float64

	// K is topk's number of active features per row; KBatch is batchtopk's
	// mean number per row.
	K      int
	KBatch float64

	// ActivationFn is "relu" or "tanh-relu" (standard and gated).
	ActivationFn string
	// ApplyBDecToInput subtracts b_dec from the input before encoding.
	ApplyBDecToInput bool
	// NormalizeActivations is the run-time input normalisation:
	// "none", "constant_norm_rescale" or "layer_norm" (expected_average_only_in
	// is folded into the weights after training and reads as "none").
	NormalizeActivations string
	// Meta is the descriptive part of the SAELens config (hook, model, …).
	Meta Metadata
}

// Metadata is the descriptive part of a SAELens config: where the SAE reads
// its activations. Keys are SAELens' metadata keys.
type Metadata struct {
	ModelName              string         `json:"model_name"`
	ModelClassName         string         `json:"model_class_name"`
	HookName               string         `json:"hook_name"`
	HookLayer              int            `json:"hook_layer"`
	HookHeadIndex          *int           `json:"hook_head_index"`
	ContextSize            int            `json:"context_size"`
	PrependBOS             bool           `json:"prepend_bos"`
	DatasetPath            string         `json:"dataset_path"`
	SAELensVersion         string         `json:"sae_lens_version"`
	SAELensTrainingVersion string         `json:"sae_lens_training_version"`
	Extra                  map[string]any `json:"-"`
}

// New returns an SAE of the given shape with zero weights and the given
// architecture's extra parameters allocated (jumprelu thresholds start at
// log(initThreshold) when initThreshold > 0).
func New(arch string, dIn, dSAE int) (*SAE, error) {
	s, err := newShell(arch, dIn, dSAE)
	if err != nil {
		return nil, err
	}
	s.alloc()
	return s, nil
}

// newShell validates the shape and architecture without allocating weights.
func newShell(arch string, dIn, dSAE int) (*SAE, error) {
	if dIn < 1 || dSAE < 1 {
		return nil, fmt.Errorf("sae: d_in and d_sae must be >= 1, got %d and %d", dIn, dSAE)
	}
	if _, ok := archByName(arch); !ok {
		return nil, fmt.Errorf("sae: unknown architecture %q (want %s)", arch, archList())
	}
	return &SAE{Arch: arch, DIn: dIn, DSAE: dSAE, ActivationFn: "relu", NormalizeActivations: "none"}, nil
}

// alloc allocates zero weights for the shell's shape and architecture.
func (s *SAE) alloc() {
	dIn, dSAE := s.DIn, s.DSAE
	s.WEncT, s.WDec, s.BDec = make([]float32, dIn*dSAE), make([]float32, dIn*dSAE), make([]float32, dIn)
	s.BEnc, s.BGate, s.RMag, s.BMag, s.LogThreshold = nil, nil, nil, nil, nil
	s.arch().alloc(s)
}

// WEnc returns W_enc as SAELens stores it, [d_in, d_sae].
func (s *SAE) WEnc() []float32 {
	out := make([]float32, s.DIn*s.DSAE)
	transpose(out, s.WEncT, s.DSAE, s.DIn)
	return out
}

// SetWEnc sets the encoder from SAELens' [d_in, d_sae] layout.
func (s *SAE) SetWEnc(w []float32) {
	transpose(s.WEncT, w, s.DIn, s.DSAE)
}

// transpose writes the transpose of src ([rows, cols]) into dst ([cols, rows]).
func transpose(dst, src []float32, rows, cols int) {
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			dst[c*rows+r] = src[r*cols+c]
		}
	}
}

// params returns the trainable parameters in a fixed order (the order of the
// Adam state and of the gradients).
func (s *SAE) params() [][]float32 {
	ps := s.arch().params(s)
	out := make([][]float32, len(ps))
	for i, p := range ps {
		out[i] = p.v
	}
	return out
}

// paramNames are the SAELens names of params() (W_enc is stored transposed).
func (s *SAE) paramNames() []string {
	ps := s.arch().params(s)
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.name
	}
	return out
}

// Clone returns a deep copy.
func (s *SAE) Clone() *SAE {
	c := *s
	cp := func(v []float32) []float32 {
		if v == nil {
			return nil
		}
		return append([]float32(nil), v...)
	}
	c.WEncT, c.WDec, c.BEnc, c.BDec = cp(s.WEncT), cp(s.WDec), cp(s.BEnc), cp(s.BDec)
	c.BGate, c.RMag, c.BMag, c.LogThreshold = cp(s.BGate), cp(s.RMag), cp(s.BMag), cp(s.LogThreshold)
	return &c
}

// SetDecoderNormToUnit rescales every decoder row to unit L2 norm.
func (s *SAE) SetDecoderNormToUnit() {
	d := s.DIn
	for i := 0; i < s.DSAE; i++ {
		row := s.WDec[i*d : i*d+d]
		var ss float32
		for _, v := range row {
			ss += v * v
		}
		inv := 1 / float32(math.Sqrt(float64(ss)))
		for j := range row {
			row[j] *= inv
		}
	}
}

// decoderNorms writes ‖W_dec_i‖ into dst.
func (s *SAE) decoderNorms(dst []float32) {
	d := s.DIn
	// rows by spans over the cores (each row's norm is its own sum)
	forSpans(s.DSAE, rowSpan, s.DSAE*d, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			dst[i] = float32(math.Sqrt(float64(sumSq(s.WDec[i*d : i*d+d]))))
		}
	})
}

// rowNorm is the per-row input normalisation of one input row: the SAE sees
// (x − mu)·kin and its output is y·kout + mu.
type rowNorm struct{ kin, kout, mu float32 }

func normalizeRow(mode string, x []float32) rowNorm {
	switch mode {
	case "constant_norm_rescale":
		var ss float64
		for _, v := range x {
			ss += float64(v) * float64(v)
		}
		k := float32(math.Sqrt(float64(len(x)))) / float32(math.Sqrt(ss))
		return rowNorm{kin: k, kout: 1 / k}
	case "layer_norm":
		var sum float64
		for _, v := range x {
			sum += float64(v)
		}
		mu := float32(sum / float64(len(x)))
		var ss float64
		for _, v := range x {
			dv := float64(v - mu)
			ss += dv * dv
		}
		std := float32(math.Sqrt(ss / float64(len(x)-1)))
		return rowNorm{kin: 1 / (std + 1e-5), kout: std, mu: mu}
	default:
		return rowNorm{kin: 1, kout: 1}
	}
}

// Encode returns the feature activations [n, d_sae] of the rows of x
// ([n, d_in]) with the inference semantics of the architecture (batchtopk
// uses its learned threshold like the jumprelu SAE it is saved as).
func (s *SAE) Encode(x []float32) ([]float32, error) {
	d := s.DIn
	if len(x)%d != 0 {
		return nil, fmt.Errorf("sae: encode: input length %d is not a multiple of d_in %d", len(x), d)
	}
	n := len(x) / d
	out := make([]float32, n*s.DSAE)
	s.encodeRows(x, out, nil)
	return out, nil
}

// inferenceChunk is the number of rows Encode and Forward prepare at a time.
const inferenceChunk = 256

// encodeRows writes the feature activations of the rows of x into f
// ([n, d_sae]) and, when norms is not nil, each row's normalisation into
// norms[r]. The pre-activations of a chunk of rows are one matrix product
// (c·W_enc, written straight into f), then each row gets the
// architecture's activation (its encoder) in place.
func (s *SAE) encodeRows(x, f []float32, norms []rowNorm) {
	s.encodeRowsWith(x, f, norms, s.WEnc())
}

// encodeRowsWith is encodeRows with the encoder in [d_in, d_sae] layout
// (s.WEnc()) already made.
func (s *SAE) encodeRowsWith(x, f []float32, norms []rowNorm, wenc []float32) {
	d, S := s.DIn, s.DSAE
	n := len(x) / d
	c := make([]float32, min(n, inferenceChunk)*d)
	activate := s.arch().encoder(s)
	for r0 := 0; r0 < n; r0 += inferenceChunk {
		m := min(inferenceChunk, n-r0)
		for r := 0; r < m; r++ {
			rn := s.prepareInput(x[(r0+r)*d:(r0+r+1)*d], c[r*d:(r+1)*d])
			if norms != nil {
				norms[r0+r] = rn
			}
		}
		fc := f[r0*S : (r0+m)*S]
		clear(fc)
		gemmAcc(fc, c[:m*d], wenc, m, d, S)
		for r := 0; r < m; r++ {
			activate(fc[r*S : (r+1)*S])
		}
	}
}

// prepareInput normalises x and subtracts b_dec when configured, writing c.
func (s *SAE) prepareInput(x, c []float32) rowNorm {
	rn := normalizeRow(s.NormalizeActivations, x)
	for j, v := range x {
		c[j] = (v - rn.mu) * rn.kin
		if s.ApplyBDecToInput {
			c[j] -= s.BDec[j]
		}
	}
	return rn
}

func activate(fn string, p float32) float32 {
	if p <= 0 {
		return 0
	}
	if fn == "tanh-relu" {
		return float32(math.Tanh(float64(p)))
	}
	return p
}

// Decode maps feature activations [n, d_sae] back to [n, d_in]. With
// run-time normalisation it returns the normalised-space reconstruction
// (Forward undoes the normalisation per row).
func (s *SAE) Decode(f []float32) ([]float32, error) {
	if len(f)%s.DSAE != 0 {
		return nil, fmt.Errorf("sae: decode: input length %d is not a multiple of d_sae %d", len(f), s.DSAE)
	}
	n := len(f) / s.DSAE
	out := make([]float32, n*s.DIn)
	s.decodeRows(f, out)
	return out, nil
}

// decodeRows writes b_dec + f·W_dec into y ([n, d_in]) for f [n, d_sae]
// (one matrix product: the per-entry path when f is sparse).
func (s *SAE) decodeRows(f, y []float32) {
	d := s.DIn
	n := len(y) / d
	for r := 0; r < n; r++ {
		copy(y[r*d:(r+1)*d], s.BDec)
	}
	gemmAcc(y, f, s.WDec, n, s.DSAE, d)
}

// Forward encodes and decodes x ([n, d_in]) and returns the reconstruction
// in input space and the feature activations.
func (s *SAE) Forward(x []float32) (recon, feats []float32, err error) {
	d := s.DIn
	if len(x)%d != 0 {
		return nil, nil, fmt.Errorf("sae: forward: input length %d is not a multiple of d_in %d", len(x), d)
	}
	n := len(x) / d
	recon = make([]float32, n*d)
	feats = make([]float32, n*s.DSAE)
	s.forwardInto(x, recon, feats, make([]rowNorm, n), s.WEnc())
	return recon, feats, nil
}

// forwardInto is Forward writing into recon, feats and norms (one per row),
// with the encoder in [d_in, d_sae] layout (s.WEnc()).
func (s *SAE) forwardInto(x, recon, feats []float32, norms []rowNorm, wenc []float32) {
	d := s.DIn
	s.encodeRowsWith(x, feats, norms, wenc)
	s.decodeRows(feats, recon)
	for b, rn := range norms {
		if rn.kout == 1 && rn.mu == 0 {
			continue
		}
		y := recon[b*d : b*d+d]
		for j := range y {
			y[j] = y[j]*rn.kout + rn.mu
		}
	}
}

// EvalMetrics are reconstruction metrics over a set of rows, each computed
// by its ReconSums method (see there for the exact definitions).
type EvalMetrics struct {
	// ExplainedVariance is 1 − Σ‖x−x̂‖² / Σ‖x−mean(x)‖²; NaN when the
	// inputs do not vary.
	ExplainedVariance float64
	// MSEPerElement is the mean over every element of (x−x̂)² (SAELens'
	// eval "mse").
	MSEPerElement float64
	// SumSqPerRow is the mean over rows of Σ_d (x−x̂)².
	SumSqPerRow float64
	// L0 is the mean number of active (non-zero) features per row.
	L0 float64
	// DeadFeatures counts features that never fire on the rows.
	DeadFeatures int
	// Rows is the number of rows evaluated.
	Rows int
}

// Evaluate runs the SAE on every row of x ([n, d_in]).
func (s *SAE) Evaluate(x []float32) (EvalMetrics, error) {
	if d := s.DIn; d > 0 && len(x)%d == 0 && s.DSAE > 0 && (len(x)/d)*s.DSAE > evalChunkValues {
		return s.evaluateChunked(x)
	}
	recon, feats, err := s.Forward(x)
	if err != nil {
		return EvalMetrics{}, err
	}
	return s.Metrics(x, recon, feats)
}

// evalChunkValues is the largest feature matrix (rows × d_sae values)
// Evaluate builds at once: larger evaluations (16,384 rows at d_sae 6144
// would be 400 MB) run in chunks of rows with the sums carried over.
var evalChunkValues = 1 << 22

// evaluateChunked is Evaluate in chunks of rows: the sums are Sums' (the
// same terms in the same order), the feature matrix one chunk's.
func (s *SAE) evaluateChunked(x []float32) (EvalMetrics, error) {
	d, S := s.DIn, s.DSAE
	n := len(x) / d
	rows := s.ChunkRows(evalChunkValues)
	acc, err := NewSumsAcc(x, d, S)
	if err != nil {
		return EvalMetrics{}, err
	}
	recon := make([]float32, rows*d)
	feats := make([]float32, rows*S)
	norms := make([]rowNorm, rows)
	wenc := s.WEnc() // once, not per chunk (19 MB at d_in 768, d_sae 6144)
	for r0 := 0; r0 < n; r0 += rows {
		m := min(rows, n-r0)
		xc := x[r0*d : (r0+m)*d]
		s.forwardInto(xc, recon[:m*d], feats[:m*S], norms[:m], wenc)
		if err := acc.Add(xc, recon[:m*d], feats[:m*S]); err != nil {
			return EvalMetrics{}, err
		}
	}
	sums, err := acc.Sums()
	if err != nil {
		return EvalMetrics{}, err
	}
	return sums.EvalMetrics(), nil
}

// Metrics computes Evaluate's metrics from a Forward pass already run on x
// (recon [n, d_in], feats [n, d_sae]), so a caller that needs the
// activations too runs the SAE once.
func (s *SAE) Metrics(x, recon, feats []float32) (EvalMetrics, error) {
	return s.MetricsRows(x, nil, recon, feats)
}

// MetricsRows is Metrics for a Forward pass run on the distinct rows of x
// only: row i of x is distinct row rowOf[i] of recon ([k, d_in]) and feats
// ([k, d_sae]); rowOf nil means the rows are x's own. The sums run over
// x's rows in order, so the result is Metrics' on the expanded outputs, bit
// for bit.
func (s *SAE) MetricsRows(x []float32, rowOf []int32, recon, feats []float32) (EvalMetrics, error) {
	sums, err := Sums(x, rowOf, recon, feats, s.DIn, s.DSAE)
	if err != nil {
		return EvalMetrics{}, err
	}
	return sums.EvalMetrics(), nil
}

// EvalMetrics collects the metrics of the sums.
func (s ReconSums) EvalMetrics() EvalMetrics {
	return EvalMetrics{
		ExplainedVariance: s.ExplainedVariance(),
		MSEPerElement:     s.MSEPerElement(),
		SumSqPerRow:       s.SumSqPerRow(),
		L0:                s.L0(),
		DeadFeatures:      s.DeadFeatures(),
		Rows:              s.Rows,
	}
}

// topKIndices returns the indices of the k largest values of v (ties: the
// lower index first; in no particular order), using scratch (len(v)) when
// given. Small k keeps a sorted buffer of the best k seen so far (one pass,
// most values rejected by one comparison); larger k uses quickselect.
func topKIndices(v []float32, k int, scratch []int32) []int32 {
	if cap(scratch) < len(v) {
		scratch = make([]int32, len(v))
	}
	if k >= len(v) {
		idx := scratch[:len(v)]
		for i := range idx {
			idx[i] = int32(i)
		}
		return idx
	}
	if k <= 0 {
		return scratch[:0]
	}
	if k <= topKInsertMax {
		return topKInsert(v, k, scratch[:k])
	}
	idx := scratch[:len(v)]
	for i := range idx {
		idx[i] = int32(i)
	}
	selectTopValues(idx, v, k)
	return idx[:k]
}

// topKInsertMax is the largest k for which topKIndices keeps an insertion
// buffer instead of running quickselect.
const topKInsertMax = 32

// topKInsert is topKIndices for small k: buf (len k) holds the best k
// indices so far, ordered best first under "larger value, then lower
// index".
func topKInsert(v []float32, k int, buf []int32) []int32 {
	for i := 0; i < k; i++ {
		// insert i into buf[:i]
		x := v[i]
		j := i
		for j > 0 && x > v[buf[j-1]] {
			buf[j] = buf[j-1]
			j--
		}
		buf[j] = int32(i)
	}
	worst := v[buf[k-1]]
	for i := k; i < len(v); i++ {
		// A later index with an equal value ranks lower: only strictly
		// larger values enter. firstAbove skips the rest (vectorised).
		i += firstAbove(v[i:], worst)
		if i == len(v) {
			break
		}
		x := v[i]
		j := k - 1
		for j > 0 && x > v[buf[j-1]] {
			buf[j] = buf[j-1]
			j--
		}
		buf[j] = int32(i)
		worst = v[buf[k-1]]
	}
	return buf
}

// greaterAt is the strict total order of topKIndices: larger value, then
// lower index.
func greaterAt(v []float32, a, b int32) bool {
	va, vb := v[a], v[b]
	return va > vb || (va == vb && a < b)
}

// selectTopValues partially orders idx so that its first k entries are the
// k largest of v[idx] under greaterAt (quickselect, median-of-three
// pivots).
func selectTopValues(idx []int32, v []float32, k int) {
	lo, hi := 0, len(idx)-1
	for lo < hi {
		mid := lo + (hi-lo)/2
		if greaterAt(v, idx[mid], idx[lo]) {
			idx[mid], idx[lo] = idx[lo], idx[mid]
		}
		if greaterAt(v, idx[hi], idx[lo]) {
			idx[hi], idx[lo] = idx[lo], idx[hi]
		}
		if greaterAt(v, idx[mid], idx[hi]) {
			idx[mid], idx[hi] = idx[hi], idx[mid]
		}
		pivot := idx[hi]
		pv := v[pivot]
		store := lo
		for i := lo; i < hi; i++ {
			a := idx[i]
			if va := v[a]; va > pv || (va == pv && a < pivot) {
				idx[i], idx[store] = idx[store], idx[i]
				store++
			}
		}
		idx[store], idx[hi] = idx[hi], idx[store]
		switch {
		case store == k-1 || store == k:
			return
		case store < k:
			lo = store + 1
		default:
			hi = store - 1
		}
	}
}

// sortInt32 sorts ascending (used to make index sets deterministic):
// insertion sort for the short lists of topk, pdqsort otherwise.
func sortInt32(v []int32) {
	if len(v) > 32 {
		slices.Sort(v)
		return
	}
	for i := 1; i < len(v); i++ {
		x := v[i]
		j := i
		for j > 0 && v[j-1] > x {
			v[j] = v[j-1]
			j--
		}
		v[j] = x
	}
}

// dot is an unrolled float32 dot product (AVX2 for long vectors).
func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	if useAVX2 && len(a) >= 16 {
		i = len(a) &^ 7
		s0 = dotAVX2(&a[0], &b[0], len(a))
	}
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// axpy computes y += a·x (AVX2 for long vectors).
func axpy(a float32, x, y []float32) {
	y = y[:len(x)]
	i := 0
	if useAVX2 && len(x) >= 16 {
		i = len(x) &^ 7
		axpyAVX2(a, &x[0], &y[0], len(x))
	}
	for ; i+4 <= len(x); i += 4 {
		y[i] += a * x[i]
		y[i+1] += a * x[i+1]
		y[i+2] += a * x[i+2]
		y[i+3] += a * x[i+3]
	}
	for ; i < len(x); i++ {
		y[i] += a * x[i]
	}
}
