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
