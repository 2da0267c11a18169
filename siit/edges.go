package siit

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/glassbox-interp/glassbox/tracr"
)

// LLEdges is the ground-truth circuit of a SIIT model in LL hook names at
// ACDC's hook granularity, the list InterpBench writes to edges.pkl. It
// follows the rule that produced InterpBench's released files (the June-2024
// get_gt_circuit of circuits-benchmark): start from ACDC's full graph of
// the LL model (every residual-stream reader fed by every earlier writer,
// hook_X_input → attn.hook_X inside a head; ACDC's placeholder edges
// attn.hook_X → attn.hook_result and hook_mlp_in → hook_mlp_out are not
// edges), keep the nodes of the correspondence's LL heads and MLPs plus the
// embeddings and the last hook_resid_post, and keep an edge when the
// compiled program's circuit has an edge between the same units — a head's
// seven hooks count as one unit (its result), HL heads and MLP layers map to
// their LL nodes, and the compiled model's last hook_resid_post to the LL
// model's. For case 3 this gives the released file's 11 edges. llLayers is
// the LL model's n_layers. Sorted, no duplicates.
func LLEdges(comp *tracr.Compiled, c *Correspondence, llLayers int) [][2]string {
	heads := map[[2]int][][2]int{} // HL (layer, head) → LL (layer, head)
	mlps := map[int][]int{}        // HL MLP layer → LL MLP layers
	var llHeads [][2]int
	var llMLPs []int
	for _, e := range c.Entries {
		hl, ok := hookLayer(e.HL.Hook)
		if !ok {
			continue
		}
		for _, n := range e.LL {
			ll, ok := hookLayer(n.Hook)
			if !ok {
				continue
			}
			if n.Head != nil && e.HL.Head != nil {
				k, v := [2]int{hl, *e.HL.Head}, [2]int{ll, *n.Head}
				if !slices.Contains(heads[k], v) {
					heads[k] = append(heads[k], v)
				}
				if !slices.Contains(llHeads, v) {
					llHeads = append(llHeads, v)
				}
			} else if n.Head == nil && e.HL.Head == nil {
				if !slices.Contains(mlps[hl], ll) {
					mlps[hl] = append(mlps[hl], ll)
				}
				if !slices.Contains(llMLPs, ll) {
					llMLPs = append(llMLPs, ll)
				}
			}
		}
	}
	leaf := fmt.Sprintf("blocks.%d.hook_resid_post", llLayers-1)
	// units maps a node of the compiled circuit to the LL units it stands for.
	units := func(node string) []string {
		n := parseEdgeNode(node)
		switch {
		case n.head >= 0:
			lls, ok := heads[[2]int{n.layer, n.head}]
			if !ok {
				return []string{"unmapped " + node}
			}
			out := make([]string, len(lls))
			for i, h := range lls {
				out[i] = headUnit(h[0], h[1])
			}
			return out
		case n.layer >= 0 && (n.hook == "hook_mlp_in" || n.hook == "hook_mlp_out"):
			lls, ok := mlps[n.layer]
			if !ok {
				return []string{node}
			}
			out := make([]string, len(lls))
			for i, l := range lls {
				out[i] = fmt.Sprintf("blocks.%d.%s", l, n.hook)
			}
			return out
		case n.layer >= 0 && n.hook == "hook_resid_post":
			return []string{leaf}
		}
		return []string{node}
	}
	allowed := map[[2]string]bool{}
	for _, e := range comp.Alignment.Edges {
		for _, a := range units(e[0]) {
			for _, b := range units(e[1]) {
				allowed[[2]string{a, b}] = true
			}
		}
	}
	var out [][2]string
	for _, e := range acdcEdges(llLayers, llHeads, llMLPs, leaf) {
		if allowed[[2]string{parseEdgeNode(e[0]).unit(), parseEdgeNode(e[1]).unit()}] {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i][0] != out[j][0] {
			return out[i][0] < out[j][0]
		}
		return out[i][1] < out[j][1]
	})
	return out
}

// acdcEdges lists the non-placeholder edges of ACDC's full graph of an
// n-layer model among the given heads and MLP layers, the embeddings and
// the leaf (the last hook_resid_post), without duplicates.
func acdcEdges(n int, heads [][2]int, mlps []int, leaf string) [][2]string {
	sorted := append([][2]int(nil), heads...)
	sort.Slice(sorted, func(i, j int) bool {
		if sorted[i][0] != sorted[j][0] {
			return sorted[i][0] < sorted[j][0]
		}
		return sorted[i][1] < sorted[j][1]
	})
	hasMLP := map[int]bool{}
	for _, l := range mlps {
		hasMLP[l] = true
	}
	writers := []string{"hook_embed", "hook_pos_embed"}
	var out [][2]string
	for l := 0; l < n; l++ {
		// Heads of layer l read what the earlier layers wrote.
		var results []string
		for _, h := range sorted {
			if h[0] != l {
				continue
			}
			for _, x := range "qkv" {
				in := fmt.Sprintf("blocks.%d.hook_%c_input[%d]", l, x, h[1])
				for _, w := range writers {
					out = append(out, [2]string{w, in})
				}
				out = append(out, [2]string{in, fmt.Sprintf("blocks.%d.attn.hook_%c[%d]", l, x, h[1])})
			}
			results = append(results, fmt.Sprintf("blocks.%d.attn.hook_result[%d]", l, h[1]))
		}
		writers = append(writers, results...)
		// The MLP of layer l also reads layer l's heads.
		if hasMLP[l] {
			in := fmt.Sprintf("blocks.%d.hook_mlp_in", l)
			for _, w := range writers {
				out = append(out, [2]string{w, in})
			}
			writers = append(writers, fmt.Sprintf("blocks.%d.hook_mlp_out", l))
		}
	}
	for _, w := range writers {
		out = append(out, [2]string{w, leaf})
	}
	return out
}

// edgeNode is a parsed ACDC hook name: blocks.<layer>.<hook>[<head>].
type edgeNode struct {
	name        string
	layer, head int // −1 when absent
	hook        string
}

// parseEdgeNode reads a hook name of the compiled circuit or of ACDC's
// graph; names it does not know keep layer and head −1.
func parseEdgeNode(s string) edgeNode {
	n := edgeNode{name: s, layer: -1, head: -1}
	rest, ok := strings.CutPrefix(s, "blocks.")
	if !ok {
		return n
	}
	dot := strings.IndexByte(rest, '.')
	if dot <= 0 {
		return n
	}
	var layer int
	if _, err := fmt.Sscanf(rest[:dot], "%d", &layer); err != nil || layer < 0 {
		return n
	}
	n.layer, n.hook = layer, rest[dot+1:]
	if i := strings.LastIndexByte(n.hook, '['); i > 0 && strings.HasSuffix(n.hook, "]") {
		var head int
		if _, err := fmt.Sscanf(n.hook[i+1:len(n.hook)-1], "%d", &head); err == nil && head >= 0 {
			n.head, n.hook = head, n.hook[:i]
		}
	}
	return n
}

// unit is the node's unit for matching edges: a head's hooks are one unit.
func (n edgeNode) unit() string {
	if n.head >= 0 && n.layer >= 0 {
		return headUnit(n.layer, n.head)
	}
	return n.name
}

func headUnit(layer, head int) string { return fmt.Sprintf("head %d.%d", layer, head) }

// hookLayer is the layer of a "blocks.L.…" hook.
func hookLayer(hook string) (int, bool) {
	n := parseEdgeNode(hook)
	return n.layer, n.layer >= 0
}
