package model

import (
	"fmt"
	"math"
	"runtime"
	"strconv"
	"sync"

	"github.com/glassbox-interp/glassbox/tensor"
)

// Forward runs the model and returns the logits [B, T, d_vocab_out].
func (m *Model) Forward(tokens [][]int) (*tensor.Tensor, error) {
	logits, _, err := m.Run(tokens, RunOptions{})
	return logits, err
}

// RunWithCache runs the model and returns the logits and the activations at
// the named hooks; with no names it caches every hook of HookNames.
func (m *Model) RunWithCache(tokens [][]int, names ...string) (*tensor.Tensor, Cache, error) {
	return m.Run(tokens, RunOptions{Cache: names, CacheAll: len(names) == 0})
}

// RunWithHooks runs the model with hooks that read or replace activations.
func (m *Model) RunWithHooks(tokens [][]int, hooks []Hook) (*tensor.Tensor, error) {
	logits, _, err := m.Run(tokens, RunOptions{Hooks: hooks})
	return logits, err
}

// CheckTokens validates a batch: at least one row, all rows of the same
// length between 1 and n_ctx, every id in [0, d_vocab).
func (m *Model) CheckTokens(tokens [][]int) error {
	if len(tokens) == 0 {
		return fmt.Errorf("tokens: empty batch")
	}
	T := len(tokens[0])
	for b, row := range tokens {
		if len(row) != T {
			return fmt.Errorf("tokens: row %d has %d positions, row 0 has %d (rows must have equal length)", b, len(row), T)
		}
		for t, id := range row {
			if id < 0 || id >= m.cfg.DVocab {
				return fmt.Errorf("tokens: row %d position %d is %d, want an id in [0, %d)", b, t, id, m.cfg.DVocab)
			}
		}
	}
	if T == 0 || T > m.cfg.NCtx {
		return fmt.Errorf("tokens: sequence length %d, want 1..n_ctx=%d", T, m.cfg.NCtx)
	}
	return nil
}

// Run is the general forward pass: it validates tokens, runs every layer
// over the whole batch, calls opt.Hooks at their hook points (each sees the
// whole batch) and returns the logits and the requested cache.
func (m *Model) Run(tokens [][]int, opt RunOptions) (*tensor.Tensor, Cache, error) {
	if err := m.CheckTokens(tokens); err != nil {
		return nil, nil, fmt.Errorf("model: %w", err)
	}
	s, err := m.newRunState(opt)
	if err != nil {
		return nil, nil, fmt.Errorf("model: %w", err)
	}
	logits, err := m.forward(tokens, s)
	if err != nil {
		return nil, nil, fmt.Errorf("model: %w", err)
	}
	return logits, s.cache, nil
}

func (m *Model) forward(tokens [][]int, s *runState) (*tensor.Tensor, error) {
	c := &m.cfg
	B, T, D := len(tokens), len(tokens[0]), c.DModel
	embed := tensor.New(B, T, D)
	pos := tensor.New(B, T, D)
	for b, row := range tokens {
		for t, id := range row {
			r := b*T + t
			copy(embed.Data[r*D:(r+1)*D], m.wE[id*D:(id+1)*D])
			copy(pos.Data[r*D:(r+1)*D], m.wPos[t*D:(t+1)*D])
		}
	}
	if err := s.fire("hook_embed", embed); err != nil {
		return nil, err
	}
	if err := s.fire("hook_pos_embed", pos); err != nil {
		return nil, err
	}
	resid := tensor.New(B, T, D)
	for i := range resid.Data {
		resid.Data[i] = embed.Data[i] + pos.Data[i]
	}
	return m.forwardFrom(resid, 0, stagePre, s)
}

// Residual-stream points a forward pass can start from (RunFrom).
const (
	stagePre  = iota // blocks.L.hook_resid_pre: block L from its start
	stageMid         // blocks.L.hook_resid_mid: block L's MLP half
	stagePost        // blocks.L.hook_resid_post: fires it, then block L+1
)

