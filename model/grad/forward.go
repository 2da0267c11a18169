package grad

import (
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
)

// Patch replaces a node's activation at every position of the batch with
// Values ([B,T,width], row-major). The patched value is a constant: no
// gradient flows into what would have computed it.
type Patch struct {
	Node   Node
	Values []float32
}

// Workspace holds the buffers of Forward and Backward, reused from call to
// call so that steady-state training allocates nothing. A Run's
// activations live in its Workspace: a Run is valid until the next Forward
// on the same Workspace. A Workspace is not safe for concurrent use; use
// one per goroutine (or two, to keep a source run alive while running the
// base).
type Workspace struct {
	gen uint64

	// Forward-time weights packed for the kernels, per layer.
	wqkv [][]float32 // [D][3·H·d_head]: row d holds W_Q[:,d,:], W_K[:,d,:], W_V[:,d,:]
	bqkv [][]float32 // [3·H·d_head]

	tok       []int32
	x         [][]float32 // L+1 residual streams [N,D]: x[l] = blocks.l.hook_resid_pre, x[L] final
	mid       [][]float32 // [N,D] blocks.l.hook_resid_mid
	qkv       [][]float32 // [N, 3·H·d_head]
	pat       [][]float32 // [B,H,T,T] attention pattern
	z         [][]float32 // [N,H,d_head]
	res       [][]float32 // [N,H,D] hook_result (patched values included)
	pre, post [][]float32 // [N,F]
	logits    []float32   // [N,V]
	headPatch [][][]float32
	mlpPatch  [][]float32

	// Backward scratch.
	g, gmid []float32 // [N,D]
	dqkv    []float32 // [N, 3·H·d_head]
	dz      []float32 // [N,H,d_head]
	dpost   []float32 // [N,F]
	parts   []float32 // per-chunk parameter-gradient partials
	total   []float32
}

// NewWorkspace returns an empty Workspace; buffers grow on first use.
func NewWorkspace() *Workspace { return &Workspace{} }

// Run is one forward pass: its logits, node activations and (when kept)
// what Backward needs. It points into its Workspace and is valid until the
// next Forward on that Workspace.
type Run struct {
	ws   *Workspace
	net  *Net
	gen  uint64
	B, T int
	keep bool
}

// maxChunks is the number of pieces a batch is split into (fewer when B is
// smaller). It does not depend on GOMAXPROCS, so neither do the results.
const maxChunks = 16

func numChunks(B int) int { return min(B, maxChunks) }

// chunkRange returns the batch rows [b0, b1) of chunk c of nc.
func chunkRange(c, nc, B int) (int, int) { return c * B / nc, (c + 1) * B / nc }

// runChunks calls fn(c) for c in [0, n) on up to GOMAXPROCS goroutines.
func runChunks(n int, fn func(c int)) {
	w := min(runtime.GOMAXPROCS(0), n)
	if w <= 1 {
		for c := 0; c < n; c++ {
			fn(c)
		}
		return
	}
	var next atomic.Int32
	var wg sync.WaitGroup
	work := func() {
		for {
			c := int(next.Add(1)) - 1
			if c >= n {
				return
			}
			fn(c)
		}
	}
	wg.Add(w - 1)
	for i := 1; i < w; i++ {
		go func() {
			defer wg.Done()
			work()
		}()
	}
	work()
	wg.Wait()
}

// grow returns buf with length n, reallocating only when its capacity is
// too small.
func grow(buf []float32, n int) []float32 {
	if cap(buf) < n {
		return make([]float32, n)
	}
	return buf[:n]
}

func growAll(bufs [][]float32, count, n int) [][]float32 {
	if len(bufs) != count {
		bufs = make([][]float32, count)
	}
	for i := range bufs {
		bufs[i] = grow(bufs[i], n)
	}
	return bufs
}

