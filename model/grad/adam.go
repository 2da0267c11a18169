package grad

import (
	"fmt"
	"math"

	"github.com/glassbox-interp/glassbox/tensor"
)

// ClipGradNorm scales the gradients so that their global L2 norm is at
// most maxNorm, as torch.nn.utils.clip_grad_norm_ does: the norm is over
// the parameters that have a gradient, the factor is maxNorm/(norm+1e-6)
// applied only when below 1. It returns the norm before clipping.
func ClipGradNorm(g *Grads, maxNorm float64) float64 {
	ss := 0.0
	for i, pi := range g.net.idx {
		if !g.has[i] {
			continue
		}
		for _, v := range g.data[pi.off : pi.off+pi.n] {
			ss += float64(v) * float64(v)
		}
	}
	norm := math.Sqrt(ss)
	coef := float32(maxNorm / (norm + 1e-6))
	if coef < 1 {
		for i, pi := range g.net.idx {
			if !g.has[i] {
				continue
			}
			d := g.data[pi.off : pi.off+pi.n]
			for k := range d {
				d[k] *= coef
			}
		}
	}
	return norm
}

// Adam is torch.optim.Adam without weight decay or amsgrad: per parameter
// element, m = β1·m + (1-β1)·g, v = β2·v + (1-β2)·g², and
// p -= lr/bc1 · m / (sqrt(v)/sqrt(bc2) + eps) with bc_i = 1-β_i^t, in
// float32 like torch. A parameter without a gradient (Grads) is skipped
// and its step count t does not advance, as in torch.
type Adam struct {
	LR, Beta1, Beta2, Eps float64

	net   *Net
	step  int   // Step calls
	steps []int // per parameter (Names order)
	m, v  []float32
}

// NewAdam returns an optimiser for n's parameters with zero moments.
func NewAdam(n *Net, lr, beta1, beta2, eps float64) *Adam {
	return &Adam{LR: lr, Beta1: beta1, Beta2: beta2, Eps: eps, net: n,
		steps: make([]int, len(n.names)), m: make([]float32, len(n.data)), v: make([]float32, len(n.data))}
}

// Step updates n's parameters with the gradients g. n and g's Net must have
// the configuration of the Net the optimiser was made for (anything else is
// a programming error, and Step panics).
func (a *Adam) Step(n *Net, g *Grads) {
	if g == nil || len(n.data) != len(a.m) || len(g.data) != len(a.m) || len(n.idx) != len(a.steps) || len(g.has) != len(a.steps) {
		panic("grad: Adam.Step: the Net or the Grads do not have the optimiser's parameter layout")
	}
	a.step++
	b1, b2 := float32(a.Beta1), float32(a.Beta2)
	c1, c2 := float32(1-a.Beta1), float32(1-a.Beta2)
	eps := float32(a.Eps)
	n.version++
	for i, pi := range n.idx {
		if !g.has[i] {
			continue
		}
		a.steps[i]++
		t := float64(a.steps[i])
		bc1 := 1 - math.Pow(a.Beta1, t)
		bc2 := 1 - math.Pow(a.Beta2, t)
		stepSize := float32(-a.LR / bc1)
		bc2s := float32(math.Sqrt(bc2))
		p := n.data[pi.off : pi.off+pi.n]
		gd := g.data[pi.off : pi.off+pi.n]
		m := a.m[pi.off : pi.off+pi.n]
		v := a.v[pi.off : pi.off+pi.n]
		for k, gk := range gd {
			mk := m[k]*b1 + c1*gk
			vk := v[k]*b2 + c2*gk*gk
			m[k], v[k] = mk, vk
			den := float32(math.Sqrt(float64(vk)))/bc2s + eps
			p[k] += stepSize * (mk / den)
		}
	}
}

// State returns the number of Step calls and copies of the first and
// second moments keyed by parameter name (TransformerLens shapes), for
// checkpoints. Parameters whose own step count differs from it (they had
// no gradient in some steps) are reported by Steps.
func (a *Adam) State() (step int, m, v map[string]*tensor.Tensor) {
	m = make(map[string]*tensor.Tensor, len(a.net.names))
	v = make(map[string]*tensor.Tensor, len(a.net.names))
	for i, name := range a.net.names {
		pi := a.net.idx[i]
		shape := a.net.shapes[name]
		m[name] = &tensor.Tensor{Shape: append([]int(nil), shape...), Data: append([]float32(nil), a.m[pi.off:pi.off+pi.n]...)}
		v[name] = &tensor.Tensor{Shape: append([]int(nil), shape...), Data: append([]float32(nil), a.v[pi.off:pi.off+pi.n]...)}
	}
	return a.step, m, v
}

// SetState restores a State: every parameter's step count becomes step
// (use SetSteps afterwards for per-parameter counts). m and v must name
// every parameter with its shape.
func (a *Adam) SetState(step int, m, v map[string]*tensor.Tensor) error {
	if step < 0 {
		return fmt.Errorf("grad: adam state: step %d, want ≥ 0", step)
	}
	for _, part := range []struct {
		what string
		src  map[string]*tensor.Tensor
	}{{"m", m}, {"v", v}} {
		for _, name := range a.net.names {
			t := part.src[name]
			if t == nil {
				return fmt.Errorf("grad: adam state: %s has no %q", part.what, name)
			}
			if !tensor.SameShape(t.Shape, a.net.shapes[name]) || len(t.Data) != tensor.NumElements(t.Shape) {
				return fmt.Errorf("grad: adam state: %s %q has shape %s (%d values), want %s", part.what, name, tensor.ShapeString(t.Shape), len(t.Data), tensor.ShapeString(a.net.shapes[name]))
			}
		}
		if len(part.src) != len(a.net.names) {
			return fmt.Errorf("grad: adam state: %s has %d tensors, want the %d parameters", part.what, len(part.src), len(a.net.names))
		}
	}
	for i, name := range a.net.names {
		pi := a.net.idx[i]
		copy(a.m[pi.off:pi.off+pi.n], m[name].Data)
		copy(a.v[pi.off:pi.off+pi.n], v[name].Data)
		a.steps[i] = step
	}
	a.step = step
	return nil
}

// Steps returns each parameter's own step count (torch's state["step"]).
func (a *Adam) Steps() map[string]int {
	out := make(map[string]int, len(a.net.names))
	for i, name := range a.net.names {
		out[name] = a.steps[i]
	}
	return out
}

// SetSteps sets per-parameter step counts (names absent keep theirs).
func (a *Adam) SetSteps(steps map[string]int) error {
	pos := make(map[string]int, len(a.net.names))
	for i, name := range a.net.names {
		pos[name] = i
	}
	for name, s := range steps {
		i, ok := pos[name]
		if !ok {
			return fmt.Errorf("grad: adam steps: unknown parameter %q", name)
		}
		if s < 0 {
			return fmt.Errorf("grad: adam steps: %q has step %d, want ≥ 0", name, s)
		}
		a.steps[i] = s
	}
	return nil
}
