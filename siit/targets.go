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

// fill computes every node's targets of the pairs idx that miss any, all
// nodes in one pass (HL.PatchedNodes shares the source and base runs
// between them): for a pair list whose every node is needed (validation).
func (c *targets) fill(idx []int) error {
	T, K := c.data.T, len(c.vals)
	for k := range K {
		c.alloc(k)
	}
	var miss []int
	for _, i := range idx {
		for k := range K {
			if !c.done[k][i] {
				miss = append(miss, i)
				break
			}
		}
	}
	if len(miss) == 0 {
		return nil
	}
	ks := make([]int, K)
	for k := range ks {
		ks[k] = k
	}
	base, src := c.rows(miss)
	out, err := c.hl.PatchedNodes(base, src, len(miss), T, ks)
	if err != nil {
		return err
	}
	for k := range K {
		c.store(k, miss, out[k])
	}
	return nil
}

// alloc makes node k's cache.
func (c *targets) alloc(k int) {
	if c.vals[k] == nil {
		c.vals[k] = make([]float32, len(c.pairs)*c.data.T)
		c.done[k] = make([]bool, len(c.pairs))
	}
}

// rows returns the base and source rows of the pairs idx.
func (c *targets) rows(idx []int) (base, src []int32) {
	T := c.data.T
	base = make([]int32, len(idx)*T)
	src = make([]int32, len(idx)*T)
	for j, i := range idx {
		copy(base[j*T:], c.data.Row(int(c.pairs[i].Base)))
		copy(src[j*T:], c.data.Row(int(c.pairs[i].Source)))
	}
	return base, src
}

// store records node k's targets out ([len(idx), T]) of the pairs idx.
func (c *targets) store(k int, idx []int, out []float32) {
	T := c.data.T
	for j, i := range idx {
		copy(c.vals[k][i*T:(i+1)*T], out[j*T:(j+1)*T])
		c.done[k][i] = true
	}
}

// get returns node k's targets of the pairs idx, [len(idx), T], in dst.
func (c *targets) get(k int, idx []int, dst []float32) error {
	T := c.data.T
	c.alloc(k)
	var miss []int
	for _, i := range idx {
		if !c.done[k][i] {
			miss = append(miss, i)
		}
	}
	if len(miss) > 0 {
		base, src := c.rows(miss)
		out, err := c.hl.Patched(base, src, len(miss), T, k)
		if err != nil {
			return err
		}
		c.store(k, miss, out)
	}
	for j, i := range idx {
		copy(dst[j*T:(j+1)*T], c.vals[k][i*T:(i+1)*T])
	}
	return nil
}