// Forward runs tokens (row-major [B·T], ids in [0, d_vocab)) through the
// network with the patches applied. keep=false marks the run as not
// differentiable (Backward refuses it); the work done is the same.
func (n *Net) Forward(ws *Workspace, tokens []int32, B, T int, patches []Patch, keep bool) (*Run, error) {
	c := &n.cfg
	if B < 1 || T < 1 || T > c.NCtx {
		return nil, fmt.Errorf("grad: forward: batch %d×%d, want B ≥ 1 and 1 ≤ T ≤ n_ctx = %d", B, T, c.NCtx)
	}
	if len(tokens) != B*T {
		return nil, fmt.Errorf("grad: forward: %d tokens, want B·T = %d·%d = %d", len(tokens), B, T, B*T)
	}
	for i, id := range tokens {
		if id < 0 || int(id) >= c.DVocab {
			return nil, fmt.Errorf("grad: forward: token %d (row %d, position %d) is %d, want an id in [0, %d)", i, i/T, i%T, id, c.DVocab)
		}
	}
	L, H, D, dh, F := c.NLayers, c.NHeads, c.DModel, c.DHead, c.DMLP
	N := B * T
	if len(ws.headPatch) != L {
		ws.headPatch = make([][][]float32, L)
		ws.mlpPatch = make([][]float32, L)
	}
	for l := range ws.headPatch {
		if len(ws.headPatch[l]) != H {
			ws.headPatch[l] = make([][]float32, H)
		}
		clear(ws.headPatch[l])
	}
	clear(ws.mlpPatch)
	for i, p := range patches {
		l, err := locate(*c, p.Node)
		if err != nil {
			return nil, fmt.Errorf("grad: forward: patch %d: %w", i, err)
		}
		w := p.Node.Width(*c)
		if len(p.Values) != N*w {
			return nil, fmt.Errorf("grad: forward: patch %d (%s): %d values, want [B,T,width] = [%d,%d,%d] = %d", i, p.Node, len(p.Values), B, T, w, N*w)
		}
		slot := &ws.mlpPatch[l]
		if p.Node.isHead() {
			slot = &ws.headPatch[l][p.Node.Head]
		}
		if *slot != nil {
			return nil, fmt.Errorf("grad: forward: node %s is patched twice", p.Node)
		}
		*slot = p.Values
	}
	S := 3 * H * dh
	ws.gen++
	ws.wqkv = growAll(ws.wqkv, L, D*S)
	ws.bqkv = growAll(ws.bqkv, L, S)
	for l := range n.layers {
		lo := &n.layers[l]
		wq := ws.wqkv[l]
		for s, off := range [3]int{lo.wQ, lo.wK, lo.wV} {
			w := n.data[off : off+H*D*dh]
			for h := 0; h < H; h++ {
				for d := 0; d < D; d++ {
					copy(wq[d*S+s*H*dh+h*dh:d*S+s*H*dh+(h+1)*dh], w[(h*D+d)*dh:(h*D+d+1)*dh])
				}
			}
		}
		copy(ws.bqkv[l], n.data[lo.bQ:lo.bQ+S]) // b_Q, b_K, b_V are adjacent
	}
	if cap(ws.tok) < N {
		ws.tok = make([]int32, N)
	}
	ws.tok = ws.tok[:N]
	copy(ws.tok, tokens)
	ws.x = growAll(ws.x, L+1, N*D)
	ws.mid = growAll(ws.mid, L, N*D)
	ws.qkv = growAll(ws.qkv, L, N*S)
	ws.pat = growAll(ws.pat, L, B*H*T*T)
	ws.z = growAll(ws.z, L, N*H*dh)
	ws.res = growAll(ws.res, L, N*H*D)
	ws.pre = growAll(ws.pre, L, N*F)
	ws.post = growAll(ws.post, L, N*F)
	ws.logits = grow(ws.logits, N*c.DVocabOut)
	nc := numChunks(B)
	runChunks(nc, func(ci int) {
		b0, b1 := chunkRange(ci, nc, B)
		n.forwardChunk(ws, b0, b1, T)
	})
	return &Run{ws: ws, net: n, gen: ws.gen, B: B, T: T, keep: keep}, nil
}

// forwardChunk runs batch rows [b0, b1) through every layer.
func (n *Net) forwardChunk(ws *Workspace, b0, b1, T int) {
	c := &n.cfg
	D, V := c.DModel, c.DVocabOut
	r0, r1 := b0*T, b1*T
	x := ws.x[0]
	wE, wPos := n.data[n.wE:], n.data[n.wPos:]
	for r := r0; r < r1; r++ {
		e := wE[int(ws.tok[r])*D : int(ws.tok[r]+1)*D]
		p := wPos[(r%T)*D : (r%T+1)*D]
		o := x[r*D : (r+1)*D]
		for d := range o {
			o[d] = e[d] + p[d]
		}
	}
	for l := range n.layers {
		n.attnForward(ws, l, b0, b1, T)
		n.mlpForward(ws, l, r0, r1)
	}
	xf := ws.x[len(n.layers)]
	affineRows(ws.logits[r0*V:r1*V], xf[r0*D:r1*D], n.data[n.wU:n.wU+D*V], n.data[n.bU:n.bU+V], r1-r0, D, V)
}

