package features

import (
	"fmt"
	"math"
	"strconv"

	"github.com/glassbox-interp/glassbox/sae"
	"github.com/glassbox-interp/glassbox/tensor"
)

// Num is a float64 that encodes NaN and ±Inf as JSON null (a score whose
// denominator is zero is undefined, not an error).
type Num float64

// MarshalJSON writes the number, or null when it is not finite.
func (n Num) MarshalJSON() ([]byte, error) {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64), nil
}

// DenseDensity is the firing frequency above which a feature counts as dense.
const DenseDensity = 0.1

// ReconMetrics are reconstruction metrics of an SAE over an evaluation set.
type ReconMetrics struct {
	N int `json:"n"`
	// ExplainedVariance = 1 − Σ‖x−x̂‖² / Σ‖x−mean(x)‖² over the whole set;
	// NaN (JSON null) when x does not vary (sae.ReconSums.ExplainedVariance).
	ExplainedVariance Num `json:"explained_variance"`
	// MSE is the mean over all elements of (x − x̂)² (SAELens' eval "mse",
	// sae.ReconSums.MSEPerElement).
	MSE Num `json:"mse"`
	// L0 is the mean number of active (non-zero, sae.IsActive) features per
	// vector.
	L0 Num `json:"l0"`
	// L1 is the mean Σ|f| per vector.
	L1 Num `json:"l1"`
	// Dead counts features never active; Dense those active on more than
	// DenseDensity of the vectors.
	Dead  int `json:"dead_features"`
	Dense int `json:"dense_features"`
	// Shrinkage is the mean ‖x̂‖/‖x‖ (SAELens l2_ratio) over vectors with x ≠ 0.
	Shrinkage Num `json:"shrinkage"`
	// Cosine is the mean cos(x, x̂) over vectors with x ≠ 0 and x̂ ≠ 0.
	Cosine Num `json:"cosine"`
}

// DivergedEV is the explained variance below which a reconstruction counts
// as diverged: its squared error is more than twice the data's variance
// about its mean (a constant guess at the mean scores 0).
const DivergedEV = -1

// Diverged reports signs that training diverged: a non-finite MSE, or an
// explained variance below DivergedEV.
func (m *ReconMetrics) Diverged() bool {
	mse := float64(m.MSE)
	return math.IsNaN(mse) || math.IsInf(mse, 0) || float64(m.ExplainedVariance) < DivergedEV
}

// Reconstruction computes ReconMetrics from inputs x [N, d_in], reconstructions
// xhat [N, d_in] and feature activations f [N, d_sae]. Leading dimensions
// beyond two are flattened (x may be [rows, positions, d_in]).
func Reconstruction(x, xhat, f *tensor.Tensor) (*ReconMetrics, error) {
	n, din, err := flat2(x, "x")
	if err != nil {
		return nil, err
	}
	n2, din2, err := flat2(xhat, "x_hat")
	if err != nil {
		return nil, err
	}
	if n2 != n || din2 != din {
		return nil, fmt.Errorf("features: x_hat shape %s does not match x shape %s", tensor.ShapeString(xhat.Shape), tensor.ShapeString(x.Shape))
	}
	n3, dsae, err := flat2(f, "feature activations")
	if err != nil {
		return nil, err
	}
	if n3 != n {
		return nil, fmt.Errorf("features: feature activations have %d vectors, x has %d", n3, n)
	}
	acc, err := NewReconAcc(x.Data[:n*din], din, dsae)
	if err != nil {
		return nil, err
	}
	if err := acc.Add(x.Data[:n*din], xhat.Data[:n*din], f.Data[:n*dsae]); err != nil {
		return nil, err
	}
	return acc.Metrics()
}

// ReconAcc computes ReconMetrics over consecutive chunks of rows, for a
// caller that never holds the whole feature matrix: the same sums in the
// same order as Reconstruction on all the rows at once (which is one Add),
// so the metrics are the same bit for bit.
type ReconAcc struct {
	sums       *sae.SumsAcc
	din, dsae  int
	n          int // rows added so far
	l1, shr    float64
	cos        float64
	nShr, nCos int
}

// NewReconAcc starts the metrics over the rows of x ([n, d_in] flattened;
// the explained variance needs their mean) for d_sae features.
func NewReconAcc(x []float32, din, dsae int) (*ReconAcc, error) {
	sums, err := sae.NewSumsAcc(x, din, dsae)
	if err != nil {
		return nil, fmt.Errorf("features: %w", err)
	}
	return &ReconAcc{sums: sums, din: din, dsae: dsae}, nil
}

