package sae

import "fmt"

// batchTopKArch is SAELens 6.x's BatchTopK SAE: in training the k·B
// largest positive pre-activations of the whole batch are kept (so rows
// get different numbers of features), with topk's AuxK loss; the threshold
// used at inference is an EMA (rate topk_threshold_lr) of the smallest
// selected activation, and the SAE is saved as a jumprelu SAE with that
// threshold for every feature. The step is step_topk.go.
type batchTopKArch struct{ archDefaults }

func (batchTopKArch) name() string { return ArchBatchTopK }

func (batchTopKArch) savedAs() string { return ArchJumpReLU }

func (batchTopKArch) resolve(r *Resolved, bad func(key, format string, args ...any) error) error {
	k := r.Config.K
	if k <= 0 || k > float64(r.DSAE) {
		return bad("k", "batchtopk needs 0 < k <= d_sae (%d), got %v", r.DSAE, k)
	}
	r.KBatch = k
	return noRescale(r, bad)
}

func (batchTopKArch) usesK() bool { return true }

func (batchTopKArch) alloc(s *SAE) { s.BEnc = make([]float32, s.DSAE) }

func (batchTopKArch) params(s *SAE) []param {
	return []param{{"W_enc", s.WEncT}, {"W_dec", s.WDec}, {"b_enc", s.BEnc}, {"b_dec", s.BDec}}
}

func (batchTopKArch) encoder(s *SAE) func(f []float32) {
	t := float32(s.TopKThreshold)
	return func(f []float32) { thresholdRow(f, s.BEnc, nil, t) }
}

func (batchTopKArch) step(s *SAE, w *workspace, x []float32, o *stepOptions, gr grads) (StepLosses, error) {
	var L StepLosses
	err := s.stepTopK(w, x, o, gr, &L, true)
	return L, err
}

// dedupe: the batch-level selection needs every row.
func (batchTopKArch) dedupe() bool { return false }

func (batchTopKArch) afterStep(s *SAE, w *workspace, r *Resolved) {
	if w.anyPos {
		lr := r.TopKThresholdLR
		s.TopKThreshold = (1-lr)*s.TopKThreshold + lr*float64(w.minPos)
	}
}

func (batchTopKArch) logValues(s *SAE) ([]string, []float64) {
	return []string{"topk_threshold"}, []float64{s.TopKThreshold}
}

func (batchTopKArch) tensors(s *SAE) []fileTensor {
	return []fileTensor{vecTensor("b_enc", s.BEnc), {name: "threshold",
		save: func() []float32 {
			th := make([]float32, s.DSAE)
			for i := range th {
				th[i] = float32(s.TopKThreshold)
			}
			return th
		},
		load: func(v []float32) error {
			for i, t := range v {
				if t != v[0] {
					return fmt.Errorf("threshold[%d] = %v differs from threshold[0] = %v (a batchtopk SAE has one threshold)", i, t, v[0])
				}
			}
			if len(v) > 0 {
				s.TopKThreshold = float64(v[0])
			}
			return nil
		}}}
}
