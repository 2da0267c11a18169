package tracr

import (
	"errors"
	"sort"

	"github.com/glassbox-interp/glassbox/tracr/craft"
)

// halfLayer is one non-empty block of the craft model.
type halfLayer struct {
	attn  bool
	heads []*craft.Head
	mlps  []*craft.MLP
	// writers are the labels of the nodes whose blocks are in this half-layer
	// (heads in head order).
	writers []string
	// layerNo is tracr's allocation index (even = attention, odd = MLP).
	layerNo int
}

func (n *node) isMLP() bool      { return n.mlp != nil }
func (n *node) isAttn() bool     { return n.head != nil }
func (n *node) isResidual() bool { return n.swHead != nil }
func (n *node) isComponent() bool {
	return n.isMLP() || n.isAttn() || n.isResidual()
}

// longestPaths returns, for every node, the largest number of SOps on a path
// from a source (a node without children) to it, inclusive. This replaces
// tracr's enumeration of all simple paths with dynamic programming; the
// result is the same (the graph is a DAG).
func (cp *compiler) longestPaths() map[*node]int {
	memo := map[*node]int{}
	var f func(n *node) int
	f = func(n *node) int {
		if v, ok := memo[n]; ok {
			return v
		}
		best := 0
		for _, c := range n.children {
			if v := f(c); v > best {
				best = v
			}
		}
		if n.isSOp() {
			best++
		}
		memo[n] = best
		return best
	}
	for _, n := range cp.nodes {
		f(n)
	}
	return memo
}

// allocate is craft_graph_to_model._allocate_modules_to_layers followed by
// the grouping of craft_graph_to_model: it returns the non-empty half-layers
// in order.
func (cp *compiler) allocate() ([]*halfLayer, error) {
	lp := cp.longestPaths()
	type entry struct {
		n     *node
		depth int
	}
	var comps []*entry
	byNode := map[*node]*entry{}
	nodesByDepth := map[int][]*node{}
	for _, n := range cp.nodes {
		if !n.isComponent() {
			continue
		}
		d := lp[n] - 1
		en := &entry{n: n, depth: d}
		comps = append(comps, en)
		byNode[n] = en
		nodesByDepth[d] = append(nodesByDepth[d], n)
	}
	if len(comps) == 0 {
		return nil, &Error{Err: errors.New("the program has no operation to compile into a layer (tracr needs at least one Map, SequenceMap, Aggregate or SelectorWidth)")}
	}
	minD, maxD := comps[0].depth, comps[0].depth
	for _, en := range comps {
		minD = min(minD, en.depth)
		maxD = max(maxD, en.depth)
	}
	allAttn := func(ns []*node) bool {
		for _, n := range ns {
			if !n.isAttn() {
				return false
			}
		}
		return true
	}
	allMLP := func(ns []*node) bool {
		for _, n := range ns {
			if !n.isMLP() {
				return false
			}
		}
		return true
	}
	// tracr's heuristic: attention-only depth followed by an MLP-only depth
	// share one depth (attention comes before the MLP in a layer).
	for depth := minD; depth < maxD; depth++ {
		if allAttn(nodesByDepth[depth]) && allMLP(nodesByDepth[depth+1]) {
			for ud := depth + 1; ud <= maxD; ud++ {
				for _, n := range nodesByDepth[ud] {
					byNode[n].depth = ud - 1
				}
				nodesByDepth[ud-1] = append(nodesByDepth[ud-1], nodesByDepth[ud]...)
				nodesByDepth[ud] = nil
			}
			maxD--
		}
	}
	sorted := append([]*entry(nil), comps...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].depth < sorted[j].depth })

	type alloc struct {
		n     *node
		layer int
	}
	var allocs []alloc
	curLayer, curDepth := 0, 1
	for _, en := range sorted {
		for en.depth > curDepth {
			curDepth++
			curLayer += 2
		}
		if en.depth == curDepth {
			l := curLayer
			if en.n.isMLP() {
				l++
			}
			allocs = append(allocs, alloc{en.n, l})
		}
	}

	byLayer := map[int]*halfLayer{}
	get := func(l int) *halfLayer {
		h, ok := byLayer[l]
		if !ok {
			h = &halfLayer{attn: l%2 == 0, layerNo: l}
			byLayer[l] = h
		}
		return h
	}
	for _, a := range allocs {
		n := a.n
		switch {
		case n.isResidual():
			h := get(a.layer)
			h.heads = append(h.heads, n.swHead)
			h.writers = append(h.writers, n.label)
			m := get(a.layer + 1)
			m.mlps = append(m.mlps, n.swMLP)
			m.writers = append(m.writers, n.label)
		case n.isAttn():
			h := get(a.layer)
			h.heads = append(h.heads, n.head)
			h.writers = append(h.writers, n.label)
		default:
			m := get(a.layer)
			m.mlps = append(m.mlps, n.mlp)
			m.writers = append(m.writers, n.label)
		}
	}
	var layers []int
	for l := range byLayer {
		layers = append(layers, l)
	}
	sort.Ints(layers)
	var out []*halfLayer
	for _, l := range layers {
		h := byLayer[l]
		if h.attn && len(h.mlps) > 0 || !h.attn && len(h.heads) > 0 {
			return nil, &Error{Err: errors.New("internal: attention and MLP blocks allocated to the same half-layer")}
		}
		out = append(out, h)
	}
	return out, nil
}
