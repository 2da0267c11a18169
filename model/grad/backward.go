package grad

import "fmt"

// Grads holds dL/dparams in the parameters' layout, plus, per parameter,
// whether it has a gradient at all (PyTorch's p.grad is not None): a
// parameter that only feeds patched nodes gets none, and Adam and
// ClipGradNorm skip it as torch does.
type Grads struct {
	net  *Net
	data []float32
	has  []bool
}

// NewGrads returns zero gradients for n's parameters, none of them set.
func (n *Net) NewGrads() *Grads {
	return &Grads{net: n, data: make([]float32, len(n.data)), has: make([]bool, len(n.names))}
}

// Zero sets every gradient to zero and keeps which parameters have one
// (torch's zero_grad(set_to_none=False), the default of torch 1.x).
func (g *Grads) Zero() { clear(g.data) }

// Reset sets every gradient to zero and marks every parameter as having
// none (torch's zero_grad(set_to_none=True), the default of torch 2.x).
func (g *Grads) Reset() {
	clear(g.data)
	clear(g.has)
}

// Get returns the named gradient (a view, TransformerLens layout), or nil
// for an unknown name.
func (g *Grads) Get(name string) []float32 {
	o, ok := g.net.off[name]
	if !ok {
		return nil
	}
	return g.data[o : o+len(g.net.param(name))]
}

// Has reports whether the named parameter has a gradient (see Grads).
func (g *Grads) Has(name string) bool {
	for i, n := range g.net.names {
		if n == name {
			return g.has[i]
		}
	}
	return false
}

// partLen is the length of one chunk's gradient partial: the flat
// parameter layout followed by each layer's packed W_Q/W_K/W_V gradient
// [D][3·H·d_head] (the TransformerLens W_Q/W_K/W_V regions stay zero
// until the partials are reduced).
func (n *Net) partLen() int {
	c := &n.cfg
	return len(n.data) + c.NLayers*c.DModel*3*c.NHeads*c.DHead
}

// Backward accumulates into g the gradient of the loss whose gradient with
// respect to the run's logits is dlogits ([B,T,d_vocab_out]). The run must
// come from Forward with keep=true on this Net, still be valid, and the
// weights must not have changed since.
func (n *Net) Backward(ws *Workspace, r *Run, dlogits []float32, g *Grads) error {
	switch {
	case r == nil || r.net != n:
		return fmt.Errorf("grad: backward: the run is not from this Net")
	case r.ws != ws:
		return fmt.Errorf("grad: backward: the run is from another Workspace")
	case !r.valid():
		return fmt.Errorf("grad: backward: the run is stale (its Workspace ran another Forward)")
	case !r.keep:
		return fmt.Errorf("grad: backward: the run was made with keep=false")
	case g == nil || g.net != n:
		return fmt.Errorf("grad: backward: the Grads are not from this Net")
	}
	c := &n.cfg
	B, T := r.B, r.T
	N := B * T
	if len(dlogits) != N*c.DVocabOut {
		return fmt.Errorf("grad: backward: dlogits has %d values, want [B,T,d_vocab_out] = [%d,%d,%d] = %d", len(dlogits), B, T, c.DVocabOut, N*c.DVocabOut)
	}
	D, H, dh, F := c.DModel, c.NHeads, c.DHead, c.DMLP
	S := 3 * H * dh
	ws.g = grow(ws.g, N*D)
	ws.gmid = grow(ws.gmid, N*D)
	ws.dqkv = grow(ws.dqkv, N*S)
	ws.dz = grow(ws.dz, N*H*dh)
	ws.dpost = grow(ws.dpost, N*F)
	nc := numChunks(B)
	P := n.partLen()
	ws.parts = grow(ws.parts, nc*P)
	clear(ws.parts)
	runChunks(nc, func(ci int) {
		b0, b1 := chunkRange(ci, nc, B)
		n.backwardChunk(ws, dlogits, ws.parts[ci*P:(ci+1)*P], b0, b1, T)
	})
	// Sum the partials in chunk order, then unpack W_Q/W_K/W_V.
	tot := grow(ws.total, P)
	ws.total = tot
	copy(tot, ws.parts[:P])
	for ci := 1; ci < nc; ci++ {
		p := ws.parts[ci*P : (ci+1)*P]
		for i, v := range p {
			tot[i] += v
		}
	}
	for l := range n.layers {
		lo := &n.layers[l]
		packed := tot[len(n.data)+l*D*S : len(n.data)+(l+1)*D*S]
		for s, off := range [3]int{lo.wQ, lo.wK, lo.wV} {
			for h := 0; h < H; h++ {
				for d := 0; d < D; d++ {
					copy(tot[off+(h*D+d)*dh:off+(h*D+d+1)*dh], packed[d*S+s*H*dh+h*dh:d*S+s*H*dh+(h+1)*dh])
				}
			}
		}
	}
	for i, v := range tot[:len(n.data)] {
		g.data[i] += v
	}
	// A parameter is reached unless it only feeds patched nodes; torch
	// keeps an existing p.grad, so the flags only ever get set here.
	for i := range g.has {
		g.has[i] = g.has[i] || n.reached(ws, i)
	}
	return nil
}