// Add accumulates the next rows: inputs x ([m, d_in], following those
// already added), reconstructions xhat ([m, d_in]), activations f ([m, d_sae]).
func (r *ReconAcc) Add(x, xhat, f []float32) error {
	if err := r.sums.Add(x, xhat, f); err != nil {
		return fmt.Errorf("features: %w", err)
	}
	din, dsae := r.din, r.dsae
	m := len(x) / din
	for i := 0; i < m; i++ {
		var xx, hh, xh float64
		for d := 0; d < din; d++ {
			a, b := float64(x[i*din+d]), float64(xhat[i*din+d])
			if math.IsNaN(a) || math.IsNaN(b) {
				return fmt.Errorf("features: NaN in x or x_hat at vector %d", r.n+i)
			}
			xx += a * a
			hh += b * b
			xh += a * b
		}
		if xx > 0 {
			r.shr += math.Sqrt(hh / xx)
			r.nShr++
			if hh > 0 {
				r.cos += xh / math.Sqrt(xx*hh)
				r.nCos++
			}
		}
		for _, v := range f[i*dsae : (i+1)*dsae] {
			r.l1 += math.Abs(float64(v))
		}
	}
	r.n += m
	return nil
}

// Metrics returns the metrics once every row has been added.
func (r *ReconAcc) Metrics() (*ReconMetrics, error) {
	sums, err := r.sums.Sums()
	if err != nil {
		return nil, fmt.Errorf("features: %w", err)
	}
	n := r.n
	m := &ReconMetrics{
		N:                 n,
		ExplainedVariance: Num(sums.ExplainedVariance()),
		MSE:               Num(sums.MSEPerElement()),
		L0:                Num(sums.L0()),
		L1:                Num(r.l1 / float64(n)),
		Dead:              sums.DeadFeatures(),
		Dense:             sums.DenseFeatures(DenseDensity),
		Shrinkage:         Num(math.NaN()),
		Cosine:            Num(math.NaN()),
	}
	if r.nShr > 0 {
		m.Shrinkage = Num(r.shr / float64(r.nShr))
	}
	if r.nCos > 0 {
		m.Cosine = Num(r.cos / float64(r.nCos))
	}
	return m, nil
}

func flat2(t *tensor.Tensor, name string) (n, d int, err error) {
	if t == nil || len(t.Shape) < 2 {
		return 0, 0, fmt.Errorf("features: %s must have at least 2 dimensions", name)
	}
	d = t.Shape[len(t.Shape)-1]
	n = tensor.NumElements(t.Shape[:len(t.Shape)-1])
	if d < 1 || n < 1 || len(t.Data) != n*d {
		return 0, 0, fmt.Errorf("features: %s shape %s does not match %d values", name, tensor.ShapeString(t.Shape), len(t.Data))
	}
	return n, d, nil
}

// DownstreamInput holds model outputs at the evaluated positions with the
// hook's activation left alone (Clean), replaced by the SAE reconstruction
// (Spliced) and replaced by zeros (Zero). Each is [P·V] row-major: P
// evaluated positions × V outputs (logits for categorical, the output
// value(s) for numerical models).
type DownstreamInput struct {
	Categorical          bool
	V                    int
	Clean, Spliced, Zero []float32
	// Targets (categorical) is the correct output id per position; a
	// negative id excludes the position.
	Targets []int
	// TargetValues (numerical) is the correct value per position; NaN excludes it.
	TargetValues []float64
	// ATol is the numerical accuracy tolerance: an output is correct when
	// |out − target| < ATol. 0 means DefaultATol.
	ATol float64
}

// DefaultATol is the default numerical accuracy tolerance, InterpBench's:
// an output within 0.05 of the program's value is correct.
const DefaultATol = 0.05

// OutputMetrics are the metrics of one run (clean, spliced or zero-ablated).
type OutputMetrics struct {
	// Accuracy: argmax == target (categorical) or |out − target| < atol
	// at every output (numerical; DownstreamInput.ATol, default 0.05).
	Accuracy Num `json:"accuracy"`
	// CE is the mean cross-entropy against the targets (categorical).
	CE *Num `json:"ce_loss,omitempty"`
	// KL is the mean KL(clean ‖ this) (categorical).
	KL *Num `json:"kl_div,omitempty"`
	// MSE is the mean squared error against the targets (numerical).
	MSE *Num `json:"mse,omitempty"`
	// MSEClean is the mean squared difference to the clean output (numerical).
	MSEClean *Num `json:"mse_vs_clean,omitempty"`
}

