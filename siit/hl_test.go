package siit

import (
	"testing"

	"github.com/glassbox-interp/glassbox/cases"
	"github.com/glassbox-interp/glassbox/model"
	"github.com/glassbox-interp/glassbox/tensor"
)

// patchedRef is HL.Patched the plain way: a full source run caching the
// node's hook and a full base run with the node patched.
func patchedRef(t *testing.T, h *HL, base, source []int32, n, T, k int) []float32 {
	t.Helper()
	node := h.nodes[k]
	_, cache, err := h.m.Run(toRows(source, n, T), model.RunOptions{Cache: []string{node.Hook}})
	if err != nil {
		t.Fatal(err)
	}
	src := cache[node.Hook]
	logits, _, err := h.m.Run(toRows(base, n, T), model.RunOptions{Hooks: []model.Hook{{Name: node.Hook,
		Fn: func(act *tensor.Tensor) error { return patchInto(act, src, node.Head) }}}})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float32, n*T)
	decode(out, logits.Data, h.categorical, h.vocabOut)
	return out
}

// TestPatchedNodesMatchFullRuns pins the shared-work HL runs (early-stopped
// source runs, one base prefix, resumed patched runs) to plain full runs,
// bit for bit, for every node alone, all nodes at once and subsets in
// scrambled order, on cases with heads and MLPs in several layers.
func TestPatchedNodesMatchFullRuns(t *testing.T) {
	for _, id := range []int{3, 21} {
		c, err := cases.Get(id)
		if err != nil {
			t.Fatal(err)
		}
		j, err := Prepare(c, Setup{Adjust: func(r *Recipe) { r.Samples = 300 }})
		if err != nil {
			t.Fatal(err)
		}
		h, d := j.HL, j.Data
		pairs := Pairs(d.Train, 7)[:100]
		n, T := len(pairs), d.T
		base, src := make([]int32, n*T), make([]int32, n*T)
		for i, p := range pairs {
			copy(base[i*T:], d.Row(int(p.Base)))
			copy(src[i*T:], d.Row(int(p.Source)))
		}
		K := len(h.Nodes())
		ref := make([][]float32, K)
		for k := range ref {
			ref[k] = patchedRef(t, h, base, src, n, T, k)
		}
		all := make([]int, K)
		rev := make([]int, K)
		for k := range all {
			all[k], rev[k] = k, K-1-k
		}
		sets := [][]int{all, rev, {K - 1, 0}, {K / 2}}
		for k := range K {
			sets = append(sets, []int{k})
		}
		for _, ks := range sets {
			got, err := h.PatchedNodes(base, src, n, T, ks)
			if err != nil {
				t.Fatalf("case %d nodes %v: %v", id, ks, err)
			}
			for i, k := range ks {
				for p := range got[i] {
					if got[i][p] != ref[k][p] {
						t.Fatalf("case %d nodes %v: node %d (%s) target %d = %v, full runs give %v", id, ks, k, h.nodes[k].Hook, p, got[i][p], ref[k][p])
					}
				}
			}
		}
		if _, err := h.PatchedNodes(base, src, n, T, []int{K}); err == nil {
			t.Errorf("case %d: node %d of %d accepted", id, K, K)
		}
	}
}
