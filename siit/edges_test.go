package siit

import (
	"os"
	"sort"
	"strings"
	"testing"
)

// Case 3's edges are exactly InterpBench's released edges.pkl.
func TestLLEdgesCase3MatchesRelease(t *testing.T) {
	b, err := os.ReadFile("testdata/released_edges_case3.txt")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			want = append(want, line)
		}
	}
	sort.Strings(want)
	comp, ll, c := defaultCorrespondence(t, 3)
	var got []string
	for _, e := range LLEdges(comp, c, ll.NLayers) {
		got = append(got, e[0]+" "+e[1])
	}
	sort.Strings(got)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("edges\n%s\nwant the released\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// Every edge is one of ACDC's non-placeholder edges between nodes of the
// correspondence, and moving an HL head moves its edges.
func TestLLEdgesFollowCorrespondence(t *testing.T) {
	comp, ll, c := defaultCorrespondence(t, 4) // two heads and a two-output MLP
	edges := LLEdges(comp, c, ll.NLayers)
	if len(edges) == 0 {
		t.Fatal("no edges")
	}
	leaf := "blocks." + string(rune('0'+ll.NLayers-1)) + ".hook_resid_post"
	toLeaf := 0
	for _, e := range edges {
		if strings.Contains(e[0], "attn.hook_q[") || strings.Contains(e[0], "attn.hook_k[") ||
			strings.Contains(e[0], "attn.hook_v[") || strings.HasSuffix(e[0], "hook_mlp_in") {
			t.Errorf("edge %v starts at an ACDC placeholder", e)
		}
		if e[1] == leaf {
			toLeaf++
		}
	}
	if toLeaf == 0 {
		t.Errorf("no edge reaches %s: %v", leaf, edges)
	}
	// Move every HL head of layer 1 to LL head 3 of layer 1.
	for i, e := range c.Entries {
		if e.HL.Head != nil && strings.HasPrefix(e.HL.Hook, "blocks.1.") {
			c.Entries[i].LL = []LLNode{{Hook: "blocks.1.attn.hook_result", Head: headPtr(3)}}
		}
	}
	moved := LLEdges(comp, c, ll.NLayers)
	for _, e := range moved {
		for _, n := range e {
			if strings.HasPrefix(n, "blocks.1.") && strings.Contains(n, "[") && !strings.HasSuffix(n, "[3]") {
				t.Errorf("edge %v names a layer-1 head other than 3", e)
			}
		}
	}
	if len(moved) == 0 {
		t.Error("no edges after moving the heads")
	}
}

func TestParseEdgeNode(t *testing.T) {
	for _, tc := range []struct {
		in          string
		layer, head int
		hook, unit  string
	}{
		{"blocks.1.attn.hook_result[2]", 1, 2, "attn.hook_result", "head 1.2"},
		{"blocks.12.hook_q_input[0]", 12, 0, "hook_q_input", "head 12.0"},
		{"blocks.0.hook_mlp_out", 0, -1, "hook_mlp_out", "blocks.0.hook_mlp_out"},
		{"hook_embed", -1, -1, "", "hook_embed"},
		{"blocks.x.hook_mlp_in", -1, -1, "", "blocks.x.hook_mlp_in"},
		{"blocks.1.attn.hook_result[-1]", 1, -1, "attn.hook_result[-1]", "blocks.1.attn.hook_result[-1]"},
	} {
		n := parseEdgeNode(tc.in)
		if n.layer != tc.layer || n.head != tc.head || n.hook != tc.hook || n.unit() != tc.unit {
			t.Errorf("%s: layer %d head %d hook %q unit %q, want %d %d %q %q", tc.in, n.layer, n.head, n.hook, n.unit(), tc.layer, tc.head, tc.hook, tc.unit)
		}
	}
}
