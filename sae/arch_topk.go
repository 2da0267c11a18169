package sae

import "math"

// topKArch is SAELens 6.x's TopK SAE (rescale_acts_by_decoder_norm off):
// the k largest positive pre-activations c·W_enc + b_enc of every row are
// kept, the rest zeroed; the loss adds AuxK (the top k_aux = d_in/2 dead
// latents reconstruct the detached residual, weighted by
// aux_loss_coefficient). The step is step_topk.go, shared with batchtopk.
type topKArch struct{ archDefaults }

func (topKArch) name() string { return ArchTopK }

func (topKArch) resolve(r *Resolved, bad func(key, format string, args ...any) error) error {
	k := r.Config.K
	if k != math.Trunc(k) || k < 1 {
		return bad("k", "topk needs an integer k >= 1, got %v", k)
	}
	r.K = int(k)
	if r.K > r.DSAE {
		return bad("k", "k = %d is larger than d_sae = %d", r.K, r.DSAE)
	}
	return noRescale(r, bad)
}

// noRescale refuses rescale_acts_by_decoder_norm (topk and batchtopk).
func noRescale(r *Resolved, bad func(key, format string, args ...any) error) error {
	if r.RescaleActsByDecoderNorm {
		return bad("rescale_acts_by_decoder_norm", "true is not supported by glassbox (use normalize_sae_decoder instead)")
	}
	return nil
}

func (topKArch) usesK() bool { return true }

func (topKArch) alloc(s *SAE) { s.BEnc = make([]float32, s.DSAE) }

func (topKArch) params(s *SAE) []param {
	return []param{{"W_enc", s.WEncT}, {"W_dec", s.WDec}, {"b_enc", s.BEnc}, {"b_dec", s.BDec}}
}

func (topKArch) encoder(s *SAE) func(f []float32) {
	scratch, vals := make([]int32, s.DSAE), make([]float32, s.DSAE)
	return func(f []float32) {
		for i := range f {
			f[i] += s.BEnc[i]
		}
		idx := topKIndices(f, s.K, scratch)
		for k, i := range idx {
			vals[k] = f[i]
		}
		sel := vals[:len(idx)]
		clear(f)
		for k, i := range idx {
			if sel[k] > 0 {
				f[i] = sel[k]
			}
		}
	}
}

func (topKArch) step(s *SAE, w *workspace, x []float32, o *stepOptions, gr grads) (StepLosses, error) {
	var L StepLosses
	err := s.stepTopK(w, x, o, gr, &L, false)
	return L, err
}

func (topKArch) tensors(s *SAE) []fileTensor {
	return []fileTensor{vecTensor("b_enc", s.BEnc)}
}

func (topKArch) cfgDict(s *SAE, cfg map[string]any) {
	cfg["k"] = s.K
	cfg["rescale_acts_by_decoder_norm"] = false
}

func (topKArch) readCfg(s *SAE, c *cfgReader) error {
	k := 0
	if kw, ok := c.raw["activation_fn_kwargs"].(map[string]any); ok {
		if kk, has, err := c.int(kw, "k", false); err != nil {
			return err
		} else if has {
			k = kk
		}
	}
	if kk, has, err := c.int(c.raw, "k", false); err != nil {
		return err
	} else if has {
		k = kk
	}
	if k < 1 || k > s.DSAE {
		return c.fail("k", "topk needs 1 <= k <= d_sae (%d), got %d", s.DSAE, k)
	}
	s.K = k
	if rs, err := c.bool(c.raw, "rescale_acts_by_decoder_norm", false); err != nil {
		return err
	} else if rs {
		return c.fail("rescale_acts_by_decoder_norm", "true is not supported")
	}
	return nil
}
