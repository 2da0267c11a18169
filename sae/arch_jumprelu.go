package sae

import (
	"fmt"
	"math"
)

// jumpReLUArch is SAELens 6.x's JumpReLU SAE: f = p where p = c·W_enc +
// b_enc exceeds a learned threshold exp(log_threshold), 0 elsewhere; the
// sparsity loss is λ·L0 ("step") or λ·Σ tanh(s·f·‖W_dec_i‖) ("tanh"), the
// threshold trained through rectangle-kernel pseudo-derivatives of
// bandwidth jumprelu_bandwidth. λ is l0_coefficient when set. The step is
// step_jumprelu.go.
type jumpReLUArch struct{ archDefaults }

func (jumpReLUArch) name() string { return ArchJumpReLU }

func (jumpReLUArch) resolve(r *Resolved, bad func(key, format string, args ...any) error) error {
	switch r.JumpReLUSparsityLossMode {
	case "step", "tanh":
	default:
		return bad("jumprelu_sparsity_loss_mode", "must be step or tanh, got %q", r.JumpReLUSparsityLossMode)
	}
	if r.JumpReLUBandwidth <= 0 || r.JumpReLUInitThreshold <= 0 {
		return bad("jumprelu_bandwidth", "bandwidth and jumprelu_init_threshold must be > 0")
	}
	if r.L0Coefficient != nil {
		r.SparsityCoeff = *r.L0Coefficient
	}
	return nil
}

func (jumpReLUArch) alloc(s *SAE) {
	s.BEnc, s.LogThreshold = make([]float32, s.DSAE), make([]float32, s.DSAE)
}

func (jumpReLUArch) params(s *SAE) []param {
	return []param{{"W_enc", s.WEncT}, {"W_dec", s.WDec}, {"b_enc", s.BEnc}, {"b_dec", s.BDec},
		{"log_threshold", s.LogThreshold}}
}

func (jumpReLUArch) initParams(s *SAE, r *Resolved) {
	lt := float32(math.Log(r.JumpReLUInitThreshold))
	for i := range s.LogThreshold {
		s.LogThreshold[i] = lt
	}
}

func (jumpReLUArch) encoder(s *SAE) func(f []float32) {
	th := make([]float32, s.DSAE)
	for i := range th {
		th[i] = float32(math.Exp(float64(s.LogThreshold[i])))
	}
	return func(f []float32) { thresholdRow(f, s.BEnc, th, 0) }
}

// thresholdRow turns u = c·W_enc into p = u + b_enc kept where p is above
// its threshold (th[i], or t for every feature when th is nil) and
// positive: the JumpReLU activation.
func thresholdRow(f, bEnc, th []float32, t float32) {
	for i, u := range f {
		p := u + bEnc[i]
		ti := t
		if th != nil {
			ti = th[i]
		}
		var v float32
		if p > ti && p > 0 {
			v = p
		}
		f[i] = v
	}
}

func (jumpReLUArch) step(s *SAE, w *workspace, x []float32, o *stepOptions, gr grads) (StepLosses, error) {
	var L StepLosses
	err := s.stepJumpReLU(w, x, o, gr, &L)
	return L, err
}

func (jumpReLUArch) tensors(s *SAE) []fileTensor {
	return []fileTensor{vecTensor("b_enc", s.BEnc), {name: "threshold",
		save: func() []float32 {
			th := make([]float32, s.DSAE)
			for i, v := range s.LogThreshold {
				th[i] = float32(math.Exp(float64(v)))
			}
			return th
		},
		load: func(v []float32) error {
			for i, t := range v {
				if !(t > 0) {
					return fmt.Errorf("threshold[%d] = %v, expected > 0", i, t)
				}
				s.LogThreshold[i] = float32(math.Log(float64(t)))
			}
			return nil
		}}}
}
