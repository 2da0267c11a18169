package sae

import "math"

// refStandard is the reference step of the standard SAE:
//
//	pre = c·W_enc + b_enc, f = act(pre), x̂ = (f·W_dec + b_dec)·kout + mu
//	loss = mean_b Σ_j w_b (x̂ − x)²  +  λ·mean_b ‖f_b ⊙ n‖_p  (+ ghost)
//
// with n_i = ‖W_dec_i‖ when scale_sparsity_penalty_by_decoder_norm, else 1.
func refStandard(r *refStep) []float64 {
	B, D, S, o := r.B, r.D, r.S, r.o
	pre := r.encode(r.param("b_enc"))
	f := make([]float64, B*S)
	for k, p := range pre {
		f[k] = refActivate(r.s.ActivationFn, p)
	}
	xhat := r.decode(f)
	df := r.backDecode(f, r.mse(xhat))

	// Sparsity penalty λ·mean_b (Σ_i |f_bi·n_i|^p)^(1/p).
	n := make([]float64, S)
	for i := range n {
		n[i] = 1
	}
	if o.scaleByDec {
		n = r.decoderNorms()
	}
	lam, p := float64(o.coeff), o.lp
	dn := make([]float64, S) // dLoss/dn_i
	for b := 0; b < B; b++ {
		var sum float64
		for i := 0; i < S; i++ {
			sum += math.Pow(math.Abs(f[b*S+i]*n[i]), p)
		}
		norm := math.Pow(sum, 1/p)
		r.L.L1 += lam * norm / float64(B)
		if norm == 0 {
			continue
		}
		for i := 0; i < S; i++ {
			v := f[b*S+i] * n[i]
			if v == 0 {
				continue
			}
			dv := lam / float64(B) * math.Pow(math.Abs(v), p-1) * math.Copysign(1, v) / math.Pow(norm, p-1)
			df[b*S+i] += dv * n[i]
			dn[i] += dv * f[b*S+i]
		}
	}
	if o.scaleByDec {
		wdec := r.param("W_dec")
		for i := 0; i < S; i++ {
			for j := 0; j < D; j++ {
				r.g["W_dec"][i*D+j] += dn[i] * wdec[i*D+j] / n[i]
			}
		}
	}
	dpre := make([]float64, B*S)
	for k, p := range pre {
		dpre[k] = df[k] * refActivateGrad(r.s.ActivationFn, p)
	}
	if o.ghost {
		refGhost(r, pre, xhat, dpre)
	}
	r.backEncode(dpre, "b_enc")
	return f
}

// refActivate is relu or tanh(relu).
func refActivate(fn string, p float64) float64 {
	if p <= 0 {
		return 0
	}
	if fn == "tanh-relu" {
		return math.Tanh(p)
	}
	return p
}

// refActivateGrad is the derivative of refActivate.
func refActivateGrad(fn string, p float64) float64 {
	if p <= 0 {
		return 0
	}
	if fn == "tanh-relu" {
		t := math.Tanh(p)
		return 1 - t*t
	}
	return 1
}

// refGhost adds the ghost-grad loss of SAELens 3.12/4.4.5 and adds its
// gradient to dpre (and W_dec's): the dead features decode exp(pre),
// rescaled to half the residual's norm, to predict the residual; the loss
// is rescaled per element to the size of the MSE.
func refGhost(r *refStep, pre, xhat, dpre []float64) {
	B, D, S := r.B, r.D, r.S
	wdec := r.param("W_dec")
	res := make([]float64, B*D)
	for k := range res {
		res[k] = r.x[k] - xhat[k]
	}
	wres := make([]float64, B)
	if r.o.denseMSE {
		wres = denseWeights64(res, B, D)
	} else {
		for b := range wres {
			wres[b] = 1
		}
	}
	var loss float64
	for b := 0; b < B; b++ {
		h := make([]float64, S)
		g := make([]float64, D)
		for i := 0; i < S; i++ {
			if !r.dead[i] {
				continue
			}
			h[i] = math.Exp(pre[b*S+i])
			for j := 0; j < D; j++ {
				g[j] += h[i] * wdec[i*D+j]
			}
		}
		sc := norm2(res[b*D:b*D+D]) / (1e-6 + 2*norm2(g))
		dg := make([]float64, D)
		for j := 0; j < D; j++ {
			e := g[j]*sc - res[b*D+j]
			pg := e * e * wres[b]
			m := xhat[b*D+j] - r.x[b*D+j]
			ratio := m * m * r.wmse[b] / (pg + 1e-6) // detached
			loss += ratio * pg
			dg[j] = ratio * 2 * e * wres[b] / float64(B*D) * sc
		}
		for i := 0; i < S; i++ {
			if !r.dead[i] {
				continue
			}
			var dh float64
			for j := 0; j < D; j++ {
				r.g["W_dec"][i*D+j] += h[i] * dg[j]
				dh += dg[j] * wdec[i*D+j]
			}
			dpre[b*S+i] += dh * h[i]
		}
	}
	r.L.Ghost = loss / float64(B*D)
}
