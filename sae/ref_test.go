package sae

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// The reference steps: one training step of each architecture written the
// plain way, in float64 on dense [rows, cols] matrices (forward, loss, then
// backward, every row on its own, no de-duplication, no sparsity tricks, no
// kernels), the way llm.c keeps a reference next to its fast code. The fast
// steps (SAE.forwardBackward) are tested against them on random inputs in
// every kernel mode, and the references against the PyTorch fixtures of
// scripts/sae_parity.py. Each architecture's reference is in
// ref_<arch>_test.go and registered in refSteps.

// refSteps maps an architecture to its reference step, which returns the
// feature activations [B, d_sae] and fills r.L and r.g.
var refSteps = map[string]func(r *refStep) []float64{
	ArchStandard:  refStandard,
	ArchGated:     refGated,
	ArchJumpReLU:  refJumpReLU,
	ArchTopK:      refTopK,
	ArchBatchTopK: refBatchTopK,
}

// refStep is the state of one reference step.
type refStep struct {
	s       *SAE
	o       *stepOptions
	dead    []bool
	B, D, S int
	x       []float64            // [B, D] the batch
	c       []float64            // [B, D] SAE input: normalised, minus b_dec when applied
	kout    []float64            // [B] output scale: x̂ = y·kout + mu
	mu      []float64            // [B]
	wmse    []float64            // [B] per-row MSE weight (1, or dense_batch's)
	g       map[string][]float64 // gradients by SAELens name (W_enc as W_enc^T [d_sae, d_in])
	L       StepLosses
}

// newRefStep prepares the input side of a step on x ([B, d_in]).
func newRefStep(s *SAE, x []float32, dead []bool, o *stepOptions) *refStep {
	D, S := s.DIn, s.DSAE
	B := len(x) / D
	r := &refStep{s: s, o: o, dead: dead, B: B, D: D, S: S, x: f64s(x),
		c: make([]float64, B*D), kout: make([]float64, B), mu: make([]float64, B), wmse: make([]float64, B),
		g: map[string][]float64{}}
	for _, p := range s.arch().params(s) {
		r.g[p.name] = make([]float64, len(p.v))
	}
	bdec := r.param("b_dec")
	for b := 0; b < B; b++ {
		xb := r.x[b*D : b*D+D]
		kin, kout, mu := 1.0, 1.0, 0.0
		switch s.NormalizeActivations {
		case "constant_norm_rescale":
			kin = math.Sqrt(float64(D)) / norm2(xb)
			kout = 1 / kin
		case "layer_norm":
			for _, v := range xb {
				mu += v
			}
			mu /= float64(D)
			var ss float64
			for _, v := range xb {
				ss += (v - mu) * (v - mu)
			}
			std := math.Sqrt(ss / float64(D-1))
			kin, kout = 1/(std+1e-5), std
		}
		r.kout[b], r.mu[b] = kout, mu
		for j, v := range xb {
			r.c[b*D+j] = (v - mu) * kin
			if s.ApplyBDecToInput {
				r.c[b*D+j] -= bdec[j]
			}
		}
	}
	if o.denseMSE {
		r.wmse = denseWeights64(r.x, B, D)
	} else {
		for b := range r.wmse {
			r.wmse[b] = 1
		}
	}
	return r
}

// denseWeights64 is SAELens' dense_batch normalisation 1/(‖t_b − mean(t)‖ + 1e-6).
func denseWeights64(t []float64, B, D int) []float64 {
	mean := make([]float64, D)
	for b := 0; b < B; b++ {
		for j := 0; j < D; j++ {
			mean[j] += t[b*D+j] / float64(B)
		}
	}
	out := make([]float64, B)
	for b := 0; b < B; b++ {
		var ss float64
		for j := 0; j < D; j++ {
			d := t[b*D+j] - mean[j]
			ss += d * d
		}
		out[b] = 1 / (math.Sqrt(ss) + 1e-6)
	}
	return out
}

