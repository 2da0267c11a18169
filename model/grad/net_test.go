package grad

import (
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/glassbox-interp/glassbox/model"
	"github.com/glassbox-interp/glassbox/tensor"
)

// testConfig is the numerical fixture's shape (InterpBench case 3's LL).
func testConfig() model.Config {
	c := model.DefaultConfig()
	c.NLayers, c.NHeads, c.DHead, c.DModel, c.DMLP, c.NCtx = 2, 4, 3, 12, 48, 5
	c.DVocab, c.DVocabOut, c.ActFn, c.NormalizationType = 6, 1, "gelu", ""
	return c.WithDefaults()
}

// randNet returns a Net with N(0, 0.3²) weights and N(0, 0.1²) biases.
func randNet(t testing.TB, cfg model.Config, seed int64) *Net {
	t.Helper()
	n, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	n.InitNormal(seed, 0.3)
	r := uint64(seed)*2654435761 + 1
	for _, name := range n.Names() {
		if strings.Contains(name, ".b_") {
			p := n.param(name)
			for i := range p {
				r = r*6364136223846793005 + 1442695040888963407
				p[i] = float32(int64(r>>40)%2001-1000) / 10000
			}
		}
	}
	return n
}

func randTokens(B, T, V int, seed uint64) []int32 {
	out := make([]int32, B*T)
	for i := range out {
		seed = seed*6364136223846793005 + 1442695040888963407
		out[i] = int32((seed >> 33) % uint64(V))
	}
	return out
}

func TestNewRejectsUnsupported(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*model.Config)
		want string
	}{
		{"layernorm", func(c *model.Config) { c.NormalizationType = "LN" }, "normalization_type"},
		{"act", func(c *model.Config) { c.ActFn = "silu" }, "act_fn"},
		{"attn only", func(c *model.Config) { c.AttnOnly = true }, "attn_only"},
		{"rotary", func(c *model.Config) { c.PositionalEmbeddingType = "rotary" }, "positional_embedding_type"},
		{"gated", func(c *model.Config) { c.GatedMLP = true }, "gated_mlp"},
		{"no heads", func(c *model.Config) { c.NHeads, c.DHead = -1, 5 }, "n_heads"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := testConfig()
			tc.edit(&c)
			_, err := New(c)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: %v, want an error naming %s", err, tc.want)
			}
		})
	}
}

func TestNamesAndParams(t *testing.T) {
	n := randNet(t, testConfig(), 1)
	names := n.Names()
	if names[0] != "embed.W_E" || names[1] != "pos_embed.W_pos" || names[2] != "blocks.0.attn.W_Q" || names[len(names)-1] != "unembed.b_U" {
		t.Fatalf("names %v: not TransformerLens' state_dict order", names)
	}
	p := n.Params()
	if len(p) != len(names) {
		t.Fatalf("%d params, %d names", len(p), len(names))
	}
	if s := p["blocks.1.attn.W_O"].Shape; !tensor.SameShape(s, []int{4, 3, 12}) {
		t.Fatalf("W_O shape %v", s)
	}
	p["embed.W_E"].Data[0] = 42 // a copy: the net must not change
	if n.param("embed.W_E")[0] == 42 {
		t.Fatal("Params returned the net's own storage")
	}
	m, err := FromParams(n.Config(), n.Params())
	if err != nil {
		t.Fatal(err)
	}
	for i := range n.data {
		if m.data[i] != n.data[i] {
			t.Fatalf("FromParams(Params) differs at %d", i)
		}
	}
}

