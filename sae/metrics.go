package sae

import (
	"fmt"
	"math"
)

// ReconSums are the sums every reconstruction metric is computed from: one
// pass over the inputs x, their reconstructions x̂ and the feature
// activations f. Each metric is one method, named by what it averages, so
// the trainer's eval, sae-eval, features, workload and bench report the same
// number under the same name.
type ReconSums struct {
	Rows, DIn, DSAE int
	// SqErr is Σ (x − x̂)² over every element.
	SqErr float64
	// SqDev is Σ (x − mean(x))² over every element (mean per dimension):
	// the inputs' total variance times Rows.
	SqDev float64
	// Active is the number of (row, feature) pairs with the feature active.
	Active int
	// Fired counts, per feature, the rows it is active on.
	Fired []int
}

// IsActive is the one definition of an active feature: a non-zero
// activation (every architecture's activations are ≥ 0, so this is f > 0
// for them; a negative value, from a hand-built SAE, still counts).
func IsActive(v float32) bool { return v != 0 }

// Sums accumulates ReconSums over the rows of x ([n, d_in]). rowOf maps row
// i of x to row rowOf[i] of recon ([k, d_in]) and feats ([k, d_sae]), so a
// caller that ran the SAE on the distinct rows only passes those; nil means
// the rows are x's own. The sums run over x's rows in order, so the result
// is the same, bit for bit, as on the expanded outputs.
func Sums(x []float32, rowOf []int32, recon, feats []float32, dIn, dSAE int) (ReconSums, error) {
	if dIn <= 0 || dSAE <= 0 {
		return ReconSums{}, fmt.Errorf("sae: metrics: d_in %d and d_sae %d must be positive", dIn, dSAE)
	}
	d := dIn
	n := len(x) / d
	k := n
	if rowOf != nil {
		k = len(recon) / d
	}
	if len(x)%d != 0 || (rowOf != nil && len(rowOf) != n) || len(recon) != k*d || len(feats) != k*dSAE {
		return ReconSums{}, fmt.Errorf("sae: metrics: %d input, %d row map, %d reconstruction and %d feature values do not fit d_in %d, d_sae %d",
			len(x), len(rowOf), len(recon), len(feats), d, dSAE)
	}
	if n == 0 {
		return ReconSums{}, fmt.Errorf("sae: metrics: no rows")
	}
	row := func(b int) int {
		if rowOf == nil {
			return b
		}
		r := int(rowOf[b])
		if r < 0 || r >= k {
			return -1
		}
		return r
	}
	mean := columnMean(x, n, d)
	mult := make([]int, k) // how many rows of x each distinct row stands for
	var sse, sst float64
	for b := 0; b < n; b++ {
		r := row(b)
		if r < 0 {
			return ReconSums{}, fmt.Errorf("sae: metrics: row %d maps to distinct row %d of %d", b, rowOf[b], k)
		}
		mult[r]++
		for j := 0; j < d; j++ {
			e := float64(x[b*d+j]) - float64(recon[r*d+j])
			t := float64(x[b*d+j]) - mean[j]
			sse += e * e
			sst += t * t
		}
	}
	s := ReconSums{Rows: n, DIn: d, DSAE: dSAE, SqErr: sse, SqDev: sst, Fired: make([]int, dSAE)}
	for r := 0; r < k; r++ {
		if mult[r] == 0 {
			continue
		}
		for f, v := range feats[r*dSAE : (r+1)*dSAE] {
			if IsActive(v) {
				s.Active += mult[r]
				s.Fired[f] += mult[r]
			}
		}
	}
	return s, nil
}

// SumsAcc accumulates ReconSums over consecutive chunks of rows, for
// callers that never hold the whole feature matrix: the same terms in the
// same order as Sums on all the rows at once (rowOf nil), so the result is
// the same bit for bit.
type SumsAcc struct {
	s    ReconSums
	mean []float64
	rows int // rows added so far
}

