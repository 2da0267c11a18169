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

// Backward accumulates into g the gradient of the loss whose gradient with
// respect to the run's logits is dlogits ([B,T,d_vocab_out]). The run must
// come from Forward with keep=true on this Net and still be valid. It uses
// the weights of the forward pass.
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
	ge := ws.g
	B, T := r.B, r.T
	N := B * T
	if len(dlogits) != N*ge.V {
		return fmt.Errorf("grad: backward: dlogits has %d values, want [B,T,d_vocab_out] = [%d,%d,%d] = %d", len(dlogits), B, T, ge.V, N*ge.V)
	}
	ws.dl = grow(ws.dl, N*ge.Vp)
	for row := 0; row < N; row++ {
		d := ws.dl[row*ge.Vp : (row+1)*ge.Vp]
		copy(d, dlogits[row*ge.V:(row+1)*ge.V])
		clear(d[ge.V:])
	}
	ws.gr = grow(ws.gr, N*ge.Dp)
	ws.gmid = grow(ws.gmid, N*ge.Dp)
	ws.dpost = grow(ws.dpost, N*ge.Fp)
	ws.dz = grow(ws.dz, N*ge.HDp)
	ws.dqkv = grow(ws.dqkv, N*ge.Sp)
	nl := lanes(B)
	ws.dzL = grow(ws.dzL, nl*T*ge.HD)
	ws.dqkvL = grow(ws.dqkvL, nl*T*ge.S)
	ws.dpL = grow(ws.dpL, nl*T)
	nc := numChunks(B)
	P := ws.gl.size
	ws.parts = grow(ws.parts, nc*P) // each chunk clears its own partial
	ws.job = chunkJob{net: n, ws: ws, B: B, T: T, nc: nc, backward: true}
	runChunks(&ws.job)
	// Sum the partials in chunk order, then unpack into g.
	tot := grow(ws.total, P)
	ws.total = tot
	copy(tot, ws.parts[:P])
	for ci := 1; ci < nc; ci++ {
		addRows(tot, ws.parts[ci*P:(ci+1)*P])
	}
	n.unpackGrads(g.data, tot, ws.gl)
	// A parameter is reached unless it only feeds patched nodes; torch
	// keeps an existing p.grad, so the flags only ever get set here.
	for i := range g.has {
		g.has[i] = g.has[i] || n.reached(ws, i)
	}
	return nil
}

// unpackGrads adds the padded gradient sums tot into dst (flat parameter
// layout).
func (n *Net) unpackGrads(dst, tot []float32, gl gradLayout) {
	ge := n.geom
	D, Dp := ge.D, ge.Dp
	unpackAdd(dst[n.wE:], D, tot[gl.wE:], Dp, ge.Vin)
	unpackAdd(dst[n.wPos:], D, tot[gl.wPos:], Dp, ge.NCtx)
	for l := range n.layers {
		lo, gp := &n.layers[l], &gl.layers[l]
		packed := tot[gp.wqkv : gp.wqkv+D*ge.Sp]
		for s, off := range [3]int{lo.wQ, lo.wK, lo.wV} {
			for h := 0; h < ge.H; h++ {
				for d := 0; d < D; d++ {
					o := dst[off+(h*D+d)*ge.dh : off+(h*D+d+1)*ge.dh]
					for e, v := range packed[d*ge.Sp+s*ge.HD+h*ge.dh : d*ge.Sp+s*ge.HD+(h+1)*ge.dh] {
						o[e] += v
					}
				}
			}
		}
		unpackAdd(dst[lo.bQ:], ge.S, tot[gp.bqkv:], ge.Sp, 1) // b_Q, b_K, b_V are adjacent
		unpackAdd(dst[lo.wO:], D, tot[gp.wO:], Dp, ge.HD)
		unpackAdd(dst[lo.bO:], D, tot[gp.bO:], Dp, 1)
		unpackAdd(dst[lo.wIn:], ge.F, tot[gp.wIn:], ge.Fp, D)
		unpackAdd(dst[lo.bIn:], ge.F, tot[gp.bIn:], ge.Fp, 1)
		unpackAdd(dst[lo.wOut:], D, tot[gp.wOut:], Dp, ge.F)
		unpackAdd(dst[lo.bOut:], D, tot[gp.bOut:], Dp, 1)
	}
	unpackAdd(dst[n.wU:], ge.V, tot[gl.wU:], ge.Vp, D)
	unpackAdd(dst[n.bU:], ge.V, tot[gl.bU:], ge.Vp, 1)
}