// DownstreamMetrics compares the spliced model to the clean and zero-ablated
// models. Scores are SAELens' definitions: ce_loss_score =
// (CE_zero − CE_spliced)/(CE_zero − CE_clean), kl_div_score =
// (KL_zero − KL_spliced)/KL_zero; numerical outputs get the analogous
// mse_score = (MSE_zero − MSE_spliced)/(MSE_zero − MSE_clean) and
// mse_vs_clean_score = (D_zero − D_spliced)/D_zero with D the MSE to the
// clean output. Undefined scores (zero denominators) are NaN (JSON null).
type DownstreamMetrics struct {
	Categorical bool          `json:"categorical"`
	Positions   int           `json:"positions"`
	Clean       OutputMetrics `json:"clean"`
	Spliced     OutputMetrics `json:"spliced"`
	Zero        OutputMetrics `json:"zero_ablated"`
	CEScore     *Num          `json:"ce_loss_score,omitempty"`
	KLScore     *Num          `json:"kl_div_score,omitempty"`
	MSEScore    *Num          `json:"mse_score,omitempty"`
	MSECleanSc  *Num          `json:"mse_vs_clean_score,omitempty"`
	// ATol is the numerical tolerance the accuracies used (0: categorical).
	ATol float64 `json:"atol,omitempty"`
	// Retained is the fraction of the clean accuracy the spliced model
	// keeps, spliced / clean accuracy (nil when the clean accuracy is 0).
	Retained *Num `json:"accuracy_retained,omitempty"`
}

// Downstream computes DownstreamMetrics. It is NewDownstreamRef followed
// by DownstreamRef.Metrics; to score several spliced outputs against the
// same clean and zero-ablated outputs, make the DownstreamRef once.
func Downstream(in DownstreamInput) (*DownstreamMetrics, error) {
	if in.V >= 1 && len(in.Spliced) != len(in.Clean) {
		return nil, fmt.Errorf("features: downstream outputs must have equal length, a multiple of V=%d (clean %d, spliced %d, zero %d)", in.V, len(in.Clean), len(in.Spliced), len(in.Zero))
	}
	ref, err := NewDownstreamRef(in)
	if err != nil {
		return nil, err
	}
	return ref.Metrics(in.Spliced)
}

// DownstreamRef is what Downstream computes from the clean and
// zero-ablated outputs alone: their metrics and, for categorical outputs,
// the clean log-probabilities KL(clean ‖ spliced) needs. It is read-only
// once made, so it can score any number of spliced outputs, concurrently;
// the metrics are the same, bit for bit, as Downstream's.
type DownstreamRef struct {
	categorical  bool
	v, p, cnt    int
	targets      []int
	targetValues []float64
	clean        []float32
	atol         float64
	// Categorical: the clean log-probabilities and probabilities at every
	// evaluated position ([p·V]; nil rows at excluded positions).
	lpClean, pClean []float64
	// Sums over positions for the clean (0) and zero-ablated (2) outputs.
	ce, kl, acc, mse, dcl [3]float64
}

// NewDownstreamRef prepares Downstream for in's clean and zero-ablated
// outputs and targets; in.Spliced is not read.
func NewDownstreamRef(in DownstreamInput) (*DownstreamRef, error) {
	if in.V < 1 {
		return nil, fmt.Errorf("features: downstream V must be >= 1, got %d", in.V)
	}
	if len(in.Clean)%in.V != 0 || len(in.Zero) != len(in.Clean) {
		return nil, fmt.Errorf("features: downstream outputs must have equal length, a multiple of V=%d (clean %d, zero %d)", in.V, len(in.Clean), len(in.Zero))
	}
	p := len(in.Clean) / in.V
	if in.Categorical && len(in.Targets) != p {
		return nil, fmt.Errorf("features: %d categorical targets for %d positions", len(in.Targets), p)
	}
	if !in.Categorical && len(in.TargetValues) != p {
		return nil, fmt.Errorf("features: %d numerical targets for %d positions", len(in.TargetValues), p)
	}
	atol := in.ATol
	if atol == 0 {
		atol = DefaultATol
	}
	if !(atol > 0) || math.IsInf(atol, 0) {
		return nil, fmt.Errorf("features: accuracy tolerance %v: expected a positive number", in.ATol)
	}
	r := &DownstreamRef{categorical: in.Categorical, v: in.V, p: p, targets: in.Targets, targetValues: in.TargetValues, clean: in.Clean, atol: atol}
	V := in.V
	if in.Categorical {
		r.lpClean = make([]float64, p*V)
		r.pClean = make([]float64, p*V)
		lp := make([]float64, V)
		for i := 0; i < p; i++ {
			t := in.Targets[i]
			if t < 0 {
				continue
			}
			if t >= V {
				return nil, fmt.Errorf("features: target %d at position %d is outside the %d outputs", t, i, V)
			}
			r.cnt++
			lpc, pc := r.lpClean[i*V:(i+1)*V], r.pClean[i*V:(i+1)*V]
			logSoftmax(in.Clean[i*V:(i+1)*V], lpc)
			for j := range lpc {
				pc[j] = math.Exp(lpc[j])
			}
			for _, k := range []int{0, 2} {
				out := in.Clean
				if k == 2 {
					out = in.Zero
				}
				row := out[i*V : (i+1)*V]
				logSoftmax(row, lp)
				r.addCategorical(k, i, t, row, lp)
			}
		}
		return r, nil
	}
	for i := 0; i < p; i++ {
		t := in.TargetValues[i]
		if math.IsNaN(t) {
			continue
		}
		r.cnt++
		r.addNumerical(0, i, t, in.Clean[i*V:(i+1)*V])
		r.addNumerical(2, i, t, in.Zero[i*V:(i+1)*V])
	}
	return r, nil
}