// backwardChunk back-propagates batch rows [b0, b1) into the partial gp.
func (n *Net) backwardChunk(ws *Workspace, dlogits, gp []float32, b0, b1, T int) {
	c := &n.cfg
	D, V, F := c.DModel, c.DVocabOut, c.DMLP
	r0, r1 := b0*T, b1*T
	L := len(n.layers)
	g := ws.g
	// Unembed: logits = x·W_U + b_U.
	xf := ws.x[L]
	wU := n.data[n.wU : n.wU+D*V]
	gWU, gbU := gp[n.wU:n.wU+D*V], gp[n.bU:n.bU+V]
	for r := r0; r < r1; r++ {
		dl := dlogits[r*V : (r+1)*V]
		xr := xf[r*D : (r+1)*D]
		gr := g[r*D : (r+1)*D]
		for j, v := range dl {
			gbU[j] += v
		}
		for d, xv := range xr {
			wr := wU[d*V : (d+1)*V]
			gw := gWU[d*V : (d+1)*V]
			var a float32
			for j, v := range dl {
				a += wr[j] * v
				gw[j] += xv * v
			}
			gr[d] = a
		}
	}
	for l := L - 1; l >= 0; l-- {
		lo := &n.layers[l]
		// MLP: x1 = mid + post·W_out + b_out, post = act(pre), pre = mid·W_in + b_in.
		mid, pre, post := ws.mid[l], ws.pre[l], ws.post[l]
		wIn, wOut := n.data[lo.wIn:lo.wIn+D*F], n.data[lo.wOut:lo.wOut+F*D]
		gWIn, gbIn := gp[lo.wIn:lo.wIn+D*F], gp[lo.bIn:lo.bIn+F]
		gWOut, gbOut := gp[lo.wOut:lo.wOut+F*D], gp[lo.bOut:lo.bOut+D]
		patched := ws.mlpPatch[l] != nil
		for r := r0; r < r1; r++ {
			gr := g[r*D : (r+1)*D]
			for d, v := range gr {
				gbOut[d] += v
			}
			pr := post[r*F : (r+1)*F]
			dp := ws.dpost[r*F : (r+1)*F]
			for f, pv := range pr {
				w := wOut[f*D : (f+1)*D]
				gw := gWOut[f*D : (f+1)*D]
				var a float32
				for d, v := range gr {
					a += w[d] * v
					gw[d] += pv * v
				}
				dp[f] = a
			}
			gm := ws.gmid[r*D : (r+1)*D]
			copy(gm, gr)
			if patched {
				continue
			}
			actGrad(dp, pre[r*F:(r+1)*F], c.ActFn)
			for f, v := range dp {
				gbIn[f] += v
			}
			mr := mid[r*D : (r+1)*D]
			for d, mv := range mr {
				w := wIn[d*F : (d+1)*F]
				gw := gWIn[d*F : (d+1)*F]
				var a float32
				for f, v := range dp {
					a += w[f] * v
					gw[f] += mv * v
				}
				gm[d] += a
			}
		}
		n.attnBackward(ws, gp, l, b0, b1, T)
	}
	// Embeddings.
	gWE, gWPos := gp[n.wE:], gp[n.wPos:]
	for r := r0; r < r1; r++ {
		gr := g[r*D : (r+1)*D]
		e := gWE[int(ws.tok[r])*D : int(ws.tok[r]+1)*D]
		p := gWPos[(r%T)*D : (r%T+1)*D]
		for d, v := range gr {
			e[d] += v
			p[d] += v
		}
	}
}

