package sae

// standardArch is SAELens' standard ReLU SAE: f = act(c·W_enc + b_enc),
// loss = MSE + λ·Σ f^p (weighted by decoder norms when
// scale_sparsity_penalty_by_decoder_norm), plus ghost grads when asked.
// Its step is step_standard.go (sparse) or step_dense.go (small SAEs, and
// wide ones while many features fire: standardDenseByCost).
type standardArch struct{ archDefaults }

func (standardArch) name() string { return ArchStandard }

func (standardArch) resolve(*Resolved, func(key, format string, args ...any) error) error {
	return nil
}

func (standardArch) alloc(s *SAE) { s.BEnc = make([]float32, s.DSAE) }

func (standardArch) params(s *SAE) []param {
	return []param{{"W_enc", s.WEncT}, {"W_dec", s.WDec}, {"b_enc", s.BEnc}, {"b_dec", s.BDec}}
}

func (standardArch) encoder(s *SAE) func(f []float32) {
	return func(f []float32) {
		for i, u := range f {
			f[i] = activate(s.ActivationFn, u+s.BEnc[i])
		}
	}
}

func (standardArch) step(s *SAE, w *workspace, x []float32, o *stepOptions, gr grads) (StepLosses, error) {
	var L StepLosses
	var err error
	dense := standardDense(w)
	if !dense && fastGemm() && w.d >= denseCostMinDIn && w.s >= 8 {
		// Wide SAE: encode first, then choose by this step's L0.
		s.encodeDense(w, s.BEnc, o)
		w.preReady = true
		dense = standardDenseByCost(w)
	}
	if dense {
		err = s.stepStandardDense(w, x, o, gr, &L)
	} else {
		err = s.stepStandard(w, x, o, gr, &L)
	}
	return L, err
}

func (standardArch) tensors(s *SAE) []fileTensor {
	return []fileTensor{vecTensor("b_enc", s.BEnc)}
}

func (standardArch) ghostGrads() bool { return true }