// addCategorical adds position i's CE, accuracy and KL(clean ‖ out) for
// output k (row: its logits, lp: their log-softmax) to the sums.
func (r *DownstreamRef) addCategorical(k, i, t int, row []float32, lp []float64) {
	r.ce[k] -= lp[t]
	if argmax(row) == t {
		r.acc[k]++
	}
	lpc, pcs := r.lpClean[i*r.v:(i+1)*r.v], r.pClean[i*r.v:(i+1)*r.v]
	for j, pc := range pcs {
		if pc > 0 {
			r.kl[k] += pc * (lpc[j] - lp[j])
		}
	}
}

// addNumerical adds position i's squared errors (to target t and to the
// clean output) and accuracy for output k (row: its V values) to the sums.
func (r *DownstreamRef) addNumerical(k, i int, t float64, row []float32) {
	ok := true
	for j := 0; j < r.v; j++ {
		o := float64(row[j])
		c := float64(r.clean[i*r.v+j])
		r.mse[k] += (o - t) * (o - t) / float64(r.v)
		r.dcl[k] += (o - c) * (o - c) / float64(r.v)
		if !(math.Abs(o-t) < r.atol) {
			ok = false
		}
	}
	if ok {
		r.acc[k]++
	}
}

// Metrics returns Downstream's metrics with spliced ([P·V], laid out as
// the clean output) as the spliced output.
func (r *DownstreamRef) Metrics(spliced []float32) (*DownstreamMetrics, error) {
	V := r.v
	if len(spliced) != r.p*V {
		return nil, fmt.Errorf("features: spliced output has %d values, the clean output %d (%d positions × V=%d)", len(spliced), r.p*V, r.p, V)
	}
	s := *r // the clean and zero sums; slot 1 is the spliced output's
	m := &DownstreamMetrics{Categorical: r.categorical, Positions: r.cnt}
	outs := []*OutputMetrics{&m.Clean, &m.Spliced, &m.Zero}
	if r.categorical {
		lp := make([]float64, V)
		for i := 0; i < r.p; i++ {
			t := r.targets[i]
			if t < 0 {
				continue
			}
			row := spliced[i*V : (i+1)*V]
			logSoftmax(row, lp)
			s.addCategorical(1, i, t, row, lp)
		}
		for k, o := range outs {
			o.Accuracy = Num(s.acc[k] / float64(s.cnt))
			o.CE = num(s.ce[k] / float64(s.cnt))
			o.KL = num(s.kl[k] / float64(s.cnt))
		}
		m.CEScore = num((s.ce[2] - s.ce[1]) / (s.ce[2] - s.ce[0]))
		m.KLScore = num((s.kl[2] - s.kl[1]) / s.kl[2])
		m.Retained = retained(m)
		return m, nil
	}
	for i := 0; i < r.p; i++ {
		t := r.targetValues[i]
		if math.IsNaN(t) {
			continue
		}
		s.addNumerical(1, i, t, spliced[i*V:(i+1)*V])
	}
	for k, o := range outs {
		o.Accuracy = Num(s.acc[k] / float64(s.cnt))
		o.MSE = num(s.mse[k] / float64(s.cnt))
		o.MSEClean = num(s.dcl[k] / float64(s.cnt))
	}
	m.MSEScore = num((s.mse[2] - s.mse[1]) / (s.mse[2] - s.mse[0]))
	m.MSECleanSc = num((s.dcl[2] - s.dcl[1]) / s.dcl[2])
	m.ATol = r.atol
	m.Retained = retained(m)
	return m, nil
}

// retained is spliced / clean accuracy, nil when the clean accuracy is 0.
func retained(m *DownstreamMetrics) *Num {
	if m.Clean.Accuracy == 0 {
		return nil
	}
	return num(float64(m.Spliced.Accuracy / m.Clean.Accuracy))
}

func num(f float64) *Num { n := Num(f); return &n }

func logSoftmax(x []float32, out []float64) {
	mx := math.Inf(-1)
	for _, v := range x {
		mx = math.Max(mx, float64(v))
	}
	var s float64
	for _, v := range x {
		s += math.Exp(float64(v) - mx)
	}
	lse := mx + math.Log(s)
	for i, v := range x {
		out[i] = float64(v) - lse
	}
}

// argmax returns the first index of the maximum.
func argmax(x []float32) int {
	b := 0
	for i, v := range x {
		if v > x[b] {
			b = i
		}
	}
	return b
}
