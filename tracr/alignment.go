package tracr

import (
	"fmt"
	"sort"
	"strings"

	"github.com/glassbox-interp/glassbox/rasp"
	"github.com/glassbox-interp/glassbox/tracr/bases"
)

// Alignment is the high-level → low-level map of a compiled program: which
// TransformerLens hooks compute each RASP expression (circuits-benchmark's
// build_tracr_circuits, granularity "acdc_hooks").
type Alignment struct {
	// Entries are the notebook's "Operation X is handled in {…}" lines in
	// order: tokens, indices, each block's outputs, the program output at the
	// last hook_resid_post, then every selector.
	Entries []AlignmentEntry `json:"entries"`
	// Map is the union of Entries per label, each list sorted: a superset of
	// circuits-benchmark's alignment that also places every selector at the
	// hook_q/hook_k of each head using it.
	Map map[string][]string `json:"map"`
	// Reference is exactly what circuits-benchmark's build_tracr_circuits
	// (the version that produced the reference data) returns, lists sorted.
	Reference map[string][]string `json:"reference"`
	// Edges are the edges of the low-level circuit, sorted.
	Edges [][2]string `json:"edges"`
	// Dims are the residual-stream dimensions of every variable.
	Dims map[string][]int `json:"dims"`
}

// AlignmentEntry is one line of the alignment printout.
type AlignmentEntry struct {
	Label string   `json:"label"`
	Nodes []string `json:"nodes"`
}

// Lines renders the entries as the notebook prints them.
func (a *Alignment) Lines() []string {
	out := make([]string, len(a.Entries))
	for i, e := range a.Entries {
		out[i] = fmt.Sprintf("Operation %s is handled in {%s}", e.Label, strings.Join(e.Nodes, ", "))
	}
	return out
}

func hookNode(name string, head int) string { return fmt.Sprintf("%s[%d]", name, head) }

// circuitBuilder reproduces build_tracr_circuits on string node names.
type circuitBuilder struct {
	preds   map[string]map[string]bool
	edges   map[[2]string]bool
	mapping map[string]map[string]bool
}

func (b *circuitBuilder) addNode(n string) {
	if b.preds[n] == nil {
		b.preds[n] = map[string]bool{}
	}
}

func (b *circuitBuilder) addEdge(from, to string) {
	b.addNode(from)
	b.addNode(to)
	b.preds[to][from] = true
	b.edges[[2]string{from, to}] = true
}

func (b *circuitBuilder) mapHL(label, node string) {
	if b.mapping[label] == nil {
		b.mapping[label] = map[string]bool{}
	}
	b.mapping[label][node] = true
}

