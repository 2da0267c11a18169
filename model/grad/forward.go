package grad

import (
	"fmt"
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
	g   geom
	gl  gradLayout
	// The packed weights below are those of Net packedID at parameter
	// version packedVersion (packedID 0: none yet).
	packedID, packedVersion uint64

	// Forward-time weights in the kernels' padded layouts, per layer
	// (…T = transposed, for the backward pass).
	wqkv, wqkvT, bqkv [][]float32 // [D][Sp] (q, k, v of every head side by side), [S][Dp], [Sp]
	wO, wOT, bO       [][]float32 // [HD][Dp], [D][HDp], [Dp]
	wIn, wInT, bIn    [][]float32 // [D][Fp], [F][Dp], [Fp]
	wOut, wOutT, bOut [][]float32 // [F][Dp], [D][Fp], [Dp]
	wU, wUT, bU       []float32   // [D][Vp], [V][Dp], [Vp]
	embed             []float32   // [Vin·NCtx][Dp] W_E[v] + W_pos[t] at row v·NCtx+t (nil when too large; see embedTable)
	qkv0, qkv0Buf     []float32   // [Vin·NCtx][Sp] layer 0's q, k, v of embed's rows (nil without embed or when too large; see qkv0Table)

	// Activations, rows N = B·T, padded widths.
	tok       []int32
	x         [][]float32 // L+1 residual streams [N][Dp]: x[l] = blocks.l.hook_resid_pre, x[L] final
	mid       [][]float32 // [N][Dp] blocks.l.hook_resid_mid
	qkv       []float32   // [N][Sp], the layer being computed (scratch; attention reads qkvL)
	qkvL      [][]float32 // q, k, v in lane layout (attn.go), [lanes][3][H][T][dh] (kept runs; others reuse layer 0's)
	pat       [][]float32 // attention pattern in lane layout, [lanes][H][T][T] (as qkvL)
	zL        []float32   // z in lane layout, [lanes][H][T][dh] (scratch)
	offS      []int       // lanesIn/lanesOut offsets of qkv's S columns, dz's HD
	offHD     []int
	nodeBuf   []float32     // NodeInto's [N][Dp] product
	z         [][]float32   // [N][HDp] (zero for patched heads)
	pre       []float32     // [N][Fp] scratch: a chunk's pre-activation, reused layer to layer
	post      [][]float32   // [N][Fp] per layer
	dact      [][]float32   // [N][Fp] act'(pre), kept runs only
	logitsP   []float32     // [N][Vp]
	logits    []float32     // [N][V]
	headPatch [][][]float32 // copies of the patched heads' values [N][D]
	headOn    [][]bool
	mlpOn     []bool
	mlpPatch  [][]float32 // the caller's MLP patch values, during Forward only
	keep      bool

	// Backward scratch.
	dl, gr, gmid []float32 // [N][Vp], [N][Dp], [N][Dp]
	dpost        []float32 // [N][Fp]
	dz           []float32 // [N][HDp]
	dqkv         []float32 // [N][Sp]
	dzL, dqkvL   []float32 // dz and dq, dk, dv in lane layout (scratch)
	dpL          []float32 // [lanes][T] (scratch)
	parts, total []float32 // per-chunk gradient partials (gradLayout), their sum

	job chunkJob
}

// NewWorkspace returns an empty Workspace; buffers grow on first use.
func NewWorkspace() *Workspace { return &Workspace{} }

// Run is one forward pass: its logits, node activations and (when kept)
// what Backward needs. It points into its Workspace and is valid until the
// next Forward on that Workspace.
type Run struct {
	ws      *Workspace
	net     *Net
	gen     uint64
	B, T    int
	keep    bool
	patched bool   // some node was patched
	version uint64 // the Net's parameter version at Forward
	// from > 0: a ForwardFrom run whose stages below from (2l: layer l's
	// attention, 2l+1: its MLP) are base's (only copied into ws when keep).
	from int
	base *Run
	// until > 0: a ForwardNodes run that stopped before stage until.
	until int
}

// maxChunks is the number of pieces a batch is split into (fewer when B is
// smaller). It does not depend on GOMAXPROCS, so neither do the results.
const maxChunks = 16

func numChunks(B int) int { return min(B, maxChunks) }

