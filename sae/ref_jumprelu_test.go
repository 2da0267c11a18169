package sae

import "math"

// refJumpReLU is the reference step of the JumpReLU SAE:
//
//	pre = c·W_enc + b_enc, θ = exp(log_threshold), f = pre·[pre > θ]
//	loss = MSE + λ·mean_b Σ_i [pre_bi > θ_i]            ("step")
//	     or MSE + λ·mean_b Σ_i tanh(s·f_bi·‖W_dec_i‖)  ("tanh")
//
// The threshold's gradient is the rectangle-kernel pseudo-derivative of
// bandwidth ε: d[pre > θ]/dθ ≈ −rect((pre−θ)/ε)/ε, and d f/dθ ≈
// −(θ/ε)·rect((pre−θ)/ε).
func refJumpReLU(r *refStep) []float64 {
	B, D, S, o := r.B, r.D, r.S, r.o
	pre := r.encode(r.param("b_enc"))
	logth := r.param("log_threshold")
	th := make([]float64, S)
	for i, v := range logth {
		th[i] = math.Exp(v)
	}
	f := make([]float64, B*S)
	for k, p := range pre {
		if p > th[k%S] {
			f[k] = p
		}
	}
	xhat := r.decode(f)
	df := r.backDecode(f, r.mse(xhat))
	lam, bw := float64(o.coeff), float64(o.bandwidth)
	rectK := func(z float64) float64 {
		if z > -0.5 && z < 0.5 {
			return 1
		}
		return 0
	}
	dth := make([]float64, S)
	if o.tanhMode {
		n := r.decoderNorms()
		wdec := r.param("W_dec")
		ts := float64(o.tanhScale)
		for b := 0; b < B; b++ {
			for i := 0; i < S; i++ {
				k := b*S + i
				t := math.Tanh(ts * f[k] * n[i])
				r.L.L1 += lam * t / float64(B)
				dt := lam / float64(B) * (1 - t*t) * ts
				df[k] += dt * n[i]
				for j := 0; j < D; j++ {
					r.g["W_dec"][i*D+j] += dt * f[k] * wdec[i*D+j] / n[i]
				}
			}
		}
	} else {
		for k, p := range pre {
			i := k % S
			if p > th[i] {
				r.L.L1 += lam / float64(B)
			}
			dth[i] -= lam / float64(B) / bw * rectK((p-th[i])/bw)
		}
	}
	dpre := make([]float64, B*S)
	for k, p := range pre {
		i := k % S
		if p > th[i] {
			dpre[k] = df[k]
		}
		dth[i] -= th[i] / bw * rectK((p-th[i])/bw) * df[k]
	}
	for i := range dth {
		r.g["log_threshold"][i] += dth[i] * th[i]
	}
	r.backEncode(dpre, "b_enc")
	return f
}