func TestFromParamsErrors(t *testing.T) {
	cfg := testConfig()
	base := randNet(t, cfg, 1)
	for _, tc := range []struct {
		name string
		edit func(map[string]*tensor.Tensor)
		want string
	}{
		{"missing weight", func(p map[string]*tensor.Tensor) { delete(p, "blocks.1.mlp.W_in") }, `no "blocks.1.mlp.W_in"`},
		{"bad shape", func(p map[string]*tensor.Tensor) { p["unembed.W_U"] = tensor.New(12, 2) }, "unembed.W_U"},
		{"short data", func(p map[string]*tensor.Tensor) { p["unembed.b_U"] = &tensor.Tensor{Shape: []int{1}} }, "unembed.b_U"},
		{"unknown key", func(p map[string]*tensor.Tensor) { p["ln_final.w"] = tensor.New(12) }, "ln_final.w"},
		{"finite IGNORE", func(p map[string]*tensor.Tensor) {
			p["blocks.0.attn.IGNORE"] = &tensor.Tensor{Shape: []int{}, Data: []float32{-1e5}}
		}, "IGNORE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := base.Params()
			tc.edit(p)
			_, err := FromParams(cfg, p)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("FromParams: %v, want an error naming %s", err, tc.want)
			}
		})
	}
	// Absent biases are zero; the mask buffers and a -inf IGNORE are accepted.
	p := base.Params()
	delete(p, "blocks.0.attn.b_Q")
	p["blocks.0.attn.mask"] = tensor.New(5, 5)
	p["blocks.0.attn.IGNORE"] = &tensor.Tensor{Shape: []int{}, Data: []float32{float32(math.Inf(-1))}}
	n, err := FromParams(cfg, p)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range n.param("blocks.0.attn.b_Q") {
		if v != 0 {
			t.Fatal("absent b_Q is not zero")
		}
	}
}

func TestInitNormal(t *testing.T) {
	a, _ := New(testConfig())
	b, _ := New(testConfig())
	a.InitNormal(7, 0.5)
	b.InitNormal(7, 0.5)
	for i := range a.data {
		if a.data[i] != b.data[i] {
			t.Fatal("InitNormal is not deterministic")
		}
	}
	for _, name := range a.Names() {
		p := a.param(name)
		isW := strings.Contains(name, ".W_")
		ss := 0.0
		for _, v := range p {
			ss += float64(v) * float64(v)
		}
		if !isW && ss != 0 {
			t.Errorf("%s: bias not zero", name)
		}
		if isW && len(p) >= 100 {
			if std := math.Sqrt(ss / float64(len(p))); std < 0.4 || std > 0.6 {
				t.Errorf("%s: std %.3f, want about 0.5", name, std)
			}
		}
	}
	b.InitNormal(8, 0.5)
	if a.data[0] == b.data[0] && a.data[1] == b.data[1] {
		t.Error("a different seed gave the same weights")
	}
}

// TestMatchesModel checks Forward without patches against package model's
// inference engine on the same weights: logits, hook_result, hook_post.
func TestMatchesModel(t *testing.T) {
	for _, dir := range []string{"causal", "bidirectional"} {
		for _, act := range []string{"gelu", "relu"} {
			t.Run(dir+"/"+act, func(t *testing.T) {
				cfg := testConfig()
				cfg.AttentionDir, cfg.ActFn, cfg.DVocabOut = dir, act, 3
				cfg.DModel = 10 // ≠ n_heads·d_head
				n := randNet(t, cfg, 3)
				m, err := n.Model()
				if err != nil {
					t.Fatal(err)
				}
				B, T := 7, 5
				tok := randTokens(B, T, cfg.DVocab, 9)
				rows := make([][]int, B)
				for b := range rows {
					for _, id := range tok[b*T : (b+1)*T] {
						rows[b] = append(rows[b], int(id))
					}
				}
				run, err := n.Forward(NewWorkspace(), tok, B, T, nil, false)
				if err != nil {
					t.Fatal(err)
				}
				hooks := []string{"blocks.0.attn.hook_result", "blocks.1.attn.hook_result", "blocks.0.mlp.hook_post", "blocks.1.mlp.hook_post"}
				logits, cache, err := m.RunWithCache(rows, hooks...)
				if err != nil {
					t.Fatal(err)
				}
				if err := closeTo(run.Logits(), logits.Data, floor); err != nil {
					t.Errorf("logits: %v", err)
				}
				for l := 0; l < 2; l++ {
					post := cache[hooks[2+l]].Data
					if err := closeTo(run.Node(Node{Hook: hooks[2+l], Head: -1}), post, floor); err != nil {
						t.Errorf("%s: %v", hooks[2+l], err)
					}
					res := cache[hooks[l]].Data // [B,T,H,D]
					H, D := cfg.NHeads, cfg.DModel
					for h := 0; h < H; h++ {
						want := make([]float32, 0, B*T*D)
						for r := 0; r < B*T; r++ {
							want = append(want, res[(r*H+h)*D:(r*H+h+1)*D]...)
						}
						if err := closeTo(run.Node(Node{Hook: hooks[l], Head: h}), want, floor); err != nil {
							t.Errorf("%s[%d]: %v", hooks[l], h, err)
						}
					}
				}
			})
		}
	}
}

