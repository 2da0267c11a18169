package sae

import "math"

// refGated is the reference step of the gated SAE:
//
//	u = c·W_enc, π = u + b_gate, m = u·exp(r_mag) + b_mag
//	f = [π > 0]·act(m), x̂ = f·W_dec + b_dec
//	loss = MSE + λ·mean_b Σ_i relu(π_bi)·‖W_dec_i‖ + mean_b ‖relu(π_b)·W_dec + b_dec − x_b‖²
func refGated(r *refStep) []float64 {
	B, D, S := r.B, r.D, r.S
	u := r.encode(nil)
	bgate, rmag, bmag := r.param("b_gate"), r.param("r_mag"), r.param("b_mag")
	wdec, bdec := r.param("W_dec"), r.param("b_dec")
	fn := r.s.ActivationFn
	f := make([]float64, B*S)
	pi := make([]float64, B*S) // relu(π)
	for b := 0; b < B; b++ {
		for i := 0; i < S; i++ {
			k := b*S + i
			if p := u[k] + bgate[i]; p > 0 {
				pi[k] = p
				f[k] = refActivate(fn, u[k]*math.Exp(rmag[i])+bmag[i])
			}
		}
	}
	xhat := r.decode(f)
	df := r.backDecode(f, r.mse(xhat))
	du := make([]float64, B*S)
	dpi := make([]float64, B*S)
	// magnitude path
	for b := 0; b < B; b++ {
		for i := 0; i < S; i++ {
			k := b*S + i
			if pi[k] == 0 {
				continue
			}
			e := math.Exp(rmag[i])
			dm := df[k] * refActivateGrad(fn, u[k]*e+bmag[i])
			r.g["b_mag"][i] += dm
			r.g["r_mag"][i] += dm * u[k] * e
			du[k] += dm * e
		}
	}
	// gate penalty
	lam := float64(r.o.coeff)
	n := r.decoderNorms()
	for b := 0; b < B; b++ {
		for i := 0; i < S; i++ {
			k := b*S + i
			if pi[k] == 0 {
				continue
			}
			r.L.L1 += lam * pi[k] * n[i] / float64(B)
			dpi[k] += lam * n[i] / float64(B)
			for j := 0; j < D; j++ {
				r.g["W_dec"][i*D+j] += lam * pi[k] / float64(B) * wdec[i*D+j] / n[i]
			}
		}
	}
	// auxiliary reconstruction through the gate
	for b := 0; b < B; b++ {
		for j := 0; j < D; j++ {
			via := bdec[j]
			for i := 0; i < S; i++ {
				via += pi[b*S+i] * wdec[i*D+j]
			}
			e := via - r.x[b*D+j]
			r.L.Aux += e * e / float64(B)
			dv := 2 * e / float64(B)
			r.g["b_dec"][j] += dv
			for i := 0; i < S; i++ {
				if pi[b*S+i] != 0 {
					r.g["W_dec"][i*D+j] += pi[b*S+i] * dv
					dpi[b*S+i] += dv * wdec[i*D+j]
				}
			}
		}
	}
	for k := range dpi {
		if pi[k] == 0 {
			continue
		}
		r.g["b_gate"][k%S] += dpi[k]
		du[k] += dpi[k]
	}
	r.backEncode(du, "")
	return f
}
