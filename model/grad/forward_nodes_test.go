package grad

import (
	"strings"
	"testing"
)

// TestForwardNodes checks that a ForwardNodes run gives, bit for bit, a
// full Forward's values of the nodes it was asked for and of every node
// below them, refuses the nodes above, has no logits and is refused by
// ForwardFrom.
func TestForwardNodes(t *testing.T) {
	cfg := testConfig()
	cfg.NLayers = 3
	n := randNet(t, cfg, 3)
	B, T := 67, 5
	tok := randTokens(B, T, cfg.DVocab, 4)
	full, err := n.Forward(NewWorkspace(), tok, B, T, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	all := []string{"blocks.0.attn.hook_result[0]", "blocks.0.attn.hook_result[3]", "blocks.0.mlp.hook_post",
		"blocks.1.attn.hook_result[2]", "blocks.1.mlp.hook_post", "blocks.2.attn.hook_result[1]", "blocks.2.mlp.hook_post"}
	ws := NewWorkspace()
	for _, tc := range []struct {
		ask   []string
		below int // nodes all[:below] are computed, the others not
	}{
		{[]string{"blocks.0.attn.hook_result[0]"}, 2},
		{[]string{"blocks.0.mlp.hook_post"}, 3},
		{[]string{"blocks.0.attn.hook_result[3]", "blocks.1.attn.hook_result[2]"}, 4},
		{[]string{"blocks.1.mlp.hook_post", "blocks.0.attn.hook_result[0]"}, 5},
		{[]string{"blocks.2.mlp.hook_post"}, 7},
	} {
		var nodes []Node
		for _, s := range tc.ask {
			nd, err := ParseNode(s)
			if err != nil {
				t.Fatal(err)
			}
			nodes = append(nodes, nd)
		}
		r, err := n.ForwardNodes(ws, tok, B, T, nodes)
		if err != nil {
			t.Fatal(err)
		}
		if r.Logits() != nil {
			t.Errorf("%v: ForwardNodes run has logits", tc.ask)
		}
		for i, s := range all {
			nd, _ := ParseNode(s)
			got := make([]float32, B*T*nd.Width(n.cfg))
			err := r.NodeInto(got, nd)
			if i >= tc.below {
				if err == nil || !strings.Contains(err.Error(), "not computed") {
					t.Errorf("%v: node %s above the run: err %v", tc.ask, s, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%v: node %s: %v", tc.ask, s, err)
			}
			sameBits(t, s, got, full.Node(nd))
		}
		if _, err := n.ForwardFrom(NewWorkspace(), r, nil, false); err == nil {
			t.Errorf("%v: ForwardFrom accepted a ForwardNodes run", tc.ask)
		}
	}
	for _, nodes := range [][]Node{nil, {{Hook: "blocks.3.mlp.hook_post", Head: -1}}} {
		if _, err := n.ForwardNodes(ws, tok, B, T, nodes); err == nil {
			t.Errorf("ForwardNodes(%v) gave no error", nodes)
		}
	}
	if _, err := n.ForwardNodes(ws, tok[:5], B, T, []Node{{Hook: "blocks.0.mlp.hook_post", Head: -1}}); err == nil {
		t.Error("ForwardNodes with too few tokens gave no error")
	}
}

// TestWorkspacePackedWeights checks that a Workspace repacks the weights
// when another Net, or the same Net after an optimiser step, runs on it.
func TestWorkspacePackedWeights(t *testing.T) {
	cfg := testConfig()
	a, b := randNet(t, cfg, 1), randNet(t, cfg, 2)
	B, T := 9, 5
	tok := randTokens(B, T, cfg.DVocab, 3)
	logits := func(n *Net, ws *Workspace) []float32 {
		r, err := n.Forward(ws, tok, B, T, nil, true)
		if err != nil {
			t.Fatal(err)
		}
		return append([]float32(nil), r.Logits()...)
	}
	ws := NewWorkspace()
	logits(a, ws)
	sameBits(t, "net b on a's workspace", logits(b, ws), logits(b, NewWorkspace()))
	r, err := a.Forward(ws, tok, B, T, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	g := a.NewGrads()
	if err := a.Backward(ws, r, make([]float32, B*T*cfg.DVocabOut), g); err != nil {
		t.Fatal(err)
	}
	for i := range g.data {
		g.data[i] = 1 // so that the step moves every weight
	}
	before := logits(a, ws)
	NewAdam(a, 0.1, 0.9, 0.999, 1e-8).Step(a, g)
	after := logits(a, ws)
	sameBits(t, "net a after a step", after, logits(a, NewWorkspace()))
	if before[0] == after[0] {
		t.Error("the step did not change the logits")
	}
}