func f64s(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

func norm2(v []float64) float64 {
	var ss float64
	for _, x := range v {
		ss += x * x
	}
	return math.Sqrt(ss)
}

// param returns the parameter called name (W_enc as W_enc^T) in float64.
func (r *refStep) param(name string) []float64 {
	for _, p := range r.s.arch().params(r.s) {
		if p.name == name {
			return f64s(p.v)
		}
	}
	panic("reference step: no parameter " + name)
}

// decoderNorms returns ‖W_dec_i‖ per feature.
func (r *refStep) decoderNorms() []float64 {
	wdec := r.param("W_dec")
	out := make([]float64, r.S)
	for i := range out {
		out[i] = norm2(wdec[i*r.D : i*r.D+r.D])
	}
	return out
}

// encode returns c·W_enc + bias ([B, d_sae]; bias nil: none).
func (r *refStep) encode(bias []float64) []float64 {
	wt := r.param("W_enc")
	pre := make([]float64, r.B*r.S)
	for b := 0; b < r.B; b++ {
		for i := 0; i < r.S; i++ {
			var p float64
			for j := 0; j < r.D; j++ {
				p += r.c[b*r.D+j] * wt[i*r.D+j]
			}
			if bias != nil {
				p += bias[i]
			}
			pre[b*r.S+i] = p
		}
	}
	return pre
}

// decode returns x̂ = (f·W_dec + b_dec)·kout + mu ([B, d_in]) for f [B, d_sae].
func (r *refStep) decode(f []float64) []float64 {
	wdec, bdec := r.param("W_dec"), r.param("b_dec")
	xhat := make([]float64, r.B*r.D)
	for b := 0; b < r.B; b++ {
		for j := 0; j < r.D; j++ {
			y := bdec[j]
			for i := 0; i < r.S; i++ {
				y += f[b*r.S+i] * wdec[i*r.D+j]
			}
			xhat[b*r.D+j] = y*r.kout[b] + r.mu[b]
		}
	}
	return xhat
}

// backDecode adds the gradients of x̂ = decode(f) given dLoss/dx̂ and
// returns dLoss/df.
func (r *refStep) backDecode(f, dxhat []float64) []float64 {
	wdec := r.param("W_dec")
	gW, gb := r.g["W_dec"], r.g["b_dec"]
	df := make([]float64, r.B*r.S)
	for b := 0; b < r.B; b++ {
		for j := 0; j < r.D; j++ {
			dy := dxhat[b*r.D+j] * r.kout[b]
			gb[j] += dy
			for i := 0; i < r.S; i++ {
				gW[i*r.D+j] += f[b*r.S+i] * dy
				df[b*r.S+i] += dy * wdec[i*r.D+j]
			}
		}
	}
	return df
}

// mse sets L.MSE = mean_b Σ_j w_b (x̂ − x)² and returns its dLoss/dx̂.
func (r *refStep) mse(xhat []float64) []float64 {
	d := make([]float64, len(xhat))
	var sum float64
	for b := 0; b < r.B; b++ {
		for j := 0; j < r.D; j++ {
			e := xhat[b*r.D+j] - r.x[b*r.D+j]
			sum += r.wmse[b] * e * e
			d[b*r.D+j] = 2 * r.wmse[b] * e / float64(r.B)
		}
	}
	r.L.MSE = sum / float64(r.B)
	return d
}

// backEncode adds the gradients of pre = c·W_enc + bias given dLoss/dpre
// (bias is the SAELens name of the bias, "" for none); c depends on b_dec
// when it is subtracted from the input.
func (r *refStep) backEncode(dpre []float64, bias string) {
	wt := r.param("W_enc")
	gW, gbd := r.g["W_enc"], r.g["b_dec"]
	for b := 0; b < r.B; b++ {
		for i := 0; i < r.S; i++ {
			dp := dpre[b*r.S+i]
			if dp == 0 {
				continue
			}
			if bias != "" {
				r.g[bias][i] += dp
			}
			for j := 0; j < r.D; j++ {
				gW[i*r.D+j] += dp * r.c[b*r.D+j]
				if r.s.ApplyBDecToInput {
					gbd[j] -= dp * wt[i*r.D+j]
				}
			}
		}
	}
}

// auxK adds SAELens 6.x's AuxK loss of topk and batchtopk: the top k_aux =
// d_in/2 dead latents (pre-activations, not rectified) reconstruct the
// detached residual x − x̂, weighted by aux_coefficient·min(n_dead/k_aux,
// 1). It returns dLoss/dpre.
func (r *refStep) auxK(pre, xhat []float64) []float64 {
	dpre := make([]float64, r.B*r.S)
	var dead []int
	for i, d := range r.dead {
		if d {
			dead = append(dead, i)
		}
	}
	kAux := r.D / 2
	if len(dead) == 0 || kAux == 0 {
		return dpre
	}
	coef := float64(r.o.auxCoeff) * math.Min(float64(len(dead))/float64(kAux), 1)
	kAux = min(kAux, len(dead))
	a := make([]float64, r.B*r.S)
	for b := 0; b < r.B; b++ {
		for _, i := range topOf(pre[b*r.S:b*r.S+r.S], dead, kAux) {
			a[b*r.S+i] = pre[b*r.S+i]
		}
	}
	wdec, bdec := r.param("W_dec"), r.param("b_dec")
	gW, gb := r.g["W_dec"], r.g["b_dec"]
	var loss float64
	for b := 0; b < r.B; b++ {
		for j := 0; j < r.D; j++ {
			y := bdec[j]
			for i := 0; i < r.S; i++ {
				y += a[b*r.S+i] * wdec[i*r.D+j]
			}
			rec := y*r.kout[b] + r.mu[b]
			e := rec - (r.x[b*r.D+j] - xhat[b*r.D+j])
			loss += e * e
			dy := coef * 2 * e / float64(r.B) * r.kout[b]
			gb[j] += dy
			for i := 0; i < r.S; i++ {
				if a[b*r.S+i] != 0 {
					gW[i*r.D+j] += a[b*r.S+i] * dy
					dpre[b*r.S+i] += dy * wdec[i*r.D+j]
				}
			}
		}
	}
	r.L.Aux = coef * loss / float64(r.B)
	return dpre
}

// topOf returns the k indices among cand with the largest v (ties: the
// lower index), by selection: plain and slow on purpose.
func topOf(v []float64, cand []int, k int) []int {
	left := append([]int(nil), cand...)
	var out []int
	for len(out) < k && len(left) > 0 {
		best := 0
		for t := 1; t < len(left); t++ {
			if v[left[t]] > v[left[best]] || (v[left[t]] == v[left[best]] && left[t] < left[best]) {
				best = t
			}
		}
		out = append(out, left[best])
		left = append(left[:best], left[best+1:]...)
	}
	return out
}

// runRef runs the reference step of s's architecture.
func runRef(s *SAE, x []float32, dead []bool, o *stepOptions) (*refStep, []float64) {
	r := newRefStep(s, x, dead, o)
	f := refSteps[s.Arch](r)
	r.L.Overall = r.L.MSE + r.L.L1 + r.L.Ghost + r.L.Aux
	return r, f
}

// refVariant is one configuration of the reference comparison.
type refVariant struct {
	name    string
	arch    string
	d, s, b int
	dup     bool // repeated rows (exercises de-duplication)
	setup   func(s *SAE, o *stepOptions)
}

func refVariants() []refVariant {
	none := func(*SAE, *stepOptions) {}
	return []refVariant{
		{"plain", ArchStandard, 6, 16, 8, false, none},
		{"bdec_layernorm_dense", ArchStandard, 6, 16, 8, false, func(s *SAE, o *stepOptions) {
			s.ApplyBDecToInput, s.NormalizeActivations, o.denseMSE = true, "layer_norm", true
		}},
		{"lp2_scaled_constnorm", ArchStandard, 8, 24, 10, false, func(s *SAE, o *stepOptions) {
			o.lp, o.scaleByDec, s.NormalizeActivations = 2, true, "constant_norm_rescale"
		}},
		{"tanh_relu", ArchStandard, 6, 16, 8, false, func(s *SAE, o *stepOptions) { s.ActivationFn = "tanh-relu" }},
		{"ghost", ArchStandard, 6, 16, 8, false, func(s *SAE, o *stepOptions) { o.ghost = true }},
		{"ghost_dense_wide", ArchStandard, 40, 160, 24, true, func(s *SAE, o *stepOptions) {
			o.ghost, o.denseMSE, s.ApplyBDecToInput = true, true, true
		}},
		{"wide", ArchStandard, 100, 200, 20, true, func(s *SAE, o *stepOptions) {}},
		{"plain", ArchGated, 6, 16, 8, false, func(s *SAE, o *stepOptions) { s.ApplyBDecToInput = true }},
		{"tanh_relu_wide", ArchGated, 40, 120, 16, true, func(s *SAE, o *stepOptions) { s.ActivationFn = "tanh-relu" }},
		{"wide", ArchGated, 100, 128, 12, true, func(s *SAE, o *stepOptions) { s.ApplyBDecToInput = true }},
		{"step", ArchJumpReLU, 6, 16, 8, false, func(s *SAE, o *stepOptions) { o.bandwidth = 0.2 }},
		{"tanh_bdec", ArchJumpReLU, 6, 16, 8, false, func(s *SAE, o *stepOptions) {
			o.bandwidth, o.tanhMode, o.tanhScale, s.ApplyBDecToInput = 0.2, true, 4, true
		}},
		{"step_wide", ArchJumpReLU, 40, 160, 24, true, func(s *SAE, o *stepOptions) { o.bandwidth = 0.1 }},
		{"plain", ArchTopK, 6, 16, 8, false, func(s *SAE, o *stepOptions) { s.K = 3 }},
		{"layernorm_bdec_wide", ArchTopK, 40, 160, 24, true, func(s *SAE, o *stepOptions) {
			s.K, s.ApplyBDecToInput, s.NormalizeActivations = 6, true, "layer_norm"
		}},
		{"plain", ArchBatchTopK, 6, 16, 8, false, func(s *SAE, o *stepOptions) { s.KBatch = 2.5 }},
		{"constnorm_wide", ArchBatchTopK, 40, 160, 24, false, func(s *SAE, o *stepOptions) {
			s.KBatch, s.NormalizeActivations = 5, "constant_norm_rescale"
		}},
	}
}

// TestFastStepsMatchReference runs every architecture's fast step and its
// reference step on random batches and compares the loss terms, the
// gradients and the feature activations, in every kernel mode.
func TestFastStepsMatchReference(t *testing.T) {
	for a := range refSteps {
		if !IsArchitecture(a) {
			t.Fatalf("reference step for unknown architecture %q", a)
		}
	}
	for _, a := range Architectures() {
		if refSteps[a] == nil {
			t.Errorf("architecture %q has no reference step", a)
		}
	}
	kernelModes(t, func(t *testing.T) {
		for k, v := range refVariants() {
			t.Run(v.arch+"/"+v.name, func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(k), 77))
				s := noisySAE(t, v.arch, v.d, v.s, rng)
				o := &stepOptions{coeff: 0.1, lp: 1, auxCoeff: 0.5}
				v.setup(s, o)
				x := make([]float32, v.b*v.d)
				for i := range x {
					x[i] = float32(rng.NormFloat64()*1.5 + 0.3)
				}
				if v.dup {
					for b := 1; b < v.b; b += 3 {
						copy(x[b*v.d:(b+1)*v.d], x[(b-1)*v.d:b*v.d])
					}
				}
				dead := make([]bool, v.s)
				for i := range dead {
					dead[i] = rng.IntN(5) < 2
				}
				compareWithRef(t, s, x, dead, o, 2e-4)
			})
		}
	})
}