// affineRows computes out[r,:] = b + Σ_i x[r,i]·w[i,:] for rows rows
// (w is [in, od] row-major).
func affineRows(out, x, w, b []float32, rows, in, od int) {
	for r := 0; r < rows; r++ {
		o := out[r*od : (r+1)*od]
		copy(o, b[:od])
		for i, xv := range x[r*in : (r+1)*in] {
			wr := w[i*od : (i+1)*od]
			for j := range o {
				o[j] += xv * wr[j]
			}
		}
	}
}

// attnForward computes layer l's attention for batch rows [b0, b1): q, k,
// v, the pattern, z, every head's result (or its patch) and resid_mid.
func (n *Net) attnForward(ws *Workspace, l, b0, b1, T int) {
	c := &n.cfg
	lo := &n.layers[l]
	D, H, dh := c.DModel, c.NHeads, c.DHead
	S, HD := 3*H*dh, H*dh
	r0, r1 := b0*T, b1*T
	x, qkv, pat, z, res, mid := ws.x[l], ws.qkv[l], ws.pat[l], ws.z[l], ws.res[l], ws.mid[l]
	affineRows(qkv[r0*S:r1*S], x[r0*D:r1*D], ws.wqkv[l], ws.bqkv[l], r1-r0, D, S)
	scale := float32(n.attnScale(l))
	causal := c.AttentionDir == "causal"
	patches := ws.headPatch[l]
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
				qi := qkv[(rb+i)*S+h*dh : (rb+i)*S+(h+1)*dh]
				prow := pat[((b*H+h)*T+i)*T : ((b*H+h)*T+i+1)*T]
				mx := float32(math.Inf(-1))
				for j := 0; j < jn; j++ {
					kj := qkv[(rb+j)*S+HD+h*dh : (rb+j)*S+HD+(h+1)*dh]
					var s float32
					for e, qv := range qi {
						s += qv * kj[e]
					}
					s /= scale
					prow[j] = s
					mx = max(mx, s)
				}
				softmaxRow(prow[:jn], mx)
				clear(prow[jn:])
				zi := z[(rb+i)*HD+h*dh : (rb+i)*HD+(h+1)*dh]
				clear(zi)
				for j, p := range prow[:jn] {
					vj := qkv[(rb+j)*S+2*HD+h*dh : (rb+j)*S+2*HD+(h+1)*dh]
					for e := range zi {
						zi[e] += p * vj[e]
					}
				}
			}
		}
	}
	wO := n.data[lo.wO : lo.wO+H*dh*D]
	bO := n.data[lo.bO : lo.bO+D]
	for r := r0; r < r1; r++ {
		for h := 0; h < H; h++ {
			o := res[(r*H+h)*D : (r*H+h+1)*D]
			if p := patches[h]; p != nil {
				copy(o, p[r*D:(r+1)*D])
				continue
			}
			clear(o)
			for e, zv := range z[r*HD+h*dh : r*HD+(h+1)*dh] {
				w := wO[(h*dh+e)*D : (h*dh+e+1)*D]
				for d := range o {
					o[d] += zv * w[d]
				}
			}
		}
		m := mid[r*D : (r+1)*D]
		xr := x[r*D : (r+1)*D]
		for d := range m {
			var a float32
			for h := 0; h < H; h++ {
				a += res[(r*H+h)*D+d]
			}
			m[d] = xr[d] + (a + bO[d])
		}
	}
}

// attnScale is layer l's divisor of the attention scores.
func (n *Net) attnScale(l int) float64 {
	s := n.cfg.AttnScale
	if n.cfg.ScaleAttnByInverseLayerIdx {
		s *= float64(l + 1)
	}
	return s
}

// softmaxRow replaces row (whose maximum is mx) by its softmax.
func softmaxRow(row []float32, mx float32) {
	var sum float32
	for j, s := range row {
		e := float32(math.Exp(float64(s - mx)))
		row[j] = e
		sum += e
	}
	for j := range row {
		row[j] /= sum
	}
}