// forwardFrom runs the model from the residual stream resid ([B,T,D],
// updated in place) at the given layer and stage to the logits.
func (m *Model) forwardFrom(resid *tensor.Tensor, layer, stage int, s *runState) (*tensor.Tensor, error) {
	c := &m.cfg
	B, T := resid.Shape[0], resid.Shape[1]
	N := B * T
	for l := layer; l < len(m.layers); l++ {
		var err error
		switch {
		case l > layer || stage == stagePre:
			err = m.block(l, resid, B, T, s)
		case stage == stageMid:
			err = m.mlpHalf(l, resid, B, T, s)
		default:
			err = s.fire("blocks."+strconv.Itoa(l)+".hook_resid_post", resid)
		}
		if err != nil {
			return nil, err
		}
	}
	x := resid
	if c.NormalizationType != "" {
		var err error
		if x, err = m.normalize("ln_final", resid, m.lnFW, m.lnFB, s); err != nil {
			return nil, err
		}
	}
	logits := tensor.New(B, T, c.DVocabOut)
	m.unembed.applyRows(logits.Data, x.Data, m.bU, N)
	return logits, nil
}

// block runs transformer block l, updating resid in place.
func (m *Model) block(l int, resid *tensor.Tensor, B, T int, s *runState) error {
	c := &m.cfg
	lp := &m.layers[l]
	D, H, dh := c.DModel, c.NHeads, c.DHead
	N := B * T
	p := "blocks." + strconv.Itoa(l) + "."
	if err := s.fire(p+"hook_resid_pre", resid); err != nil {
		return err
	}
	// Attention inputs: shared [B,T,D] unless a hook function is attached
	// to a per-head input (caching alone does not need the per-head path:
	// every head's copy equals resid_pre).
	split := len(s.fns[p+"hook_q_input"])+len(s.fns[p+"hook_k_input"])+len(s.fns[p+"hook_v_input"]) > 0
	var inputs [3]*tensor.Tensor
	for i, n := range []string{"hook_q_input", "hook_k_input", "hook_v_input"} {
		if !split && !s.active(p+n) {
			continue
		}
		in := tensor.New(B, T, H, D)
		for r := 0; r < N; r++ {
			for h := 0; h < H; h++ {
				copy(in.Data[(r*H+h)*D:(r*H+h+1)*D], resid.Data[r*D:(r+1)*D])
			}
		}
		if err := s.fire(p+n, in); err != nil {
			return err
		}
		inputs[i] = in
	}
	x := resid
	if c.NormalizationType != "" {
		var err error
		if x, err = m.normalize(p+"ln1", resid, lp.ln1W, lp.ln1B, s); err != nil {
			return err
		}
	}
	if split {
		if c.NormalizationType != "" {
			for _, in := range inputs {
				normRows(in.Data, in.Data, N*H, D, c.NormalizationType, c.Eps, lp.ln1W, lp.ln1B, nil)
			}
		}
	} else {
		inputs = [3]*tensor.Tensor{x, x, x}
	}
	q := tensor.New(B, T, H, dh)
	k := tensor.New(B, T, H, dh)
	v := tensor.New(B, T, H, dh)
	for i, job := range []struct {
		out   *tensor.Tensor
		w     linear
		heads []linear
		b     []float32
		name  string
	}{{q, lp.q, lp.qHead, lp.bQ, "attn.hook_q"}, {k, lp.k, lp.kHead, lp.bK, "attn.hook_k"}, {v, lp.v, lp.vHead, lp.bV, "attn.hook_v"}} {
		projectHeads(job.out.Data, inputs[i].Data, split, job.w, job.heads, job.b, N, H, D, dh)
		if err := s.fire(p+job.name, job.out); err != nil {
			return err
		}
	}
	scores := tensor.New(B, H, T, T)
	scale := c.AttnScale
	if c.ScaleAttnByInverseLayerIdx {
		scale *= float64(l + 1)
	}
	attnScores(scores.Data, q.Data, k.Data, B, T, H, dh, 1/scale, c.AttentionDir == "causal", lp.ignore)
	if err := s.fire(p+"attn.hook_attn_scores", scores); err != nil {
		return err
	}
	pattern := tensor.New(B, H, T, T)
	softmaxRows(pattern.Data, scores.Data, B*H*T, T)
	if err := s.fire(p+"attn.hook_pattern", pattern); err != nil {
		return err
	}
	z := tensor.New(B, T, H, dh)
	attnMix(z.Data, pattern.Data, v.Data, B, T, H, dh)
	if err := s.fire(p+"attn.hook_z", z); err != nil {
		return err
	}
	attnOut := tensor.New(B, T, D)
	if s.active(p + "attn.hook_result") {
		result := tensor.New(B, T, H, D)
		headResults(result.Data, z.Data, lp.oHead, N, H, dh, D)
		if err := s.fire(p+"attn.hook_result", result); err != nil {
			return err
		}
		for r := 0; r < N; r++ {
			o := attnOut.Data[r*D : (r+1)*D]
			for d := range o {
				acc := float64(lp.bO[d])
				for h := 0; h < H; h++ {
					acc += float64(result.Data[(r*H+h)*D+d])
				}
				o[d] = float32(acc)
			}
		}
	} else {
		// z viewed as [N, H*dh] times W_O viewed as [H*dh, D].
		lp.o.applyRows(attnOut.Data, z.Data, lp.bO, N)
	}
	if err := s.fire(p+"hook_attn_out", attnOut); err != nil {
		return err
	}
	for i := range resid.Data {
		resid.Data[i] += attnOut.Data[i]
	}
	if c.AttnOnly {
		return s.fire(p+"hook_resid_post", resid)
	}
	return m.mlpHalf(l, resid, B, T, s)
}