// backwardChunk back-propagates chunk c's batch rows [b0, b1) into the partial gp
// (gradLayout).
func (n *Net) backwardChunk(ws *Workspace, gp []float32, c, b0, b1, T int) {
	ge, gl := ws.g, ws.gl
	D, Dp, Fp := ge.D, ge.Dp, ge.Fp
	r0, r1 := b0*T, b1*T
	nr := r1 - r0
	gr := ws.gr
	clear(gp) // here rather than in Backward: in parallel, and just before use
	// Unembed: logits = x·W_U + b_U.
	dl := ws.dl[r0*ge.Vp:]
	clear(gr[r0*Dp : r1*Dp])
	sgemm(gr[r0*Dp:], Dp, dl, ge.Vp, 1, ws.wUT, Dp, nr, ge.V, Dp)
	sgemm(gp[gl.wU:], ge.Vp, ws.x[ge.L][r0*Dp:], 1, Dp, dl, ge.Vp, D, nr, ge.Vp)
	colSums(gp[gl.bU:], dl, ge.Vp, nr, ge.Vp)
	for l := ge.L - 1; l >= 0; l-- {
		lp := &gl.layers[l]
		g := gr[r0*Dp:]
		// MLP: x1 = mid + post·W_out + b_out, post = act(pre), pre = mid·W_in + b_in.
		mid, post := ws.mid[l][r0*Dp:], ws.post[l][r0*Fp:]
		colSums(gp[lp.bOut:], g, Dp, nr, Dp)
		sgemm(gp[lp.wOut:], Dp, post, 1, Fp, g, Dp, ge.F, nr, Dp)
		gmid := ws.gmid[r0*Dp:]
		copy(gmid[:nr*Dp], g[:nr*Dp])
		if !ws.mlpOn[l] {
			dpost := ws.dpost[r0*Fp : r1*Fp]
			clear(dpost)
			sgemm(dpost, Fp, g, Dp, 1, ws.wOutT[l], Fp, nr, D, Fp)
			mulRows(dpost, ws.dact[l][r0*Fp:r1*Fp])
			colSums(gp[lp.bIn:], dpost, Fp, nr, Fp)
			sgemm(gp[lp.wIn:], Fp, mid, 1, Dp, dpost, Fp, D, nr, Fp)
			sgemm(gmid, Dp, dpost, Fp, 1, ws.wInT[l], Dp, nr, ge.F, Dp)
		}
		// Attention output: mid = x + Σ_h z_h·W_O[h] + b_O (+ patches).
		colSums(gp[lp.bO:], gmid, Dp, nr, Dp)
		sgemm(gp[lp.wO:], Dp, ws.z[l][r0*ge.HDp:], 1, ge.HDp, gmid, Dp, ge.HD, nr, Dp)
		dz := ws.dz[r0*ge.HDp : r1*ge.HDp]
		clear(dz)
		sgemm(dz, ge.HDp, gmid, Dp, 1, ws.wOT[l], ge.HDp, nr, D, ge.HDp)
		n.attentionBackward(ws, l, c, b0, b1, T)
		// qkv = x·W_qkv + b_qkv.
		dqkv := ws.dqkv[r0*ge.Sp:]
		colSums(gp[lp.bqkv:], dqkv, ge.Sp, nr, ge.Sp)
		sgemm(gp[lp.wqkv:], ge.Sp, ws.x[l][r0*Dp:], 1, Dp, dqkv, ge.Sp, D, nr, ge.Sp)
		copy(g[:nr*Dp], gmid[:nr*Dp])
		sgemm(g, Dp, dqkv, ge.Sp, 1, ws.wqkvT[l], Dp, nr, ge.S, Dp)
	}
	// Embeddings.
	gWE, gWPos := gp[gl.wE:], gp[gl.wPos:]
	for r := r0; r < r1; r++ {
		g := gr[r*Dp : r*Dp+D]
		e := gWE[int(ws.tok[r])*Dp : int(ws.tok[r])*Dp+D]
		p := gWPos[(r%T)*Dp : (r%T)*Dp+D]
		for d, v := range g {
			e[d] += v
			p[d] += v
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
			for _, on := range ws.headOn[l] {
				if !on {
					return true
				}
			}
			return false
		case lo.iIn, lo.ibIn:
			return !ws.mlpOn[l]
		}
	}
	return true
}
