package workload

import (
	"fmt"

	"github.com/glassbox-interp/glassbox/features"
	"github.com/glassbox-interp/glassbox/sae"
	"github.com/glassbox-interp/glassbox/tensor"
)

// Reconstruct encodes x ([n, d_in]) with s and decodes the features: the
// feature activations [n, d_sae] and reconstructions [n, d_in] every
// analysis and summary scores.
func Reconstruct(s *sae.SAE, x []float32) (acts, xhat []float32, err error) {
	if acts, err = s.Encode(x); err != nil {
		return nil, nil, err
	}
	if xhat, err = s.Decode(acts); err != nil {
		return nil, nil, err
	}
	return acts, xhat, nil
}

// ReconMetrics scores s on x ([n, d_in]) with features.Reconstruction, whose
// explained variance (undefined, NaN, when x does not vary), MSE (mean over
// elements), L0 and dead features are sae.ReconSums' one definition each:
// `glassbox train`'s summary and `glassbox sae-eval` both report it.
func ReconMetrics(s *sae.SAE, x []float32) (*features.ReconMetrics, error) {
	if s.DIn <= 0 || len(x)%s.DIn != 0 {
		return nil, fmt.Errorf("reconstruction metrics: %d values are not rows of d_in %d", len(x), s.DIn)
	}
	n := len(x) / s.DIn
	if n*s.DSAE > reconChunkValues {
		return reconMetricsChunked(s, x)
	}
	acts, xhat, err := Reconstruct(s, x)
	if err != nil {
		return nil, err
	}
	return features.Reconstruction(&tensor.Tensor{Shape: []int{n, s.DIn}, Data: x},
		&tensor.Tensor{Shape: []int{n, s.DIn}, Data: xhat}, &tensor.Tensor{Shape: []int{n, s.DSAE}, Data: acts})
}

// reconChunkValues is the largest feature matrix (rows × d_sae values)
// ReconMetrics builds at once: a larger set (16,384 rows at d_sae 6144
// would be 400 MB) is scored in chunks of rows.
var reconChunkValues = 1 << 22

// reconMetricsChunked is ReconMetrics in chunks of rows: the same
// activations, reconstructions and sums in the same order (features.
// ReconAcc), one chunk's feature matrix at a time.
func reconMetricsChunked(s *sae.SAE, x []float32) (*features.ReconMetrics, error) {
	d := s.DIn
	n := len(x) / d
	acc, err := features.NewReconAcc(x, d, s.DSAE)
	if err != nil {
		return nil, fmt.Errorf("reconstruction metrics: %w", err)
	}
	cc := s.NewChunkCoder(s.ChunkRows(reconChunkValues))
	for r0 := 0; r0 < n; r0 += cc.Rows() {
		xc := x[r0*d : min(r0+cc.Rows(), n)*d]
		acts, xhat, err := cc.Reconstruct(xc)
		if err != nil {
			return nil, fmt.Errorf("reconstruction metrics: %w", err)
		}
		if err := acc.Add(xc, xhat, acts); err != nil {
			return nil, fmt.Errorf("reconstruction metrics: rows %d-: %w", r0, err)
		}
	}
	return acc.Metrics()
}