// TestMatchesReference checks the fast Forward and Backward against the
// float64 reference on configurations the fixtures do not cover, with the
// tolerance of the PyTorch fixtures (see rtol), except in the three-layer
// net, where float32 rounding reaches 4e-6·max|tensor| (a W_Q entry of
// the last layer) and the floor is 0.5.
func TestMatchesReference(t *testing.T) {
	for _, tc := range []struct {
		name    string
		edit    func(*model.Config)
		patches []string
		floor   float64
	}{
		{"causal gelu", func(c *model.Config) {}, nil, 0},
		{"bidirectional relu", func(c *model.Config) { c.AttentionDir, c.ActFn = "bidirectional", "relu" }, nil, 0},
		{"wide vocab, d_model 7", func(c *model.Config) { c.DModel, c.DVocabOut, c.DVocab = 7, 5, 9 }, []string{"blocks.0.attn.hook_result[2]"}, 0},
		{"all heads of a layer", func(c *model.Config) {}, []string{"blocks.1.attn.hook_result[0]", "blocks.1.attn.hook_result[1]",
			"blocks.1.attn.hook_result[2]", "blocks.1.attn.hook_result[3]", "blocks.0.mlp.hook_post"}, 0},
		{"scaled", func(c *model.Config) { c.AttnScale = 0.7; c.ScaleAttnByInverseLayerIdx = true }, []string{"blocks.1.mlp.hook_post"}, 0},
		{"three layers", func(c *model.Config) { c.NLayers = 3 }, []string{"blocks.2.attn.hook_result[1]", "blocks.0.attn.hook_result[3]"}, 0.5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			tc.edit(&cfg)
			n := randNet(t, cfg, 5)
			B, T := 19, 4 // more rows than chunks; T < n_ctx
			var patches []Patch
			for i, s := range tc.patches {
				nd, err := ParseNode(s)
				if err != nil {
					t.Fatal(err)
				}
				v := make([]float32, B*T*nd.Width(cfg))
				for j := range v {
					v[j] = float32(math.Sin(float64(j*7+i))) * 0.5
				}
				patches = append(patches, Patch{Node: nd, Values: v})
			}
			tok := randTokens(B, T, cfg.DVocab, 11)
			ws := NewWorkspace()
			run, err := n.Forward(ws, tok, B, T, patches, true)
			if err != nil {
				t.Fatal(err)
			}
			dl := make([]float32, B*T*cfg.DVocabOut)
			for i := range dl {
				dl[i] = float32(math.Cos(float64(i))) / 10
			}
			g := n.NewGrads()
			if err := n.Backward(ws, run, dl, g); err != nil {
				t.Fatal(err)
			}
			logits, grads := refRun(n, tok, B, T, patches, dl)
			floor := max(tc.floor, floor)
			if err := closeTo(run.Logits(), f32(logits), floor); err != nil {
				t.Errorf("logits: %v", err)
			}
			for _, p := range n.Names() {
				if strings.HasSuffix(p, ".b_K") {
					if err := noiseOnly(g.Get(p), f32(grads[p]), f32(grads[strings.TrimSuffix(p, "b_K")+"b_Q"])); err != nil {
						t.Errorf("grad %s: %v", p, err)
					}
					continue
				}
				if err := closeTo(g.Get(p), f32(grads[p]), floor); err != nil {
					t.Errorf("grad %s: %v", p, err)
				}
			}
		})
	}
}