// NewSumsAcc starts the sums over the rows of x ([n, d_in]; the per-
// dimension mean needs all of them); Add then takes them chunk by chunk.
func NewSumsAcc(x []float32, dIn, dSAE int) (*SumsAcc, error) {
	if dIn <= 0 || dSAE <= 0 {
		return nil, fmt.Errorf("sae: metrics: d_in %d and d_sae %d must be positive", dIn, dSAE)
	}
	d := dIn
	n := len(x) / d
	if len(x)%d != 0 {
		return nil, fmt.Errorf("sae: metrics: %d input values are not rows of d_in %d", len(x), d)
	}
	if n == 0 {
		return nil, fmt.Errorf("sae: metrics: no rows")
	}
	mean := columnMean(x, n, d)
	return &SumsAcc{s: ReconSums{Rows: n, DIn: d, DSAE: dSAE, Fired: make([]int, dSAE)}, mean: mean}, nil
}

// Add accumulates the next rows: x ([m, d_in], the rows following those
// already added), their reconstructions ([m, d_in]) and activations
// ([m, d_sae]).
func (a *SumsAcc) Add(x, recon, feats []float32) error {
	d, S := a.s.DIn, a.s.DSAE
	m := len(x) / d
	if len(x)%d != 0 || len(recon) != m*d || len(feats) != m*S || a.rows+m > a.s.Rows {
		return fmt.Errorf("sae: metrics: %d input, %d reconstruction and %d feature values after %d of %d rows do not fit d_in %d, d_sae %d",
			len(x), len(recon), len(feats), a.rows, a.s.Rows, d, S)
	}
	for b := 0; b < m; b++ {
		for j := 0; j < d; j++ {
			e := float64(x[b*d+j]) - float64(recon[b*d+j])
			t := float64(x[b*d+j]) - a.mean[j]
			a.s.SqErr += e * e
			a.s.SqDev += t * t
		}
	}
	for b := 0; b < m; b++ {
		for f, v := range feats[b*S : (b+1)*S] {
			if IsActive(v) {
				a.s.Active++
				a.s.Fired[f]++
			}
		}
	}
	a.rows += m
	return nil
}

// Sums returns the sums once every row has been added.
func (a *SumsAcc) Sums() (ReconSums, error) {
	if a.rows != a.s.Rows {
		return ReconSums{}, fmt.Errorf("sae: metrics: %d of %d rows added", a.rows, a.s.Rows)
	}
	return a.s, nil
}

// MSEPerElement is the mean over every element of (x − x̂)² (SAELens'
// eval "mse").
func (s ReconSums) MSEPerElement() float64 { return s.SqErr / float64(s.Rows*s.DIn) }

// SumSqPerRow is the mean over rows of Σ_d (x − x̂)² (the scale of the
// standard SAE's training "mse_loss").
func (s ReconSums) SumSqPerRow() float64 { return s.SqErr / float64(s.Rows) }

// ExplainedVariance is 1 − Σ‖x−x̂‖² / Σ‖x−mean(x)‖². It is NaN when the
// inputs do not vary (total variance 0: an empty layer), where it is
// undefined; print it with FormatExplainedVariance.
func (s ReconSums) ExplainedVariance() float64 {
	if s.SqDev == 0 {
		return math.NaN()
	}
	return 1 - s.SqErr/s.SqDev
}

// L0 is the mean over rows of the number of active features (IsActive).
func (s ReconSums) L0() float64 { return float64(s.Active) / float64(s.Rows) }

// DeadFeatures counts the features active on none of the rows.
func (s ReconSums) DeadFeatures() int {
	dead := 0
	for _, c := range s.Fired {
		if c == 0 {
			dead++
		}
	}
	return dead
}

// DenseFeatures counts the features active on more than density of the rows.
func (s ReconSums) DenseFeatures(density float64) int {
	dense := 0
	for _, c := range s.Fired {
		if float64(c)/float64(s.Rows) > density {
			dense++
		}
	}
	return dense
}

// NoVariance is how an undefined explained variance is printed.
const NoVariance = "n/a (inputs do not vary)"

// FormatExplainedVariance prints ev with prec decimals, or NoVariance when
// it is NaN (the inputs do not vary).
func FormatExplainedVariance(ev float64, prec int) string {
	if math.IsNaN(ev) {
		return NoVariance
	}
	return fmt.Sprintf("%.*f", prec, ev)
}

// columnMean is the mean of each of the d columns of the n rows of x,
// summed in float64 in row order.
func columnMean(x []float32, n, d int) []float64 {
	mean := make([]float64, d)
	for b := 0; b < n; b++ {
		for j := 0; j < d; j++ {
			mean[j] += float64(x[b*d+j])
		}
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	return mean
}