// attnBackward back-propagates ws.gmid (dL/d resid_mid) of layer l through
// the attention of batch rows [b0, b1) into ws.g (dL/d resid_pre) and gp.
func (n *Net) attnBackward(ws *Workspace, gp []float32, l, b0, b1, T int) {
	c := &n.cfg
	lo := &n.layers[l]
	D, H, dh := c.DModel, c.NHeads, c.DHead
	S, HD := 3*H*dh, H*dh
	r0, r1 := b0*T, b1*T
	x, qkv, pat, z := ws.x[l], ws.qkv[l], ws.pat[l], ws.z[l]
	patches := ws.headPatch[l]
	wO := n.data[lo.wO : lo.wO+H*dh*D]
	gWO, gbO := gp[lo.wO:lo.wO+H*dh*D], gp[lo.bO:lo.bO+D]
	// attn_out = Σ_h z_h·W_O[h] + b_O (patched heads are constants).
	for r := r0; r < r1; r++ {
		gm := ws.gmid[r*D : (r+1)*D]
		for d, v := range gm {
			gbO[d] += v
		}
		for h := 0; h < H; h++ {
			dz := ws.dz[r*HD+h*dh : r*HD+(h+1)*dh]
			if patches[h] != nil {
				clear(dz)
				continue
			}
			for e, zv := range z[r*HD+h*dh : r*HD+(h+1)*dh] {
				w := wO[(h*dh+e)*D : (h*dh+e+1)*D]
				gw := gWO[(h*dh+e)*D : (h*dh+e+1)*D]
				var a float32
				for d, v := range gm {
					a += w[d] * v
					gw[d] += zv * v
				}
				dz[e] = a
			}
		}
	}
	// Attention: z_i = Σ_j p_ij v_j, p_i = softmax(q_i·k_j / scale).
	dqkv := ws.dqkv
	clear(dqkv[r0*S : r1*S])
	scale := float32(n.attnScale(l))
	causal := c.AttentionDir == "causal"
	var dpBuf [64]float32
	dp := dpBuf[:0]
	if T > len(dpBuf) {
		dp = make([]float32, T)
	}
	dp = dp[:T]
	for b := b0; b < b1; b++ {
		rb := b * T
		for h := 0; h < H; h++ {
			if patches[h] != nil {
				continue
			}
			for i := 0; i < T; i++ {
				jn := T
				if causal {
					jn = i + 1
				}
				dzi := ws.dz[(rb+i)*HD+h*dh : (rb+i)*HD+(h+1)*dh]
				prow := pat[((b*H+h)*T+i)*T : ((b*H+h)*T+i+1)*T]
				var s float32
				for j := 0; j < jn; j++ {
					o := (rb+j)*S + 2*HD + h*dh
					vj, dvj := qkv[o:o+dh], dqkv[o:o+dh]
					var a float32
					p := prow[j]
					for e, dv := range dzi {
						a += dv * vj[e]
						dvj[e] += p * dv
					}
					dp[j] = a
					s += p * a
				}
				qo := (rb+i)*S + h*dh
				qi, dqi := qkv[qo:qo+dh], dqkv[qo:qo+dh]
				for j := 0; j < jn; j++ {
					ds := prow[j] * (dp[j] - s) / scale
					ko := (rb+j)*S + HD + h*dh
					kj, dkj := qkv[ko:ko+dh], dqkv[ko:ko+dh]
					for e := range dqi {
						dqi[e] += ds * kj[e]
						dkj[e] += ds * qi[e]
					}
				}
			}
		}
	}
	// qkv = x·Wqkv + bqkv.
	wq := ws.wqkv[l]
	P := len(n.data)
	gW := gp[P+l*D*S : P+(l+1)*D*S]
	gb := gp[lo.bQ : lo.bQ+S]
	for r := r0; r < r1; r++ {
		dr := dqkv[r*S : (r+1)*S]
		for j, v := range dr {
			gb[j] += v
		}
		xr := x[r*D : (r+1)*D]
		gm := ws.gmid[r*D : (r+1)*D]
		gr := ws.g[r*D : (r+1)*D]
		for d, xv := range xr {
			w := wq[d*S : (d+1)*S]
			gw := gW[d*S : (d+1)*S]
			var a float32
			for j, v := range dr {
				a += w[j] * v
				gw[j] += xv * v
			}
			gr[d] = gm[d] + a
		}
	}
}

// reached reports whether parameter i gets a gradient from the run in ws:
// all do except a layer's Q/K/V/O weights and biases when every head of the
// layer is patched (b_O still does), and W_in/b_in of a patched MLP.
func (n *Net) reached(ws *Workspace, i int) bool {
	for l := range n.layers {
		lo := &n.layers[l]
		switch i {
		case lo.iQ, lo.iK, lo.iV, lo.iO, lo.ibQ, lo.ibK, lo.ibV:
			for _, p := range ws.headPatch[l] {
				if p == nil {
					return true
				}
			}
			return false
		case lo.iIn, lo.ibIn:
			return ws.mlpPatch[l] == nil
		}
	}
	return true
}