// compareWithRef runs the fast step and the reference on one batch.
func compareWithRef(t *testing.T, s *SAE, x []float32, dead []bool, o *stepOptions, rel float64) {
	t.Helper()
	B := len(x) / s.DIn
	w := newWorkspace(B, s.DIn, s.DSAE)
	g := newGrads(s)
	L, err := s.forwardBackward(w, append([]float32(nil), x...), dead, o, g)
	if err != nil {
		t.Fatal(err)
	}
	feats := make([]float32, B*s.DSAE)
	w.features(feats)
	ref, refF := runRef(s, x, dead, o)
	if (o.ghost && ref.L.Ghost == 0) || ((s.Arch == ArchTopK || s.Arch == ArchBatchTopK) && ref.L.Aux == 0) ||
		(s.Arch != ArchTopK && s.Arch != ArchBatchTopK && ref.L.L1 == 0) {
		t.Fatalf("reference losses %+v: the variant does not exercise every loss term", ref.L)
	}
	got := []float64{L.MSE, L.L1, L.Ghost, L.Aux, L.Overall}
	want := []float64{ref.L.MSE, ref.L.L1, ref.L.Ghost, ref.L.Aux, ref.L.Overall}
	for i, nm := range []string{"mse", "sparsity", "ghost", "aux", "overall"} {
		if math.Abs(got[i]-want[i]) > rel*math.Max(math.Abs(want[i]), 1e-3) {
			t.Errorf("loss %s = %.8g, reference %.8g", nm, got[i], want[i])
		}
	}
	for k, nm := range s.paramNames() {
		closeTo64(t, "gradient "+nm, g[k], ref.g[nm], rel)
	}
	closeTo64(t, "feature activations", feats, refF, rel)
}