// chunkRange returns the batch rows [b0, b1) of chunk c of nc.
func chunkRange(c, nc, B int) (int, int) { return c * B / nc, (c + 1) * B / nc }

// chunkJob is one parallel pass over a batch's chunks (a struct kept in
// the Workspace rather than a closure, so that one goroutine allocates
// nothing).
type chunkJob struct {
	net      *Net
	ws       *Workspace
	B, T, nc int
	backward bool
	from     int        // first stage to run (ForwardFrom; see forwardChunk)
	until    int        // stages < until run (2·n_layers+1: all)
	src      *Workspace // the clean run's Workspace when from > 0
	// zsrc, when set, is a clean run's Workspace whose z of layer from/2
	// the first attention stage takes for its unpatched heads instead of
	// recomputing q, k, v and the attention (ForwardFrom, not kept, the
	// first patched node a head).
	zsrc *Workspace
}

func (j *chunkJob) do(c int) {
	b0, b1 := chunkRange(c, j.nc, j.B)
	if j.backward {
		P := j.ws.gl.size
		j.net.backwardChunk(j.ws, j.ws.parts[c*P:(c+1)*P], c, b0, b1, j.T)
	} else {
		j.net.forwardChunk(j.ws, j.src, j.zsrc, j.from, j.until, c, b0, b1, j.T)
	}
}

// runChunks runs every chunk of j on up to GOMAXPROCS goroutines: the
// caller and the pool's helpers (pool.go), or, when another pass holds
// the pool, goroutines of its own.
func runChunks(j *chunkJob) {
	n := j.nc
	w := min(runtime.GOMAXPROCS(0), n)
	if w <= 1 {
		for c := 0; c < n; c++ {
			j.do(c)
		}
		return
	}
	if !runPooled(j, w-1) {
		runParallel(j, w)
	}
}