// llNodes is Alignment.get_ll_nodes with remove_predecessors_by_ll_circuit:
// the nodes of the labels, minus those that are predecessors of another.
// Labels without a mapping are skipped (circuits-benchmark would raise).
func (b *circuitBuilder) llNodes(labels []string, prune bool) []string {
	set := map[string]bool{}
	for _, l := range labels {
		for n := range b.mapping[l] {
			set[n] = true
		}
	}
	if prune {
		remove := map[string]bool{}
		for n := range set {
			for p := range b.preds[n] {
				if set[p] {
					remove[p] = true
				}
			}
		}
		for n := range remove {
			delete(set, n)
		}
	}
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func (b *circuitBuilder) block(node string, inputs []string) {
	b.addNode(node)
	for _, in := range inputs {
		b.addEdge(in, node)
	}
}

func buildAlignment(cp *compiler, c *Compiled) *Alignment {
	b := &circuitBuilder{preds: map[string]map[string]bool{}, edges: map[[2]string]bool{}, mapping: map[string]map[string]bool{}}
	a := &Alignment{Dims: map[string][]int{}}
	// entry order and per-entry node order for the printout
	type ent struct {
		label  string
		reads  []string
		writes []string
	}
	var ents []*ent
	byLabel := map[string]*ent{}
	entry := func(label string) *ent {
		if e, ok := byLabel[label]; ok {
			return e
		}
		e := &ent{label: label}
		ents = append(ents, e)
		byLabel[label] = e
		return e
	}
	bos := cp.bos
	if _, ok := cp.byLabel["tokens"]; ok {
		b.addNode("hook_embed")
		b.mapHL("tokens", "hook_embed")
		entry("tokens").writes = append(entry("tokens").writes, "hook_embed")
	}
	if _, ok := cp.byLabel["indices"]; ok {
		b.addNode("hook_pos_embed")
		b.mapHL("indices", "hook_pos_embed")
		entry("indices").writes = append(entry("indices").writes, "hook_pos_embed")
	}
	// heads using each selector label, for the glassbox extension
	selHooks := map[string][]string{}
	last := 0
	for _, blk := range c.Blocks {
		L := blk.Layer
		last = L
		if blk.Kind == "mlp" {
			in := fmt.Sprintf("blocks.%d.hook_mlp_in", L)
			out := fmt.Sprintf("blocks.%d.hook_mlp_out", L)
			b.block(in, b.llNodes(varNames(blk.mlp.Fst.In, bos), true))
			outs := varNames(blk.mlp.Snd.Out, bos)
			for _, l := range outs {
				b.mapHL(l, in)
			}
			b.block(out, []string{in})
			for _, l := range outs {
				b.mapHL(l, out)
				e := entry(l)
				e.writes = append(e.writes, in, out)
			}
			continue
		}
		for h, hd := range blk.heads {
			qIn := hookNode(fmt.Sprintf("blocks.%d.hook_q_input", L), h)
			kIn := hookNode(fmt.Sprintf("blocks.%d.hook_k_input", L), h)
			vIn := hookNode(fmt.Sprintf("blocks.%d.hook_v_input", L), h)
			q := hookNode(fmt.Sprintf("blocks.%d.attn.hook_q", L), h)
			k := hookNode(fmt.Sprintf("blocks.%d.attn.hook_k", L), h)
			v := hookNode(fmt.Sprintf("blocks.%d.attn.hook_v", L), h)
			res := hookNode(fmt.Sprintf("blocks.%d.attn.hook_result", L), h)
			qLabels := varNames(hd.QK.Left, bos)
			kLabels := varNames(hd.QK.Right, bos)
			outs := varNames(hd.OV.Out, bos)
			b.block(qIn, b.llNodes(qLabels, true))
			b.block(kIn, b.llNodes(kLabels, true))
			b.block(vIn, b.llNodes(varNames(hd.OV.In, bos), true))
			for _, l := range outs {
				b.mapHL(l, vIn)
			}
			b.block(q, []string{qIn})
			for _, l := range qLabels {
				b.mapHL(l, q)
				entry(l).reads = append(entry(l).reads, q)
			}
			b.block(k, []string{kIn})
			for _, l := range kLabels {
				b.mapHL(l, k)
				entry(l).reads = append(entry(l).reads, k)
			}
			b.block(v, []string{vIn})
			for _, l := range outs {
				b.mapHL(l, v)
			}
			b.block(res, []string{q, k, v})
			for _, l := range outs {
				b.mapHL(l, res)
				e := entry(l)
				e.writes = append(e.writes, vIn, v, res)
			}
			if h < len(blk.Nodes) {
				if n := cp.byLabel[blk.Nodes[h]]; n != nil {
					if sel := selectorOf(n.expr); sel != nil {
						selHooks[sel.Label()] = append(selHooks[sel.Label()], q, k)
					}
				}
			}
		}
	}
	resid := fmt.Sprintf("blocks.%d.hook_resid_post", last)
	b.addNode(resid)
	result := cp.sink.label
	for _, n := range b.llNodes([]string{result}, true) {
		b.addEdge(n, resid)
	}
	b.mapHL(result, resid)

	// circuits-benchmark's selector rule: the hook_q/hook_k predecessors of
	// the (pruned) nodes of the first Aggregate using the selector.
	for _, n := range cp.nodes {
		if _, ok := n.expr.(rasp.Selector); !ok {
			continue
		}
		for _, o := range cp.nodes {
			agg, ok := o.expr.(*rasp.Aggregate)
			if !ok || agg.Selector.Label() != n.label {
				continue
			}
			for _, ll := range b.llNodes([]string{o.label}, true) {
				for p := range b.preds[ll] {
					if strings.Contains(p, "hook_q") || strings.Contains(p, "hook_k") {
						b.mapHL(n.label, p)
					}
				}
			}
			break
		}
	}
	a.Reference = map[string][]string{}
	for l, set := range b.mapping {
		a.Reference[l] = sortedKeys(set)
	}
	for e := range b.edges {
		a.Edges = append(a.Edges, e)
	}
	sort.Slice(a.Edges, func(i, j int) bool {
		if a.Edges[i][0] != a.Edges[j][0] {
			return a.Edges[i][0] < a.Edges[j][0]
		}
		return a.Edges[i][1] < a.Edges[j][1]
	})

	// Printout entries: reads (sorted) then writes (data-flow order); the
	// output at hook_resid_post is its own line; selectors last.
	for _, e := range ents {
		reads := append([]string(nil), e.reads...)
		sort.Strings(reads)
		a.Entries = append(a.Entries, AlignmentEntry{Label: e.label, Nodes: dedup(append(reads, e.writes...))})
	}
	a.Entries = append(a.Entries, AlignmentEntry{Label: result, Nodes: []string{resid}})
	for _, n := range cp.nodes {
		if _, ok := n.expr.(rasp.Selector); !ok {
			continue
		}
		if hooks := selHooks[n.label]; len(hooks) > 0 {
			a.Entries = append(a.Entries, AlignmentEntry{Label: n.label, Nodes: dedup(hooks)})
		}
	}
	union := map[string]map[string]bool{}
	for l, ns := range a.Reference {
		for _, x := range ns {
			if union[l] == nil {
				union[l] = map[string]bool{}
			}
			union[l][x] = true
		}
	}
	for _, e := range a.Entries {
		for _, x := range e.Nodes {
			if union[e.Label] == nil {
				union[e.Label] = map[string]bool{}
			}
			union[e.Label][x] = true
		}
	}
	a.Map = map[string][]string{}
	for l, set := range union {
		a.Map[l] = sortedKeys(set)
	}
	for i, d := range c.Residual.Basis() {
		a.Dims[d.Name] = append(a.Dims[d.Name], i)
	}
	return a
}

func selectorOf(e rasp.Expr) rasp.Selector {
	switch x := e.(type) {
	case *rasp.Aggregate:
		return x.Selector
	case *rasp.SelectorWidth:
		return x.Selector
	}
	return nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func dedup(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

var _ = bases.NameDir
