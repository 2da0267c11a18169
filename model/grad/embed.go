package grad

// embedRows sets each padded row o of x (stride Dp, one per token of toks)
// to W_E[token] + W_pos[position] in its first D columns and zero in the
// rest; the first token sits at position t0 of rows of T positions. The
// slices are cut to length before the loops so that the element loop has
// no bounds checks: at d_model 12 that bookkeeping, not the additions,
// was the cost.
func embedRows(x []float32, Dp int, wE, wPos []float32, toks []int32, t0, T, D int) {
	t := t0
	for r, tok := range toks {
		o := x[r*Dp : (r+1)*Dp]
		e := wE[int(tok)*D : int(tok)*D+D]
		p := wPos[t*D : t*D+D]
		o, pad := o[:len(e)], o[len(e):]
		p = p[:len(e)]
		for d, v := range e {
			o[d] = v + p[d]
		}
		for d := range pad {
			pad[d] = 0
		}
		if t++; t == T {
			t = 0
		}
	}
}

// maxEmbedTable bounds embedTable's size in floats (256 KB).
const maxEmbedTable = 1 << 16

// embedTable returns tab (reused) holding every sum W_E[v] + W_pos[t] as
// a padded row (stride Dp, zeros past D) at row v·NCtx + t, the same
// float32 additions as embedRows, or nil when the table would exceed
// maxEmbedTable floats. Small vocabularies and contexts (tracr's cases)
// have far fewer such pairs than a batch has tokens, so a forward pass
// copies rows of the table instead of adding.
func embedTable(tab []float32, g geom, wE, wPos []float32) []float32 {
	n := g.Vin * g.NCtx * g.Dp
	if n > maxEmbedTable {
		return nil
	}
	tab = grow(tab, n)
	D := g.D
	for v := 0; v < g.Vin; v++ {
		e := wE[v*D : v*D+D]
		for t := 0; t < g.NCtx; t++ {
			o := tab[(v*g.NCtx+t)*g.Dp : (v*g.NCtx+t+1)*g.Dp]
			p := wPos[t*D : t*D+D]
			for d := range e {
				o[d] = e[d] + p[d]
			}
			clear(o[D:])
		}
	}
	return tab
}

// maxQKV0Rows bounds qkv0Table's rows (token ids × positions): the table
// is made at every parameter version of a Workspace, so it must stay small
// beside a batch's layer-0 product (case 21: 50 rows against 5,120).
const maxQKV0Rows = 512

// useQKV0Table lets the forward pass use qkv0Table (tests turn it off to
// compare with the product on x[0]).
var useQKV0Table = true

// qkv0Table returns tab (reused) holding layer 0's q, k and v (stride Sp,
// as the forward pass's qkv) of every row of embedTable's emb: the same
// product, with the same kernels and bias, that the forward pass runs on
// x[0], whose rows are copies of emb's, so a forward pass from the tokens
// copies rows of it instead (bit for bit the same: each output element is
// one chain of multiply-adds whatever rows a product takes).
func qkv0Table(tab []float32, g geom, emb, wqkv, bqkv []float32) []float32 {
	rows := g.Vin * g.NCtx
	tab = grow(tab, rows*g.Sp)
	sgemmInit(tab, g.Sp, emb, g.Dp, 1, wqkv, g.Sp, rows, g.D, g.Sp, nil, bqkv)
	return tab
}

// embedFromTable is embedRows with the sums taken from embedTable's tab
// (rows of nctx positions per token id); with Dp = Sp it also copies rows
// of qkv0Table.
func embedFromTable(x []float32, Dp int, tab []float32, nctx int, toks []int32, t0, T int) {
	t := t0
	for r, tok := range toks {
		i := (int(tok)*nctx + t) * Dp
		copy(x[r*Dp:(r+1)*Dp], tab[i:i+Dp])
		if t++; t == T {
			t = 0
		}
	}
}
