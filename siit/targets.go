package siit

// targets caches the HL model's intervened outputs of a fixed list of
// pairs, per HL node, computed for every pair the first time a batch asks
// for that node (the HL model then stays out of the later epochs).
type targets struct {
	hl    *HL
	data  *Data
	pairs []Pair
	vals  [][]float32 // [node][pair*T + t], nil until first asked for
}

func newTargets(hl *HL, d *Data, pairs []Pair) *targets {
	k := len(hl.Nodes())
	return &targets{hl: hl, data: d, pairs: pairs, vals: make([][]float32, k)}
}

// get returns node k's targets of the pairs idx, [len(idx), T], in dst.
// The first request for node k runs the HL model on every pair at once,
// so that later epochs only copy.
func (c *targets) get(k int, idx []int, dst []float32) error {
	T := c.data.T
	if c.vals[k] == nil {
		n := len(c.pairs)
		base := make([]int32, n*T)
		src := make([]int32, n*T)
		for i, p := range c.pairs {
			copy(base[i*T:], c.data.Row(int(p.Base)))
			copy(src[i*T:], c.data.Row(int(p.Source)))
		}
		out, err := c.hl.Patched(base, src, n, T, k)
		if err != nil {
			return err
		}
		c.vals[k] = out
	}
	for j, i := range idx {
		copy(dst[j*T:(j+1)*T], c.vals[k][i*T:(i+1)*T])
	}
	return nil
}
