package grad

import (
	"math"
	"runtime"
	"strings"
	"testing"
)

// TestForwardFromMatchesForward checks ForwardFrom bit for bit against a
// full Forward with the same patches: logits, every node, and (keep) the
// gradients of Backward.
func TestForwardFromMatchesForward(t *testing.T) {
	cfg := testConfig()
	cfg.NLayers = 3
	n := randNet(t, cfg, 3)
	B, T := 37, 5
	tok := randTokens(B, T, cfg.DVocab, 4)
	srcTok := randTokens(B, T, cfg.DVocab, 5)
	var nodes []Node
	for l := 0; l < cfg.NLayers; l++ {
		for h := 0; h < cfg.NHeads; h++ {
			nodes = append(nodes, Node{Hook: "blocks." + string(rune('0'+l)) + ".attn.hook_result", Head: h})
		}
		nodes = append(nodes, Node{Hook: "blocks." + string(rune('0'+l)) + ".mlp.hook_post", Head: -1})
	}
	wsSrc := NewWorkspace()
	src, err := n.Forward(wsSrc, srcTok, B, T, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	val := map[Node][]float32{}
	for _, nd := range nodes {
		val[nd] = src.Node(nd)
	}
	patch := func(names ...string) []Patch {
		var ps []Patch
		for _, s := range names {
			nd, err := ParseNode(s)
			if err != nil {
				t.Fatal(err)
			}
			ps = append(ps, Patch{Node: nd, Values: val[nd]})
		}
		return ps
	}
	for _, tc := range []struct {
		name    string
		patches []Patch
	}{
		{"none", nil},
		{"layer 0 head", patch("blocks.0.attn.hook_result[1]")},
		{"layer 1 head", patch("blocks.1.attn.hook_result[2]")},
		{"layer 1 mlp", patch("blocks.1.mlp.hook_post")},
		{"layer 2 head and mlp", patch("blocks.2.attn.hook_result[0]", "blocks.2.mlp.hook_post")},
		{"layers 2 and 1", patch("blocks.2.attn.hook_result[3]", "blocks.1.attn.hook_result[0]")},
		{"layer 0 mlp", patch("blocks.0.mlp.hook_post")},
		{"layer 2 mlp", patch("blocks.2.mlp.hook_post")},
		{"layer 1 mlp and layer 2 head", patch("blocks.2.attn.hook_result[1]", "blocks.1.mlp.hook_post")},
		{"two heads of layer 1", patch("blocks.1.attn.hook_result[3]", "blocks.1.attn.hook_result[0]")},
		{"every head of layer 1", patch(allHeads(cfg.NHeads, 1)...)},
	} {
		for _, keep := range []bool{false, true} {
			wsClean, wsFull, wsFrom := NewWorkspace(), NewWorkspace(), NewWorkspace()
			clean, err := n.Forward(wsClean, tok, B, T, nil, keep)
			if err != nil {
				t.Fatal(err)
			}
			full, err := n.Forward(wsFull, tok, B, T, tc.patches, keep)
			if err != nil {
				t.Fatal(err)
			}
			from, err := n.ForwardFrom(wsFrom, clean, tc.patches, keep)
			if err != nil {
				t.Fatalf("%s keep %v: %v", tc.name, keep, err)
			}
			sameBits(t, tc.name+" logits", from.Logits(), full.Logits())
			for _, nd := range nodes {
				sameBits(t, tc.name+" "+nd.String(), from.Node(nd), full.Node(nd))
			}
			if !keep {
				continue
			}
			dl := make([]float32, B*T)
			for i := range dl {
				dl[i] = float32(math.Sin(float64(i)))
			}
			gFull, gFrom := n.NewGrads(), n.NewGrads()
			if err := n.Backward(wsFull, full, dl, gFull); err != nil {
				t.Fatal(err)
			}
			if err := n.Backward(wsFrom, from, dl, gFrom); err != nil {
				t.Fatal(err)
			}
			sameBits(t, tc.name+" gradients", gFrom.data, gFull.data)
			for i := range gFull.has {
				if gFull.has[i] != gFrom.has[i] {
					t.Fatalf("%s: has-gradient flag %d differs", tc.name, i)
				}
			}
		}
	}
}

// allHeads names every head of layer l.
func allHeads(H, l int) []string {
	var out []string
	for h := 0; h < H; h++ {
		out = append(out, Node{Hook: "blocks." + string(rune('0'+l)) + ".attn.hook_result", Head: h}.String())
	}
	return out
}

func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: element %d = %v, want %v", what, i, got[i], want[i])
		}
	}
}