// mlpHalf runs the MLP half of block l (from hook_resid_mid to
// hook_resid_post), updating resid in place.
func (m *Model) mlpHalf(l int, resid *tensor.Tensor, B, T int, s *runState) error {
	c := &m.cfg
	lp := &m.layers[l]
	D, N := c.DModel, B*T
	p := "blocks." + strconv.Itoa(l) + "."
	if err := s.fire(p+"hook_resid_mid", resid); err != nil {
		return err
	}
	mlpIn := resid
	if s.active(p + "hook_mlp_in") {
		mlpIn = resid.Clone()
		if err := s.fire(p+"hook_mlp_in", mlpIn); err != nil {
			return err
		}
	}
	x2 := mlpIn
	if c.NormalizationType != "" {
		var err error
		if x2, err = m.normalize(p+"ln2", mlpIn, lp.ln2W, lp.ln2B, s); err != nil {
			return err
		}
	}
	F := c.DMLP
	pre := tensor.New(B, T, F)
	lp.mlpIn.applyRows(pre.Data, x2.Data, lp.bIn, N)
	if err := s.fire(p+"mlp.hook_pre", pre); err != nil {
		return err
	}
	post := tensor.New(B, T, F)
	activate(post.Data, pre.Data, c.ActFn)
	if err := s.fire(p+"mlp.hook_post", post); err != nil {
		return err
	}
	mlpOut := tensor.New(B, T, D)
	lp.mlpOut.applyRows(mlpOut.Data, post.Data, lp.bOut, N)
	if err := s.fire(p+"hook_mlp_out", mlpOut); err != nil {
		return err
	}
	for i := range resid.Data {
		resid.Data[i] += mlpOut.Data[i]
	}
	return s.fire(p+"hook_resid_post", resid)
}

// normalize applies the configured normalisation to x ([B,T,D]) into a new
// tensor, firing prefix.hook_scale ([B,T,1]) and prefix.hook_normalized.
func (m *Model) normalize(prefix string, x *tensor.Tensor, w, b []float32, s *runState) (*tensor.Tensor, error) {
	c := &m.cfg
	D := c.DModel
	rows := len(x.Data) / D
	B, T := x.Shape[0], x.Shape[1]
	scale := tensor.New(B, T, 1)
	center := c.NormalizationType == "LN" || c.NormalizationType == "LNPre"
	for r := 0; r < rows; r++ {
		scale.Data[r] = float32(rowScale(x.Data[r*D:(r+1)*D], center, c.Eps))
	}
	if err := s.fire(prefix+".hook_scale", scale); err != nil {
		return nil, err
	}
	out := tensor.New(B, T, D)
	kind := c.NormalizationType
	if kind == "RMS" {
		// TransformerLens' RMSNorm hooks x/scale and applies w afterwards.
		kind = "RMSPre"
	}
	normRows(out.Data, x.Data, rows, D, kind, c.Eps, w, b, scale.Data)
	if err := s.fire(prefix+".hook_normalized", out); err != nil {
		return nil, err
	}
	if c.NormalizationType == "RMS" {
		for r := 0; r < rows; r++ {
			o := out.Data[r*D : (r+1)*D]
			for d := range o {
				o[d] *= w[d]
			}
		}
	}
	return out, nil
}

