package siit

// targets caches the HL model's intervened outputs of a fixed list of
// pairs, per HL node, computed on first use: a batch asks for its pairs
// and only the missing ones are run.
type targets struct {
	hl    *HL
	data  *Data
	pairs []Pair
	vals  [][]float32 // [node][pair*T + t]
	done  [][]bool    // [node][pair]
}

func newTargets(hl *HL, d *Data, pairs []Pair) *targets {
	k := len(hl.Nodes())
	return &targets{hl: hl, data: d, pairs: pairs, vals: make([][]float32, k), done: make([][]bool, k)}
}

// get returns node k's targets of the pairs idx, [len(idx), T], in dst.
func (c *targets) get(k int, idx []int, dst []float32) error {
	T := c.data.T
	if c.vals[k] == nil {
		c.vals[k] = make([]float32, len(c.pairs)*T)
		c.done[k] = make([]bool, len(c.pairs))
	}
	var miss []int
	for _, i := range idx {
		if !c.done[k][i] {
			miss = append(miss, i)
		}
	}
	if len(miss) > 0 {
		base := make([]int32, len(miss)*T)
		src := make([]int32, len(miss)*T)
		for j, i := range miss {
			copy(base[j*T:], c.data.Row(int(c.pairs[i].Base)))
			copy(src[j*T:], c.data.Row(int(c.pairs[i].Source)))
		}
		out, err := c.hl.Patched(base, src, len(miss), T, k)
		if err != nil {
			return err
		}
		for j, i := range miss {
			copy(c.vals[k][i*T:(i+1)*T], out[j*T:(j+1)*T])
			c.done[k][i] = true
		}
	}
	for j, i := range idx {
		copy(dst[j*T:(j+1)*T], c.vals[k][i*T:(i+1)*T])
	}
	return nil
}