func TestForwardFromErrors(t *testing.T) {
	cfg := testConfig()
	n := randNet(t, cfg, 1)
	other := randNet(t, cfg, 2)
	B, T := 4, 5
	tok := randTokens(B, T, cfg.DVocab, 1)
	head := Node{"blocks.1.attn.hook_result", 2}
	hv := make([]float32, B*T*cfg.DModel)
	for _, tc := range []struct {
		name string
		run  func() error
		want string
	}{
		{"same workspace", func() error {
			ws := NewWorkspace()
			c, _ := n.Forward(ws, tok, B, T, nil, false)
			_, err := n.ForwardFrom(ws, c, nil, false)
			return err
		}, "use another one"},
		{"stale", func() error {
			ws := NewWorkspace()
			c, _ := n.Forward(ws, tok, B, T, nil, false)
			n.Forward(ws, tok, B, T, nil, false)
			_, err := n.ForwardFrom(NewWorkspace(), c, nil, false)
			return err
		}, "stale"},
		{"patched clean", func() error {
			c, _ := n.Forward(NewWorkspace(), tok, B, T, []Patch{{head, hv}}, false)
			_, err := n.ForwardFrom(NewWorkspace(), c, nil, false)
			return err
		}, "without patches"},
		{"other net", func() error {
			c, _ := other.Forward(NewWorkspace(), tok, B, T, nil, false)
			_, err := n.ForwardFrom(NewWorkspace(), c, nil, false)
			return err
		}, "not from this Net"},
		{"updated", func() error {
			c, _ := n.Forward(NewWorkspace(), tok, B, T, nil, true)
			g := n.NewGrads()
			n.Backward(c.ws, c, make([]float32, B*T), g)
			NewAdam(n, 1e-3, 0.9, 0.999, 1e-8).Step(n, g)
			_, err := n.ForwardFrom(NewWorkspace(), c, nil, false)
			return err
		}, "parameters changed"},
		{"keep without keep", func() error {
			c, _ := n.Forward(NewWorkspace(), tok, B, T, nil, false)
			_, err := n.ForwardFrom(NewWorkspace(), c, nil, true)
			return err
		}, "keep=true"},
		{"bad patch", func() error {
			c, _ := n.Forward(NewWorkspace(), tok, B, T, nil, false)
			_, err := n.ForwardFrom(NewWorkspace(), c, []Patch{{head, hv[:5]}}, false)
			return err
		}, "5 values"},
	} {
		err := tc.run()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

// TestForwardFromAllocs checks that a patched ForwardFrom allocates only
// its Run once the buffers have grown.
func TestForwardFromAllocs(t *testing.T) {
	cfg := testConfig()
	n := randNet(t, cfg, 1)
	B, T := 16, 5
	tok := randTokens(B, T, cfg.DVocab, 1)
	ws, wsP := NewWorkspace(), NewWorkspace()
	ps := []Patch{{Node{"blocks.1.mlp.hook_post", -1}, make([]float32, B*T*cfg.DMLP)}}
	clean, err := n.Forward(ws, tok, B, T, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	step := func() {
		if _, err := n.ForwardFrom(wsP, clean, ps, false); err != nil {
			t.Fatal(err)
		}
	}
	step()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	if a := testing.AllocsPerRun(5, step); a > 1 {
		t.Fatalf("%v allocations per ForwardFrom, want at most 1 (the Run)", a)
	}
}