// rowScale is sqrt(mean((x-mean)^2) + eps) (centred) or sqrt(mean(x^2)+eps).
func rowScale(x []float32, center bool, eps float64) float64 {
	mean := 0.0
	if center {
		for _, v := range x {
			mean += float64(v)
		}
		mean /= float64(len(x))
	}
	ss := 0.0
	for _, v := range x {
		d := float64(v) - mean
		ss += d * d
	}
	return math.Sqrt(ss/float64(len(x)) + eps)
}

// normRows normalises rows of length D from src into dst (which may alias
// src). scales, when non-nil, gives each row's scale (hook_scale); otherwise
// it is computed. LN/RMS apply the weight (and LN the bias).
func normRows(dst, src []float32, rows, D int, kind string, eps float64, w, b []float32, scales []float32) {
	center := kind == "LN" || kind == "LNPre"
	for r := 0; r < rows; r++ {
		x := src[r*D : (r+1)*D]
		o := dst[r*D : (r+1)*D]
		mean := 0.0
		if center {
			for _, v := range x {
				mean += float64(v)
			}
			mean /= float64(D)
		}
		var sc float64
		if scales != nil {
			sc = float64(scales[r])
		} else {
			sc = rowScale(x, center, eps)
		}
		for d := range o {
			y := (float64(x[d]) - mean) / sc
			switch kind {
			case "LN":
				y = y*float64(w[d]) + float64(b[d])
			case "RMS":
				y = float64(float32(y)) * float64(w[d])
			}
			o[d] = float32(y)
		}
	}
}

// parallel splits [0,n) into chunks run on up to GOMAXPROCS goroutines when
// the total work (n·perItem multiply-adds) is worth it.
func parallel(n, perItem int, fn func(lo, hi int)) {
	workers := runtime.GOMAXPROCS(0)
	if workers > n {
		workers = n
	}
	if workers <= 1 || n*perItem < 1<<15 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	chunk := (n + workers - 1) / workers
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			fn(lo, hi)
		}(lo, hi)
	}
	wg.Wait()
}

// projectHeads computes out[r,h,:] = x(r,h)·W[h] + b[h]; x(r,h) is row r
// of x [N,D] (all heads at once with w), or row (r,h) of x [N,H,D] when
// perHead (head h with heads[h]). out must be zero (a new tensor).
func projectHeads(out, x []float32, perHead bool, w linear, heads []linear, b []float32, N, H, D, dh int) {
	if !perHead {
		w.applyRows(out, x, b, N)
		return
	}
	for h := 0; h < H; h++ {
		heads[h].applyStrided(out[h*dh:], H*dh, x[h*D:], H*D, b[h*dh:(h+1)*dh], N, true)
	}
}

// attnScores fills scores [B,H,T,T] with q·k·inv (q,k [B,T,H,dh]); with
// causal masking, key positions after the query get ignore.
func attnScores(scores, q, k []float32, B, T, H, dh int, inv float64, causal bool, ignore float32) {
	parallel(B, H*T*T*dh, func(lo, hi int) {
		for b := lo; b < hi; b++ {
			for h := 0; h < H; h++ {
				for i := 0; i < T; i++ {
					qi := q[((b*T+i)*H+h)*dh : ((b*T+i)*H+h+1)*dh]
					row := scores[((b*H+h)*T+i)*T : ((b*H+h)*T+i+1)*T]
					for j := 0; j < T; j++ {
						if causal && j > i {
							row[j] = ignore
							continue
						}
						kj := k[((b*T+j)*H+h)*dh : ((b*T+j)*H+h+1)*dh]
						acc := 0.0
						for e, qv := range qi {
							acc += float64(qv) * float64(kj[e])
						}
						row[j] = float32(acc * inv)
					}
				}
			}
		}
	})
}