// runParallel runs j's chunks on the caller and w-1 new goroutines.
func runParallel(j *chunkJob, w int) {
	n := j.nc
	var next atomic.Int32
	var wg sync.WaitGroup
	work := func() {
		for {
			c := int(next.Add(1)) - 1
			if c >= n {
				return
			}
			j.do(c)
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
// network with the patches applied. keep=false skips what only Backward
// needs (the activation derivative) and makes Backward refuse the run.
func (n *Net) Forward(ws *Workspace, tokens []int32, B, T int, patches []Patch, keep bool) (*Run, error) {
	if err := n.checkTokens(tokens, B, T); err != nil {
		return nil, fmt.Errorf("grad: forward: %w", err)
	}
	if _, err := n.checkPatches(patches, B, T); err != nil {
		return nil, fmt.Errorf("grad: forward: %w", err)
	}
	r := n.run(ws, B, T, patches, keep, 0, nil)
	copy(ws.tok, tokens)
	runChunks(&ws.job)
	clear(ws.mlpPatch) // do not keep the caller's slices
	return r, nil
}

// checkTokens checks a batch of B×T token ids.
func (n *Net) checkTokens(tokens []int32, B, T int) error {
	c := &n.cfg
	if B < 1 || T < 1 || T > c.NCtx {
		return fmt.Errorf("batch %d×%d, want B ≥ 1 and 1 ≤ T ≤ n_ctx = %d", B, T, c.NCtx)
	}
	if len(tokens) != B*T {
		return fmt.Errorf("%d tokens, want B·T = %d·%d = %d", len(tokens), B, T, B*T)
	}
	for i, id := range tokens {
		if id < 0 || int(id) >= c.DVocab {
			return fmt.Errorf("token %d (row %d, position %d) is %d, want an id in [0, %d)", i, i/T, i%T, id, c.DVocab)
		}
	}
	return nil
}

// checkPatches checks patches against the model and a batch of B×T rows
// and returns the first stage a patch changes (2l for a head of layer l,
// 2l+1 for its MLP, 2·n_layers when there are no patches).
func (n *Net) checkPatches(patches []Patch, B, T int) (int, error) {
	c := &n.cfg
	N := B * T
	first := 2 * c.NLayers
	for i, p := range patches {
		l, err := locate(*c, p.Node)
		if err != nil {
			return 0, fmt.Errorf("patch %d: %w", i, err)
		}
		if p.Node.isHead() {
			first = min(first, 2*l)
		} else {
			first = min(first, 2*l+1)
		}
		w := p.Node.Width(*c)
		if len(p.Values) != N*w {
			return 0, fmt.Errorf("patch %d (%s): %d values, want [B,T,width] = [%d,%d,%d] = %d", i, p.Node, len(p.Values), B, T, w, N*w)
		}
		for _, q := range patches[:i] {
			if q.Node == p.Node {
				return 0, fmt.Errorf("node %s is patched twice", p.Node)
			}
		}
	}
	return first, nil
}

// run sizes ws for a batch, packs the weights (unless ws holds them
// already), records the patches and
// sets up the chunk job (the caller fills ws.tok and runs it).
func (n *Net) run(ws *Workspace, B, T int, patches []Patch, keep bool, from int, base *Run) *Run {
	N := B * T
	g := n.geom
	ws.gen++
	ws.g, ws.gl, ws.keep = g, n.gradLayout, keep
	if ws.packedID != n.id || ws.packedVersion != n.version {
		n.prepare(ws)
		ws.packedID, ws.packedVersion = n.id, n.version
	}
	ws.setPatches(n, patches, N)
	if cap(ws.tok) < N {
		ws.tok = make([]int32, N)
	}
	ws.tok = ws.tok[:N]
	ws.x = growAll(ws.x, g.L+1, N*g.Dp)
	ws.mid = growAll(ws.mid, g.L, N*g.Dp)
	ws.qkv = grow(ws.qkv, N*g.Sp)
	nl := lanes(B)
	ws.qkvL = growAll(ws.qkvL, g.L, nl*T*g.S)
	ws.pat = growAll(ws.pat, g.L, nl*g.H*T*T)
	ws.zL = grow(ws.zL, nl*T*g.HD)
	ws.z = growAll(ws.z, g.L, N*g.HDp)
	ws.offS, ws.offHD = laneOffsets(ws.offS, g.S, g.dh, T), laneOffsets(ws.offHD, g.HD, g.dh, T)
	ws.pre = grow(ws.pre, N*g.Fp)
	ws.post = growAll(ws.post, g.L, N*g.Fp)
	if keep {
		ws.dact = growAll(ws.dact, g.L, N*g.Fp)
	}
	ws.logitsP = grow(ws.logitsP, N*g.Vp)
	ws.logits = grow(ws.logits, N*g.V)
	var src *Workspace
	if base != nil {
		src = base.ws
	}
	ws.job = chunkJob{net: n, ws: ws, B: B, T: T, nc: numChunks(B), from: from, until: 2*g.L + 1, src: src}
	return &Run{ws: ws, net: n, gen: ws.gen, B: B, T: T, keep: keep, patched: len(patches) > 0,
		version: n.version, from: from, base: base}
}

// prepare packs the current weights into ws's padded layouts.
func (n *Net) prepare(ws *Workspace) {
	g := n.geom
	L := g.L
	ws.wqkv, ws.wqkvT, ws.bqkv = growAll(ws.wqkv, L, g.D*g.Sp), growAll(ws.wqkvT, L, g.S*g.Dp), growAll(ws.bqkv, L, g.Sp)
	ws.wO, ws.wOT, ws.bO = growAll(ws.wO, L, g.HD*g.Dp), growAll(ws.wOT, L, g.D*g.HDp), growAll(ws.bO, L, g.Dp)
	ws.wIn, ws.wInT, ws.bIn = growAll(ws.wIn, L, g.D*g.Fp), growAll(ws.wInT, L, g.F*g.Dp), growAll(ws.bIn, L, g.Fp)
	ws.wOut, ws.wOutT, ws.bOut = growAll(ws.wOut, L, g.F*g.Dp), growAll(ws.wOutT, L, g.D*g.Fp), growAll(ws.bOut, L, g.Dp)
	for l := range n.layers {
		lo := &n.layers[l]
		wq := ws.wqkv[l]
		clear(wq)
		for s, off := range [3]int{lo.wQ, lo.wK, lo.wV} {
			w := n.data[off : off+g.H*g.D*g.dh]
			for h := 0; h < g.H; h++ {
				for d := 0; d < g.D; d++ {
					copy(wq[d*g.Sp+s*g.HD+h*g.dh:d*g.Sp+s*g.HD+(h+1)*g.dh], w[(h*g.D+d)*g.dh:(h*g.D+d+1)*g.dh])
				}
			}
		}
		packT(ws.wqkvT[l], g.Dp, wq, g.Sp, g.D, g.S)
		packRows(ws.bqkv[l], g.Sp, n.data[lo.bQ:lo.bQ+g.S], 1, g.S) // b_Q, b_K, b_V are adjacent
		wO := n.data[lo.wO : lo.wO+g.HD*g.D]
		packRows(ws.wO[l], g.Dp, wO, g.HD, g.D)
		packT(ws.wOT[l], g.HDp, wO, g.D, g.HD, g.D)
		packRows(ws.bO[l], g.Dp, n.data[lo.bO:lo.bO+g.D], 1, g.D)
		wIn := n.data[lo.wIn : lo.wIn+g.D*g.F]
		packRows(ws.wIn[l], g.Fp, wIn, g.D, g.F)
		packT(ws.wInT[l], g.Dp, wIn, g.F, g.D, g.F)
		packRows(ws.bIn[l], g.Fp, n.data[lo.bIn:lo.bIn+g.F], 1, g.F)
		wOut := n.data[lo.wOut : lo.wOut+g.F*g.D]
		packRows(ws.wOut[l], g.Dp, wOut, g.F, g.D)
		packT(ws.wOutT[l], g.Fp, wOut, g.D, g.F, g.D)
		packRows(ws.bOut[l], g.Dp, n.data[lo.bOut:lo.bOut+g.D], 1, g.D)
	}
	ws.wU, ws.wUT, ws.bU = grow(ws.wU, g.D*g.Vp), grow(ws.wUT, g.V*g.Dp), grow(ws.bU, g.Vp)
	wU := n.data[n.wU : n.wU+g.D*g.V]
	packRows(ws.wU, g.Vp, wU, g.D, g.V)
	packT(ws.wUT, g.Dp, wU, g.V, g.D, g.V)
	packRows(ws.bU, g.Vp, n.data[n.bU:n.bU+g.V], 1, g.V)
	ws.embed = embedTable(ws.embed, g, n.data[n.wE:], n.data[n.wPos:])
	ws.qkv0 = nil
	if useQKV0Table && ws.embed != nil && g.Vin*g.NCtx <= maxQKV0Rows {
		ws.qkv0Buf = qkv0Table(ws.qkv0Buf, g, ws.embed, ws.wqkv[0], ws.bqkv[0])
		ws.qkv0 = ws.qkv0Buf
	}
}

// setPatches records which nodes are patched and copies patched heads'
// values (Node returns them later; MLP patches land in post).
func (ws *Workspace) setPatches(n *Net, patches []Patch, N int) {
	g := n.geom
	if len(ws.headOn) != g.L {
		ws.headOn = make([][]bool, g.L)
		ws.headPatch = make([][][]float32, g.L)
		ws.mlpOn = make([]bool, g.L)
		ws.mlpPatch = make([][]float32, g.L)
	}
	for l := range ws.headOn {
		if len(ws.headOn[l]) != g.H {
			ws.headOn[l] = make([]bool, g.H)
			ws.headPatch[l] = make([][]float32, g.H)
		}
		clear(ws.headOn[l])
	}
	clear(ws.mlpOn)
	clear(ws.mlpPatch)
	for _, p := range patches {
		l, _ := locate(n.cfg, p.Node)
		if p.Node.isHead() {
			ws.headOn[l][p.Node.Head] = true
			ws.headPatch[l][p.Node.Head] = append(grow(ws.headPatch[l][p.Node.Head], 0), p.Values...)
		} else {
			ws.mlpOn[l], ws.mlpPatch[l] = true, p.Values
		}
	}
}

// forwardChunk runs chunk c's batch rows [b0, b1) through the network from stage
// `from` on (stage 2l is layer l's attention, 2l+1 its MLP, 2L the
// unembedding): from 0, the embeddings first; otherwise from src's (a
// clean run of the same tokens) residual stream entering that stage,
// x[l] or mid[l]. It stops before stage until (ForwardNodes).
func (n *Net) forwardChunk(ws, src, zsrc *Workspace, from, until, c, b0, b1, T int) {
	g := ws.g
	D, Dp := g.D, g.Dp
	r0, r1 := b0*T, b1*T
	nr := r1 - r0
	l0 := from / 2
	switch {
	case from%2 == 1:
		copy(ws.mid[l0][r0*Dp:r1*Dp], src.mid[l0][r0*Dp:r1*Dp])
	case from > 0:
		copy(ws.x[l0][r0*Dp:r1*Dp], src.x[l0][r0*Dp:r1*Dp])
	default:
		if ws.embed != nil {
			embedFromTable(ws.x[0][r0*Dp:r1*Dp], Dp, ws.embed, g.NCtx, ws.tok[r0:r1], r0%T, T)
		} else {
			embedRows(ws.x[0][r0*Dp:r1*Dp], Dp, n.data[n.wE:], n.data[n.wPos:], ws.tok[r0:r1], r0%T, T, D)
		}
	}
	for l := l0; l < g.L; l++ {
		mid := ws.mid[l]
		if 2*l >= until {
			return
		}
		switch {
		case 2*l == from && zsrc != nil:
			n.attentionFromClean(ws, zsrc, l, b0, b1, T)
		case 2*l >= from: // else layer l's attention is the clean run's
			n.attentionStage(ws, l, c, b0, b1, T)
		}
		if 2*l+1 >= until {
			return
		}
		// MLP.
		// pre is only read by the activation just below (Backward uses
		// dact and post), so one scratch serves every layer: a chunk's
		// rows of it stay in cache instead of a fresh buffer per layer.
		pre, post, x1 := ws.pre, ws.post[l], ws.x[l+1]
		if ws.mlpOn[l] { // pre = mid·W_in + b_in is not needed
			pv := ws.mlpPatch[l]
			for r := r0; r < r1; r++ {
				o := post[r*g.Fp : (r+1)*g.Fp]
				copy(o, pv[r*g.F:(r+1)*g.F])
				clear(o[g.F:])
			}
		} else {
			sgemmInit(pre[r0*g.Fp:], g.Fp, mid[r0*Dp:], Dp, 1, ws.wIn[l], g.Fp, nr, D, g.Fp, nil, ws.bIn[l])
			var dact []float32
			if ws.keep {
				dact = ws.dact[l][r0*g.Fp : r1*g.Fp]
			}
			if n.cfg.ActFn == "relu" {
				reluRows(post[r0*g.Fp:r1*g.Fp], dact, pre[r0*g.Fp:r1*g.Fp])
			} else {
				geluRows(post[r0*g.Fp:r1*g.Fp], dact, pre[r0*g.Fp:r1*g.Fp])
			}
		}
		// resid_post = resid_mid + b_out + post·W_out
		sgemmInit(x1[r0*Dp:], Dp, post[r0*g.Fp:], g.Fp, 1, ws.wOut[l], Dp, nr, g.F, Dp, mid[r0*Dp:], ws.bOut[l])
	}
	if 2*g.L >= until {
		return
	}
	sgemmInit(ws.logitsP[r0*g.Vp:], g.Vp, ws.x[g.L][r0*Dp:], Dp, 1, ws.wU, g.Vp, nr, D, g.Vp, nil, ws.bU)
	for r := r0; r < r1; r++ {
		copy(ws.logits[r*g.V:(r+1)*g.V], ws.logitsP[r*g.Vp:])
	}
}

// attentionStage computes layer l's attention for chunk c's batch rows [b0, b1):
// qkv, the pattern and z, then resid_mid = resid_pre + b_O + Σ_h result_h
// (patched heads' values added in place of theirs).
func (n *Net) attentionStage(ws *Workspace, l, c, b0, b1, T int) {
	g := ws.g
	D, Dp := g.D, g.Dp
	r0, r1 := b0*T, b1*T
	nr := r1 - r0
	x := ws.x[l]
	// Attention.
	qkv := ws.qkv
	if l == 0 && ws.qkv0 != nil {
		// x[0] holds rows of the embedding table (the stage runs from
		// the tokens), so its q, k, v are rows of qkv0.
		embedFromTable(qkv[r0*g.Sp:r1*g.Sp], g.Sp, ws.qkv0, g.NCtx, ws.tok[r0:r1], r0%T, T)
	} else {
		sgemmInit(qkv[r0*g.Sp:], g.Sp, x[r0*Dp:], Dp, 1, ws.wqkv[l], g.Sp, nr, D, g.Sp, nil, ws.bqkv[l])
	}
	n.attention(ws, l, c, b0, b1, T)
	attentionOut(ws, l, r0, r1)
}

// attentionFromClean is attentionStage for a run that differs from the
// clean run in zsrc only by patched heads of layer l (and above): the
// unpatched heads' z equal the clean run's (the same resid_pre, weights
// and batch rows), so z is copied from there with the patched heads'
// columns zero, as attention leaves them, and only the output product
// runs.
func (n *Net) attentionFromClean(ws, zsrc *Workspace, l, b0, b1, T int) {
	g := ws.g
	r0, r1 := b0*T, b1*T
	z, cz := ws.z[l], zsrc.z[l]
	on := ws.headOn[l]
	for r := r0; r < r1; r++ {
		row := z[r*g.HDp : (r+1)*g.HDp]
		copy(row, cz[r*g.HDp:(r+1)*g.HDp])
		for h, p := range on {
			if p {
				clear(row[h*g.dh : (h+1)*g.dh])
			}
		}
	}
	attentionOut(ws, l, r0, r1)
}

// attentionOut computes resid_mid = resid_pre + b_O + Σ_h result_h for rows
// [r0, r1) from z (patched heads' values added in place of theirs).
func attentionOut(ws *Workspace, l, r0, r1 int) {
	g := ws.g
	D, Dp := g.D, g.Dp
	nr := r1 - r0
	x, mid := ws.x[l], ws.mid[l]
	sgemmInit(mid[r0*Dp:], Dp, ws.z[l][r0*g.HDp:], g.HDp, 1, ws.wO[l], Dp, nr, g.HD, Dp, x[r0*Dp:], ws.bO[l])
	for h, on := range ws.headOn[l] {
		if !on {
			continue
		}
		pv := ws.headPatch[l][h]
		for r := r0; r < r1; r++ {
			m := mid[r*Dp : r*Dp+D]
			for d, v := range pv[r*D : (r+1)*D] {
				m[d] += v
			}
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

// valid reports whether r still owns its Workspace's buffers.
func (r *Run) valid() bool { return r != nil && r.ws != nil && r.gen == r.ws.gen }

// Logits returns the logits [B,T,d_vocab_out]: a view into the Workspace,
// valid until its next Forward (nil when that has happened, and for a
// ForwardNodes run, which does not compute them).
func (r *Run) Logits() []float32 {
	if !r.valid() || r.until > 0 {
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
// have exactly that length (Node without the allocation). A head's
// hook_result is z_h·W_O[h] with the weights of the forward pass (computed
// in a scratch buffer of the run's Workspace, so NodeInto must not run
// concurrently with anything else on that Workspace).
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
	stage := 2*l + 1
	if nd.isHead() {
		stage = 2 * l
	}
	if r.until > 0 && stage >= r.until {
		return fmt.Errorf("grad: node %s: not computed (the ForwardNodes run stopped before it)", nd)
	}
	if stage < r.from && r.base != nil {
		return r.base.NodeInto(dst, nd) // a stage ForwardFrom took from the clean run
	}
	g := r.ws.g
	if !nd.isHead() {
		post := r.ws.post[l]
		for row := 0; row < N; row++ {
			copy(dst[row*g.F:(row+1)*g.F], post[row*g.Fp:])
		}
		return nil
	}
	h := nd.Head
	if r.ws.headOn[l][h] {
		copy(dst, r.ws.headPatch[l][h][:N*g.D])
		return nil
	}
	// hook_result[h] = z[:, h]·W_O[h], through the padded scratch.
	ws := r.ws
	buf := grow(ws.nodeBuf, N*g.Dp)
	ws.nodeBuf = buf
	clear(buf)
	sgemm(buf, g.Dp, ws.z[l][h*g.dh:], g.HDp, 1, ws.wO[l][h*g.dh*g.Dp:], g.Dp, N, g.dh, g.Dp)
	for row := 0; row < N; row++ {
		copy(dst[row*g.D:(row+1)*g.D], buf[row*g.Dp:])
	}
	return nil
}
