package grad

import (
	"math"
	"strconv"

	"github.com/glassbox-interp/glassbox/model"
)

// This file is the readable float64 reference the fast path is tested
// against: plain loops over explicit indices, one step of the math per
// loop, no packing, no chunking. Tensors are nested slices named after
// their axes.

// refNet holds the parameters as float64, TransformerLens shapes.
type refNet struct {
	cfg  model.Config
	wE   [][]float64 // [V_in][D]
	wPos [][]float64 // [n_ctx][D]
	l    []refLayer
	wU   [][]float64 // [D][V]
	bU   []float64
}

type refLayer struct {
	wQ, wK, wV [][][]float64 // [H][D][dh]
	bQ, bK, bV [][]float64   // [H][dh]
	wO         [][][]float64 // [H][dh][D]
	bO         []float64
	wIn        [][]float64 // [D][F]
	bIn        []float64
	wOut       [][]float64 // [F][D]
	bOut       []float64
}

func mat(v []float32, r, c int) [][]float64 {
	m := make([][]float64, r)
	for i := range m {
		m[i] = make([]float64, c)
		for j := range m[i] {
			m[i][j] = float64(v[i*c+j])
		}
	}
	return m
}

func vec(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

func ten3(v []float32, a, b, c int) [][][]float64 {
	t := make([][][]float64, a)
	for i := range t {
		t[i] = mat(v[i*b*c:(i+1)*b*c], b, c)
	}
	return t
}

// newRefNet copies n's parameters.
func newRefNet(n *Net) *refNet {
	c := n.cfg
	D, H, dh, F := c.DModel, c.NHeads, c.DHead, c.DMLP
	r := &refNet{cfg: c, wE: mat(n.param("embed.W_E"), c.DVocab, D), wPos: mat(n.param("pos_embed.W_pos"), c.NCtx, D),
		wU: mat(n.param("unembed.W_U"), D, c.DVocabOut), bU: vec(n.param("unembed.b_U"))}
	for l := 0; l < c.NLayers; l++ {
		p := "blocks." + itoa(l) + "."
		r.l = append(r.l, refLayer{
			wQ: ten3(n.param(p+"attn.W_Q"), H, D, dh), wK: ten3(n.param(p+"attn.W_K"), H, D, dh), wV: ten3(n.param(p+"attn.W_V"), H, D, dh),
			bQ: mat(n.param(p+"attn.b_Q"), H, dh), bK: mat(n.param(p+"attn.b_K"), H, dh), bV: mat(n.param(p+"attn.b_V"), H, dh),
			wO: ten3(n.param(p+"attn.W_O"), H, dh, D), bO: vec(n.param(p + "attn.b_O")),
			wIn: mat(n.param(p+"mlp.W_in"), D, F), bIn: vec(n.param(p + "mlp.b_in")),
			wOut: mat(n.param(p+"mlp.W_out"), F, D), bOut: vec(n.param(p + "mlp.b_out")),
		})
	}
	return r
}

func itoa(i int) string { return strconv.Itoa(i) }

// refPatch is a patched node with its values [b][t][width].
type refPatch struct {
	layer, head int // head -1: the MLP's hook_post
	v           [][][]float64
}

// refActs is what one sequence's forward pass keeps for the backward pass.
type refActs struct {
	x, mid      [][][]float64   // [L+1 or L][t][D]
	q, k, v     [][][][]float64 // [l][t][h][e]
	p           [][][][]float64 // [l][h][i][j]
	z           [][][][]float64 // [l][t][h][e]
	result      [][][][]float64 // [l][t][h][D]
	pre, post   [][][]float64   // [l][t][F]
	logits      [][]float64     // [t][V]
	headPatched [][]bool        // [l][h]
	mlpPatched  []bool
	tokens      []int32
	causal      bool
	scale       []float64 // per layer
	actFn       string
	nLayers     int
}

func zeros(n, m int) [][]float64 {
	out := make([][]float64, n)
	for i := range out {
		out[i] = make([]float64, m)
	}
	return out
}

func refGelu(x float64) float64 { return 0.5 * x * (1 + math.Erf(x/math.Sqrt2)) }

func refGeluGrad(x float64) float64 {
	return 0.5*(1+math.Erf(x/math.Sqrt2)) + x*math.Exp(-x*x/2)/math.Sqrt(2*math.Pi)
}

// forward runs one sequence (row b of the batch, for the patches).
func (r *refNet) forward(tokens []int32, b int, patches []refPatch) *refActs {
	c := r.cfg
	T, D, H, dh, F, V, L := len(tokens), c.DModel, c.NHeads, c.DHead, c.DMLP, c.DVocabOut, c.NLayers
	a := &refActs{tokens: tokens, causal: c.AttentionDir == "causal", actFn: c.ActFn, nLayers: L}
	a.headPatched = make([][]bool, L)
	a.mlpPatched = make([]bool, L)
	headPatch := make([][][][]float64, L) // [l][h] -> [t][D]
	mlpPatch := make([][][]float64, L)
	for l := range headPatch {
		headPatch[l] = make([][][]float64, H)
		a.headPatched[l] = make([]bool, H)
	}
	for _, p := range patches {
		if p.head >= 0 {
			headPatch[p.layer][p.head] = p.v[b]
			a.headPatched[p.layer][p.head] = true
		} else {
			mlpPatch[p.layer] = p.v[b]
			a.mlpPatched[p.layer] = true
		}
	}
	x := zeros(T, D)
	for t := 0; t < T; t++ {
		for d := 0; d < D; d++ {
			x[t][d] = r.wE[tokens[t]][d] + r.wPos[t][d]
		}
	}
	a.x = append(a.x, x)
	for l := 0; l < L; l++ {
		ly := r.l[l]
		scale := c.AttnScale
		if c.ScaleAttnByInverseLayerIdx {
			scale *= float64(l + 1)
		}
		a.scale = append(a.scale, scale)
		q, k, v, z := make([][][]float64, T), make([][][]float64, T), make([][][]float64, T), make([][][]float64, T)
		for t := 0; t < T; t++ {
			q[t], k[t], v[t], z[t] = zeros(H, dh), zeros(H, dh), zeros(H, dh), zeros(H, dh)
			for h := 0; h < H; h++ {
				for e := 0; e < dh; e++ {
					q[t][h][e], k[t][h][e], v[t][h][e] = ly.bQ[h][e], ly.bK[h][e], ly.bV[h][e]
					for d := 0; d < D; d++ {
						q[t][h][e] += x[t][d] * ly.wQ[h][d][e]
						k[t][h][e] += x[t][d] * ly.wK[h][d][e]
						v[t][h][e] += x[t][d] * ly.wV[h][d][e]
					}
				}
			}
		}
		p := make([][][]float64, H)
		for h := 0; h < H; h++ {
			p[h] = zeros(T, T)
			for i := 0; i < T; i++ {
				mx := math.Inf(-1)
				for j := 0; j < T; j++ {
					if a.causal && j > i {
						continue
					}
					s := 0.0
					for e := 0; e < dh; e++ {
						s += q[i][h][e] * k[j][h][e]
					}
					p[h][i][j] = s / scale
					mx = math.Max(mx, p[h][i][j])
				}
				sum := 0.0
				for j := 0; j < T; j++ {
					if a.causal && j > i {
						p[h][i][j] = 0
						continue
					}
					p[h][i][j] = math.Exp(p[h][i][j] - mx)
					sum += p[h][i][j]
				}
				for j := 0; j < T; j++ {
					p[h][i][j] /= sum
				}
				for j := 0; j < T; j++ {
					for e := 0; e < dh; e++ {
						z[i][h][e] += p[h][i][j] * v[j][h][e]
					}
				}
			}
		}
		result := make([][][]float64, T)
		mid := zeros(T, D)
		for t := 0; t < T; t++ {
			result[t] = zeros(H, D)
			for h := 0; h < H; h++ {
				for d := 0; d < D; d++ {
					if headPatch[l][h] != nil {
						result[t][h][d] = headPatch[l][h][t][d]
						continue
					}
					for e := 0; e < dh; e++ {
						result[t][h][d] += z[t][h][e] * ly.wO[h][e][d]
					}
				}
			}
			for d := 0; d < D; d++ {
				mid[t][d] = x[t][d] + ly.bO[d]
				for h := 0; h < H; h++ {
					mid[t][d] += result[t][h][d]
				}
			}
		}
		pre, post, x1 := zeros(T, F), zeros(T, F), zeros(T, D)
		for t := 0; t < T; t++ {
			for f := 0; f < F; f++ {
				pre[t][f] = ly.bIn[f]
				for d := 0; d < D; d++ {
					pre[t][f] += mid[t][d] * ly.wIn[d][f]
				}
				switch {
				case mlpPatch[l] != nil:
					post[t][f] = mlpPatch[l][t][f]
				case c.ActFn == "relu":
					post[t][f] = math.Max(pre[t][f], 0)
				default:
					post[t][f] = refGelu(pre[t][f])
				}
			}
			for d := 0; d < D; d++ {
				x1[t][d] = mid[t][d] + ly.bOut[d]
				for f := 0; f < F; f++ {
					x1[t][d] += post[t][f] * ly.wOut[f][d]
				}
			}
		}
		a.q, a.k, a.v, a.p, a.z = append(a.q, q), append(a.k, k), append(a.v, v), append(a.p, p), append(a.z, z)
		a.result, a.mid, a.pre, a.post = append(a.result, result), append(a.mid, mid), append(a.pre, pre), append(a.post, post)
		x = x1
		a.x = append(a.x, x)
	}
	a.logits = zeros(T, V)
	for t := 0; t < T; t++ {
		for j := 0; j < V; j++ {
			a.logits[t][j] = r.bU[j]
			for d := 0; d < D; d++ {
				a.logits[t][j] += x[t][d] * r.wU[d][j]
			}
		}
	}
	return a
}

// backward adds the gradients of one sequence, given dL/dlogits [t][V],
// into grads (keyed by TransformerLens name, flat TL layout).
func (r *refNet) backward(a *refActs, dlogits [][]float64, grads map[string][]float64) {
	c := r.cfg
	T, D, H, dh, F, V, L := len(a.tokens), c.DModel, c.NHeads, c.DHead, c.DMLP, c.DVocabOut, c.NLayers
	add := func(name string, i int, v float64) { grads[name][i] += v }
	g := zeros(T, D) // dL/d residual stream
	for t := 0; t < T; t++ {
		for j := 0; j < V; j++ {
			add("unembed.b_U", j, dlogits[t][j])
			for d := 0; d < D; d++ {
				add("unembed.W_U", d*V+j, a.x[L][t][d]*dlogits[t][j])
				g[t][d] += r.wU[d][j] * dlogits[t][j]
			}
		}
	}
	for l := L - 1; l >= 0; l-- {
		ly := r.l[l]
		p := "blocks." + itoa(l) + "."
		// MLP.
		gmid := zeros(T, D)
		for t := 0; t < T; t++ {
			copy(gmid[t], g[t])
			for d := 0; d < D; d++ {
				add(p+"mlp.b_out", d, g[t][d])
			}
			for f := 0; f < F; f++ {
				dpost := 0.0
				for d := 0; d < D; d++ {
					add(p+"mlp.W_out", f*D+d, a.post[l][t][f]*g[t][d])
					dpost += ly.wOut[f][d] * g[t][d]
				}
				if a.mlpPatched[l] {
					continue
				}
				var dpre float64
				if a.actFn == "relu" {
					if a.pre[l][t][f] > 0 {
						dpre = dpost
					}
				} else {
					dpre = dpost * refGeluGrad(a.pre[l][t][f])
				}
				add(p+"mlp.b_in", f, dpre)
				for d := 0; d < D; d++ {
					add(p+"mlp.W_in", d*F+f, a.mid[l][t][d]*dpre)
					gmid[t][d] += ly.wIn[d][f] * dpre
				}
			}
		}
		// Attention output.
		gx := zeros(T, D)
		dz := make([][][]float64, T)
		for t := 0; t < T; t++ {
			copy(gx[t], gmid[t])
			dz[t] = zeros(H, dh)
			for d := 0; d < D; d++ {
				add(p+"attn.b_O", d, gmid[t][d])
			}
			for h := 0; h < H; h++ {
				if a.headPatched[l][h] {
					continue
				}
				for e := 0; e < dh; e++ {
					for d := 0; d < D; d++ {
						add(p+"attn.W_O", (h*dh+e)*D+d, a.z[l][t][h][e]*gmid[t][d])
						dz[t][h][e] += ly.wO[h][e][d] * gmid[t][d]
					}
				}
			}
		}
		// Attention pattern and values.
		dq, dk, dv := make([][][]float64, T), make([][][]float64, T), make([][][]float64, T)
		for t := range dq {
			dq[t], dk[t], dv[t] = zeros(H, dh), zeros(H, dh), zeros(H, dh)
		}
		for h := 0; h < H; h++ {
			for i := 0; i < T; i++ {
				dp := make([]float64, T)
				for j := 0; j < T; j++ {
					for e := 0; e < dh; e++ {
						dp[j] += dz[i][h][e] * a.v[l][j][h][e]
						dv[j][h][e] += a.p[l][h][i][j] * dz[i][h][e]
					}
				}
				s := 0.0
				for j := 0; j < T; j++ {
					s += a.p[l][h][i][j] * dp[j]
				}
				for j := 0; j < T; j++ {
					ds := a.p[l][h][i][j] * (dp[j] - s) / a.scale[l]
					for e := 0; e < dh; e++ {
						dq[i][h][e] += ds * a.k[l][j][h][e]
						dk[j][h][e] += ds * a.q[l][i][h][e]
					}
				}
			}
		}
		for t := 0; t < T; t++ {
			for h := 0; h < H; h++ {
				for e := 0; e < dh; e++ {
					add(p+"attn.b_Q", h*dh+e, dq[t][h][e])
					add(p+"attn.b_K", h*dh+e, dk[t][h][e])
					add(p+"attn.b_V", h*dh+e, dv[t][h][e])
					for d := 0; d < D; d++ {
						i := (h*D+d)*dh + e
						add(p+"attn.W_Q", i, a.x[l][t][d]*dq[t][h][e])
						add(p+"attn.W_K", i, a.x[l][t][d]*dk[t][h][e])
						add(p+"attn.W_V", i, a.x[l][t][d]*dv[t][h][e])
						gx[t][d] += ly.wQ[h][d][e]*dq[t][h][e] + ly.wK[h][d][e]*dk[t][h][e] + ly.wV[h][d][e]*dv[t][h][e]
					}
				}
			}
		}
		g = gx
	}
	for t := 0; t < T; t++ {
		for d := 0; d < D; d++ {
			add("embed.W_E", int(a.tokens[t])*D+d, g[t][d])
			add("pos_embed.W_pos", t*D+d, g[t][d])
		}
	}
}

// refRun is the reference for a whole batch: logits [B·T·V] and, given
// dL/dlogits, the gradients (keyed by name).
func refRun(n *Net, tokens []int32, B, T int, patches []Patch, dlogits []float32) ([]float64, map[string][]float64) {
	r := newRefNet(n)
	c := n.cfg
	var rp []refPatch
	for _, p := range patches {
		l, _ := locate(c, p.Node)
		w := p.Node.Width(c)
		v := make([][][]float64, B)
		for b := range v {
			v[b] = mat(p.Values[b*T*w:(b+1)*T*w], T, w)
		}
		rp = append(rp, refPatch{layer: l, head: p.Node.Head, v: v})
	}
	V := c.DVocabOut
	logits := make([]float64, 0, B*T*V)
	grads := map[string][]float64{}
	for _, name := range n.names {
		grads[name] = make([]float64, len(n.param(name)))
	}
	for b := 0; b < B; b++ {
		a := r.forward(tokens[b*T:(b+1)*T], b, rp)
		for t := range a.logits {
			logits = append(logits, a.logits[t]...)
		}
		if dlogits != nil {
			r.backward(a, mat(dlogits[b*T*V:(b+1)*T*V], T, V), grads)
		}
	}
	return logits, grads
}
