package sae

import "math"

// gatedArch is the gated SAE (Rajamanoharan et al. 2024; SAELens 3.12 =
// 6.x): a gate u + b_gate > 0 decides which features fire, their magnitude
// is act(u·exp(r_mag) + b_mag), with u = c·W_enc shared. The loss adds the
// gate penalty λ·Σ relu(π)·‖W_dec_i‖ and the auxiliary reconstruction
// through the gate path. The step is step_gated.go.
type gatedArch struct{ archDefaults }

func (gatedArch) name() string { return ArchGated }

func (gatedArch) resolve(r *Resolved, bad func(key, format string, args ...any) error) error {
	switch r.NormalizeActivations {
	case "none", "expected_average_only_in":
	default:
		return bad("normalize_activations", "%q is not supported for gated SAEs", r.NormalizeActivations)
	}
	return nil
}

func (gatedArch) alloc(s *SAE) {
	s.BGate, s.RMag, s.BMag = make([]float32, s.DSAE), make([]float32, s.DSAE), make([]float32, s.DSAE)
}

func (gatedArch) params(s *SAE) []param {
	return []param{{"W_enc", s.WEncT}, {"W_dec", s.WDec}, {"b_gate", s.BGate}, {"r_mag", s.RMag},
		{"b_mag", s.BMag}, {"b_dec", s.BDec}}
}

func (gatedArch) encoder(s *SAE) func(f []float32) {
	em := make([]float32, s.DSAE) // exp(r_mag)
	for i := range em {
		em[i] = float32(math.Exp(float64(s.RMag[i])))
	}
	return func(f []float32) {
		for i, u := range f {
			var v float32
			if u+s.BGate[i] > 0 {
				v = activate(s.ActivationFn, u*em[i]+s.BMag[i])
			}
			f[i] = v
		}
	}
}

func (gatedArch) step(s *SAE, w *workspace, x []float32, o *stepOptions, gr grads) (StepLosses, error) {
	var L StepLosses
	err := s.stepGated(w, x, o, gr, &L)
	return L, err
}

func (gatedArch) tensors(s *SAE) []fileTensor {
	return []fileTensor{vecTensor("b_gate", s.BGate), vecTensor("r_mag", s.RMag), vecTensor("b_mag", s.BMag)}
}
