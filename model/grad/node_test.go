package grad

import (
	"strings"
	"testing"
)

func TestParseNode(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Node
		err  string
	}{
		{"blocks.1.attn.hook_result[2]", Node{"blocks.1.attn.hook_result", 2}, ""},
		{"blocks.0.mlp.hook_post", Node{"blocks.0.mlp.hook_post", -1}, ""},
		{"blocks.12.attn.hook_result[0]", Node{"blocks.12.attn.hook_result", 0}, ""},
		{"blocks.1.attn.hook_result", Node{}, "needs a head index"},
		{"blocks.0.mlp.hook_post[1]", Node{}, "takes no head index"},
		{"blocks.1.attn.hook_result[x]", Node{}, "not a non-negative integer"},
		{"blocks.1.attn.hook_result[-1]", Node{}, "not a non-negative integer"},
		{"blocks.1.attn.hook_result[2", Node{}, "missing ']'"},
		{"blocks.1.attn.hook_result[02]", Node{}, "not a non-negative integer"},
		{"blocks.1.attn.hook_result[+2]", Node{}, "not a non-negative integer"},
		{"blocks.1.attn.hook_result[]", Node{}, "not a non-negative integer"},
		{"blocks.a.mlp.hook_post", Node{}, "layer"},
		{"blocks.01.mlp.hook_post", Node{}, "layer"},
		{"blocks.0.hook_resid_post", Node{}, "not a patchable node"},
		{"blocks.0.attn.hook_z[1]", Node{}, "not a patchable node"},
		{"hook_embed", Node{}, "want blocks.L"},
		{"", Node{}, "want blocks.L"},
	} {
		got, err := ParseNode(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseNode(%q) = %v, %v; want an error containing %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseNode(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			continue
		}
		if got.String() != tc.in {
			t.Errorf("String() = %q, want %q", got.String(), tc.in)
		}
	}
}

func TestCheckNodeAndWidth(t *testing.T) {
	cfg := testConfig() // 2 layers, 4 heads, d_model 12, d_mlp 48
	for _, tc := range []struct {
		n     Node
		err   string
		width int
	}{
		{Node{"blocks.1.attn.hook_result", 3}, "", 12},
		{Node{"blocks.0.mlp.hook_post", -1}, "", 48},
		{Node{"blocks.2.attn.hook_result", 0}, "layer 2 out of range", 12},
		{Node{"blocks.0.attn.hook_result", 4}, "head 4 out of range", 12},
		{Node{"blocks.0.attn.hook_result", -1}, "head -1 out of range", 12},
		{Node{"blocks.0.mlp.hook_post", 0}, "takes head -1", 48},
		{Node{"blocks.0.hook_mlp_out", -1}, "not a patchable node", 0},
	} {
		err := CheckNode(cfg, tc.n)
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("CheckNode(%v) = %v, want error %q", tc.n, err, tc.err)
		}
		if w := tc.n.Width(cfg); w != tc.width {
			t.Errorf("%v.Width = %d, want %d", tc.n, w, tc.width)
		}
	}
}

func TestForwardRejectsBadInput(t *testing.T) {
	cfg := testConfig()
	n := randNet(t, cfg, 1)
	good := randTokens(2, 3, cfg.DVocab, 1)
	head := Node{"blocks.0.attn.hook_result", 1}
	for _, tc := range []struct {
		name    string
		tok     []int32
		B, T    int
		patches []Patch
		err     string
	}{
		{"token too big", []int32{0, 1, 6, 0, 0, 0}, 2, 3, nil, "position 2) is 6, want an id in [0, 6)"},
		{"negative token", []int32{0, 1, 2, 0, -1, 0}, 2, 3, nil, "row 1, position 1"},
		{"short", good[:5], 2, 3, nil, "5 tokens, want B·T"},
		{"long", append(good, 0), 2, 3, nil, "7 tokens"},
		{"T > n_ctx", make([]int32, 12), 2, 6, nil, "n_ctx = 5"},
		{"B 0", nil, 0, 3, nil, "B ≥ 1"},
		{"bad node", good, 2, 3, []Patch{{Node{"blocks.0.attn.hook_result", 9}, make([]float32, 72)}}, "head 9 out of range"},
		{"bad width", good, 2, 3, []Patch{{head, make([]float32, 71)}}, "71 values, want [B,T,width] = [2,3,12]"},
		{"twice", good, 2, 3, []Patch{{head, make([]float32, 72)}, {head, make([]float32, 72)}}, "patched twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := n.Forward(NewWorkspace(), tc.tok, tc.B, tc.T, tc.patches, true)
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("Forward: %v, want an error containing %q", err, tc.err)
			}
		})
	}
}

func TestRunLifetime(t *testing.T) {
	cfg := testConfig()
	n := randNet(t, cfg, 1)
	ws := NewWorkspace()
	tok := randTokens(2, 5, cfg.DVocab, 1)
	r1, err := n.Forward(ws, tok, 2, 5, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	g := n.NewGrads()
	if err := n.Backward(ws, r1, make([]float32, 10), g); err == nil || !strings.Contains(err.Error(), "keep=false") {
		t.Errorf("Backward of a keep=false run: %v", err)
	}
	r2, _ := n.Forward(ws, tok, 2, 5, nil, true)
	if r1.Logits() != nil || r1.Node(Node{"blocks.0.mlp.hook_post", -1}) != nil {
		t.Error("a stale run still returns data")
	}
	if err := n.Backward(ws, r1, make([]float32, 10), g); err == nil || !strings.Contains(err.Error(), "stale") {
		t.Errorf("Backward of a stale run: %v", err)
	}
	if err := n.Backward(ws, r2, make([]float32, 9), g); err == nil || !strings.Contains(err.Error(), "dlogits has 9 values") {
		t.Errorf("Backward with short dlogits: %v", err)
	}
	if err := n.Backward(NewWorkspace(), r2, make([]float32, 10), g); err == nil {
		t.Error("Backward with another Workspace: no error")
	}
	if err := r2.NodeInto(make([]float32, 3), Node{"blocks.0.mlp.hook_post", -1}); err == nil {
		t.Error("NodeInto with a short dst: no error")
	}
}