func f32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// TestPatchStopsGradient checks that a patched node is a constant: the
// parameters that only compute it get no gradient (and are marked as
// having none), while everything else still does.
func TestPatchStopsGradient(t *testing.T) {
	cfg := testConfig()
	n := randNet(t, cfg, 2)
	B, T := 3, 5
	H, D, dh := cfg.NHeads, cfg.DModel, cfg.DHead
	tok := randTokens(B, T, cfg.DVocab, 3)
	src, err := n.Forward(NewWorkspace(), randTokens(B, T, cfg.DVocab, 4), B, T, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	head := Node{Hook: "blocks.0.attn.hook_result", Head: 2}
	mlp := Node{Hook: "blocks.1.mlp.hook_post", Head: -1}
	ws := NewWorkspace()
	run, err := n.Forward(ws, tok, B, T, []Patch{{head, src.Node(head)}, {mlp, src.Node(mlp)}}, true)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := run.Node(head), src.Node(head); got[5] != want[5] {
		t.Fatal("Node of a patched head is not the patch")
	}
	dl := make([]float32, B*T)
	for i := range dl {
		dl[i] = 1
	}
	g := n.NewGrads()
	if err := n.Backward(ws, run, dl, g); err != nil {
		t.Fatal(err)
	}
	nonzero := func(v []float32) bool {
		for _, x := range v {
			if x != 0 {
				return true
			}
		}
		return false
	}
	for _, name := range []string{"blocks.1.mlp.W_in", "blocks.1.mlp.b_in"} {
		if nonzero(g.Get(name)) || g.Has(name) {
			t.Errorf("%s has a gradient through a patched hook_post", name)
		}
	}
	if !nonzero(g.Get("blocks.1.mlp.W_out")) || !g.Has("blocks.1.mlp.W_out") {
		t.Error("W_out after a patched hook_post got no gradient")
	}
	for _, name := range []string{"blocks.0.attn.W_Q", "blocks.0.attn.W_K", "blocks.0.attn.W_V"} {
		w := g.Get(name)
		if nonzero(w[2*D*dh : 3*D*dh]) {
			t.Errorf("%s[head 2] has a gradient through its patched hook_result", name)
		}
		if !nonzero(w[:D*dh]) || !g.Has(name) {
			t.Errorf("%s[head 0] got no gradient", name)
		}
	}
	if wo := g.Get("blocks.0.attn.W_O"); nonzero(wo[2*dh*D : 3*dh*D]) {
		t.Error("W_O[head 2] has a gradient through its patched hook_result")
	}
	for _, name := range n.Names() {
		if name != "blocks.1.mlp.W_in" && name != "blocks.1.mlp.b_in" && !g.Has(name) {
			t.Errorf("%s marked as having no gradient", name)
		}
	}
	_ = H
}

// TestDeterministicAcrossProcs checks that Forward and Backward give the
// same bits whatever GOMAXPROCS is.
func TestDeterministicAcrossProcs(t *testing.T) {
	cfg := testConfig()
	n := randNet(t, cfg, 4)
	B, T := 37, 5
	tok := randTokens(B, T, cfg.DVocab, 5)
	run := func(procs int) ([]float32, []float32) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		ws := NewWorkspace()
		r, err := n.Forward(ws, tok, B, T, nil, true)
		if err != nil {
			t.Fatal(err)
		}
		dl := make([]float32, B*T)
		for i := range dl {
			dl[i] = float32(i%7) - 3
		}
		g := n.NewGrads()
		if err := n.Backward(ws, r, dl, g); err != nil {
			t.Fatal(err)
		}
		return append([]float32(nil), r.Logits()...), g.data
	}
	l1, g1 := run(1)
	l2, g2 := run(2)
	l4, g4 := run(4)
	for i := range l1 {
		if math.Float32bits(l1[i]) != math.Float32bits(l2[i]) || math.Float32bits(l1[i]) != math.Float32bits(l4[i]) {
			t.Fatalf("logit %d differs across GOMAXPROCS", i)
		}
	}
	for i := range g1 {
		if math.Float32bits(g1[i]) != math.Float32bits(g2[i]) || math.Float32bits(g1[i]) != math.Float32bits(g4[i]) {
			t.Fatalf("gradient %d differs across GOMAXPROCS", i)
		}
	}
}