// softmaxRows applies a softmax over each row of length T. Rows whose
// softmax is NaN in PyTorch (all -inf, or a NaN/+inf input) become zero, as
// TransformerLens' torch.where(isnan) does.
func softmaxRows(dst, src []float32, rows, T int) {
	parallel(rows, 16*T, func(lo, hi int) {
		e := make([]float64, T)
		for r := lo; r < hi; r++ {
			x := src[r*T : (r+1)*T]
			o := dst[r*T : (r+1)*T]
			mx := math.Inf(-1)
			for _, v := range x {
				if f := float64(v); f > mx || f != f {
					mx = f
				}
			}
			sum := 0.0
			for j, v := range x {
				f := float64(v)
				if math.IsInf(f, -1) {
					e[j] = 0
					continue
				}
				e[j] = math.Exp(f - mx)
				sum += e[j]
			}
			if !(sum > 0) || math.IsInf(sum, 0) { // NaN, all masked, or +inf input
				clear(o)
				continue
			}
			inv := 1 / sum
			for j := range o {
				o[j] = float32(e[j] * inv)
			}
		}
	})
}

// attnMix computes z[b,i,h,:] = Σ_j pattern[b,h,i,j]·v[b,j,h,:]. When v
// is finite, terms with a zero weight (masked keys, underflowed
// exponentials: most of a tracr model's pattern) are skipped: ±0·v adds
// nothing to a float64 sum that starts at +0, so the sums are the same bit
// for bit; an infinite or NaN v keeps every term (0·Inf is NaN).
func attnMix(z, pattern, v []float32, B, T, H, dh int) {
	skip := finite(v)
	parallel(B, H*T*T*dh, func(lo, hi int) {
		acc := make([]float64, dh)
		for b := lo; b < hi; b++ {
			for h := 0; h < H; h++ {
				for i := 0; i < T; i++ {
					for e := range acc {
						acc[e] = 0
					}
					prow := pattern[((b*H+h)*T+i)*T : ((b*H+h)*T+i+1)*T]
					for j, pv := range prow {
						if pv == 0 && skip {
							continue
						}
						pj := float64(pv)
						vj := v[((b*T+j)*H+h)*dh : ((b*T+j)*H+h+1)*dh]
						for e, vv := range vj {
							acc[e] += pj * float64(vv)
						}
					}
					o := z[((b*T+i)*H+h)*dh : ((b*T+i)*H+h+1)*dh]
					for e, a := range acc {
						o[e] = float32(a)
					}
				}
			}
		}
	})
}

// headResults computes result[r,h,:] = z[r,h,:]·W_O[h] (no bias) into a
// zero result (a new tensor).
func headResults(result, z []float32, oHead []linear, N, H, dh, D int) {
	for h := 0; h < H; h++ {
		oHead[h].applyStrided(result[h*D:], H*D, z[h*dh:], H*dh, nil, N, true)
	}
}

// activate applies act_fn elementwise, split over GOMAXPROCS goroutines.
func activate(dst, src []float32, fn string) {
	const chunk = 4096
	parallel((len(src)+chunk-1)/chunk, 8*chunk, func(lo, hi int) {
		d, s := dst[lo*chunk:min(hi*chunk, len(dst))], src[lo*chunk:min(hi*chunk, len(src))]
		activateRange(d, s, fn)
	})
}

// activateRange is activate on one range (the switch is outside the loops).
func activateRange(dst, src []float32, fn string) {
	dst = dst[:len(src)]
	switch fn {
	case "relu":
		for i, v := range src {
			// Go's max: NaN stays NaN, max(-0, 0) = +0 (as math.Max
			// before); no data-dependent branch.
			dst[i] = max(v, 0)
		}
	case "gelu":
		for i, v := range src {
			x := float64(v)
			dst[i] = float32(0.5 * x * (1 + math.Erf(x/math.Sqrt2)))
		}
	case "gelu_new", "gelu_pytorch_tanh":
		for i, v := range src {
			x := float64(v)
			dst[i] = float32(0.5 * x * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x))))
		}
	case "gelu_fast":
		for i, v := range src {
			x := float64(v)
			dst[i] = float32(0.5 * x * (1 + math.Tanh(x*0.7978845608*(1+0.044715*x*x))))
		}
	case "silu":
		for i, v := range src {
			x := float64(v)
			dst[i] = float32(x / (1 + math.Exp(-x)))
		}
	default:
		clear(dst)
	}
}