// closeTo64 is closeTo against a float64 reference.
func closeTo64(t *testing.T, what string, got []float32, want []float64, rel float64) {
	t.Helper()
	w32 := make([]float32, len(want))
	for i, v := range want {
		w32[i] = float32(v)
	}
	closeTo(t, what, got, w32, rel)
}

// TestReferenceMatchesTorch checks the reference steps against the
// PyTorch autograd fixtures (scripts/sae_parity.py), so the references
// are not merely consistent with the fast code.
func TestReferenceMatchesTorch(t *testing.T) {
	for _, name := range []string{"standard", "standard_ghost", "standard_lp2_scaled", "standard_layernorm_dense",
		"standard_constnorm", "gated", "jumprelu_step", "jumprelu_tanh", "topk", "batchtopk"} {
		t.Run(name, func(t *testing.T) {
			fx := loadFixture(t, name)
			s := fx.buildSAE(t, "param.")
			x, _ := fx.get(t, "x")
			deadF, _ := fx.get(t, "dead")
			dead := make([]bool, len(deadF))
			for i, v := range deadF {
				dead[i] = v != 0
			}
			ref, f := runRef(s, x, dead, fx.options())
			want := fx.f64(t, "losses")
			got := []float64{ref.L.MSE, ref.L.L1, ref.L.Ghost, ref.L.Aux, ref.L.Overall}
			for i, nm := range []string{"mse", "sparsity", "ghost", "aux", "overall"} {
				if d := math.Abs(got[i] - want[i]); d > 1e-5*math.Max(math.Abs(want[i]), 1e-3) {
					t.Errorf("loss %s = %.8g, torch %.8g", nm, got[i], want[i])
				}
			}
			for _, nm := range s.paramNames() {
				gv := ref.g[nm]
				if nm == "W_enc" {
					gv = make([]float64, len(gv))
					for i := 0; i < s.DSAE; i++ {
						for j := 0; j < s.DIn; j++ {
							gv[j*s.DSAE+i] = ref.g[nm][i*s.DIn+j]
						}
					}
				}
				wantG, _ := fx.get(t, "grad."+nm)
				closeTo(t, fmt.Sprintf("gradient %s", nm), f32s(gv), wantG, 1e-4)
			}
			wantF, _ := fx.get(t, "feature_acts")
			closeTo(t, "feature_acts", f32s(f), wantF, 1e-5)
		})
	}
}

func f32s(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}
