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
	acts, xhat, err := Reconstruct(s, x)
	if err != nil {
		return nil, err
	}
	n := len(x) / s.DIn
	return features.Reconstruction(&tensor.Tensor{Shape: []int{n, s.DIn}, Data: x},
		&tensor.Tensor{Shape: []int{n, s.DIn}, Data: xhat}, &tensor.Tensor{Shape: []int{n, s.DSAE}, Data: acts})
}