// mlpForward computes layer l's MLP for rows [r0, r1): pre, post (or its
// patch) and the next residual stream.
func (n *Net) mlpForward(ws *Workspace, l, r0, r1 int) {
	c := &n.cfg
	lo := &n.layers[l]
	D, F := c.DModel, c.DMLP
	mid, pre, post, x1 := ws.mid[l], ws.pre[l], ws.post[l], ws.x[l+1]
	affineRows(pre[r0*F:r1*F], mid[r0*D:r1*D], n.data[lo.wIn:lo.wIn+D*F], n.data[lo.bIn:lo.bIn+F], r1-r0, D, F)
	if p := ws.mlpPatch[l]; p != nil {
		copy(post[r0*F:r1*F], p[r0*F:r1*F])
	} else {
		activate(post[r0*F:r1*F], pre[r0*F:r1*F], c.ActFn)
	}
	affineRows(x1[r0*D:r1*D], post[r0*F:r1*F], n.data[lo.wOut:lo.wOut+F*D], n.data[lo.bOut:lo.bOut+D], r1-r0, F, D)
	for i := r0 * D; i < r1*D; i++ {
		x1[i] += mid[i]
	}
}

// activate applies act_fn ("gelu" = exact erf GELU, or "relu").
func activate(dst, src []float32, fn string) {
	dst = dst[:len(src)]
	if fn == "relu" {
		for i, v := range src {
			dst[i] = max(v, 0)
		}
		return
	}
	for i, v := range src {
		x := float64(v)
		dst[i] = float32(0.5 * x * (1 + math.Erf(x/math.Sqrt2)))
	}
}

// actGrad multiplies dpost by act_fn'(pre) in place.
func actGrad(dpost, pre []float32, fn string) {
	dpost = dpost[:len(pre)]
	if fn == "relu" {
		for i, v := range pre {
			if !(v > 0) {
				dpost[i] = 0
			}
		}
		return
	}
	for i, v := range pre {
		x := float64(v)
		d := 0.5*(1+math.Erf(x/math.Sqrt2)) + x*math.Exp(-0.5*x*x)/math.Sqrt(2*math.Pi)
		dpost[i] = float32(float64(dpost[i]) * d)
	}
}

// valid reports whether r still owns its Workspace's buffers.
func (r *Run) valid() bool { return r != nil && r.ws != nil && r.gen == r.ws.gen }

// Logits returns the logits [B,T,d_vocab_out]: a view into the Workspace,
// valid until its next Forward (nil when that has happened).
func (r *Run) Logits() []float32 {
	if !r.valid() {
		return nil
	}
	return r.ws.logits[:r.B*r.T*r.net.cfg.DVocabOut]
}

// Node returns a copy of the node's activation [B,T,width] in this run
// (for a patched node, the patch values). It returns nil when the node is
// not in the model or the run is no longer valid.
func (r *Run) Node(nd Node) []float32 {
	if !r.valid() {
		return nil
	}
	out := make([]float32, r.B*r.T*nd.Width(r.net.cfg))
	if err := r.NodeInto(out, nd); err != nil {
		return nil
	}
	return out
}

// NodeInto copies the node's activation [B,T,width] into dst, which must
// have exactly that length (Node without the allocation).
func (r *Run) NodeInto(dst []float32, nd Node) error {
	if !r.valid() {
		return fmt.Errorf("grad: run is stale (its Workspace ran another Forward)")
	}
	c := r.net.cfg
	l, err := locate(c, nd)
	if err != nil {
		return fmt.Errorf("grad: %w", err)
	}
	N, w := r.B*r.T, nd.Width(c)
	if len(dst) != N*w {
		return fmt.Errorf("grad: node %s: dst has %d values, want [B,T,width] = %d", nd, len(dst), N*w)
	}
	if !nd.isHead() {
		copy(dst, r.ws.post[l][:N*w])
		return nil
	}
	H, D, h := c.NHeads, c.DModel, nd.Head
	res := r.ws.res[l]
	for row := 0; row < N; row++ {
		copy(dst[row*D:(row+1)*D], res[(row*H+h)*D:(row*H+h+1)*D])
	}
	return nil
}
