package model

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glassbox-interp/glassbox/tensor"
)

// tiny returns a small random model (deterministic values) for API tests.
func tiny(t *testing.T, mutate func(*Config)) *Model {
	t.Helper()
	cfg := DefaultConfig()
	cfg.NLayers, cfg.DModel, cfg.NCtx, cfg.DHead, cfg.NHeads, cfg.DMLP = 2, 6, 4, 3, 2, 5
	cfg.DVocab, cfg.ActFn, cfg.NormalizationType = 5, "gelu", ""
	if mutate != nil {
		mutate(&cfg)
	}
	names, shapes := ParamShapes(cfg.WithDefaults())
	params := map[string]*tensor.Tensor{}
	seed := uint32(1)
	for _, n := range names {
		p := tensor.New(shapes[n]...)
		for i := range p.Data {
			seed = seed*1664525 + 1013904223
			p.Data[i] = float32(int(seed>>24)-128) / 256
		}
		params[n] = p
	}
	m, err := New(cfg, params)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestConfigDefaults(t *testing.T) {
	c := DefaultConfig()
	c.DModel, c.DHead, c.NLayers, c.NCtx, c.DVocab, c.ActFn = 12, 4, 1, 5, 7, "relu"
	c = c.WithDefaults()
	if c.NHeads != 3 || c.DMLP != 48 || c.DVocabOut != 7 || c.AttnScale != 2 || c.Eps != 1e-5 {
		t.Errorf("defaults: %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
	c.AttnOnly, c.DMLP = true, 0
	if c.WithDefaults().DMLP != 0 {
		t.Error("attn_only got a d_mlp default")
	}
	off := DefaultConfig()
	off.UseAttnScale, off.DHead = false, 9
	if off.WithDefaults().AttnScale != 1 {
		t.Error("use_attn_scale false should give attn_scale 1")
	}
}

func TestParseConfigNullsAndUnknown(t *testing.T) {
	js := `{"n_layers":1,"d_model":8,"n_ctx":4,"d_head":2,"n_heads":4,"d_vocab":5,"act_fn":"gelu",
	        "normalization_type":null,"d_mlp":null,"tokenizer_name":null,"init_mode":"gpt2"}`
	c, unknown, err := ParseConfig([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	if c.NormalizationType != "" || c.DMLP != 32 || !c.UseAttnScale || c.AttnScale != math.Sqrt2 {
		t.Errorf("parsed %+v", c)
	}
	if strings.Join(unknown, ",") != "init_mode,tokenizer_name" {
		t.Errorf("unknown = %v", unknown)
	}
	if _, _, err := ParseConfig([]byte(`{"d_model":"nine"}`)); err == nil || !strings.Contains(err.Error(), `"d_model"`) {
		t.Errorf("type error = %v", err)
	}
}

func TestValidate(t *testing.T) {
	base := tiny(t, nil).Config()
	cases := []struct {
		mut  func(*Config)
		want string
	}{
		{func(c *Config) { c.DModel = 0 }, "d_model"},
		{func(c *Config) { c.ActFn = "tanh" }, "act_fn"},
		{func(c *Config) { c.NormalizationType = "BN" }, "normalization_type"},
		{func(c *Config) { c.AttentionDir = "sideways" }, "attention_dir"},
		{func(c *Config) { c.PositionalEmbeddingType = "rotary" }, "positional_embedding_type"},
		{func(c *Config) { c.GatedMLP = true }, "gated_mlp"},
		{func(c *Config) { c.Eps = -1 }, "eps"},
	}
	for _, tc := range cases {
		c := base
		tc.mut(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate = %v, want mention of %s", err, tc.want)
		}
	}
}

func TestNewErrors(t *testing.T) {
	m := tiny(t, nil)
	cfg := m.Config()
	cases := []struct {
		name string
		mut  func(map[string]*tensor.Tensor)
		want string
	}{
		{"missing", func(p map[string]*tensor.Tensor) { delete(p, "blocks.1.attn.W_K") }, `no "blocks.1.attn.W_K" (want shape [2,6,3])`},
		{"shape", func(p map[string]*tensor.Tensor) { p["unembed.W_U"] = tensor.New(5, 6) }, `"unembed.W_U" has shape [5,6], want [6,5]`},
		{"extra", func(p map[string]*tensor.Tensor) { p["blocks.9.mlp.W_in"] = tensor.New(1) }, "unexpected keys blocks.9.mlp.W_in"},
		{"bad data", func(p map[string]*tensor.Tensor) {
			p["embed.W_E"] = &tensor.Tensor{Shape: []int{5, 6}, Data: make([]float32, 3)}
		}, "3 values"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := m.Params()
			tc.mut(p)
			_, err := New(cfg, p)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	// Absent biases default to zero; mask buffers are accepted.
	p := m.Params()
	delete(p, "blocks.0.attn.b_Q")
	p["blocks.0.attn.mask"] = tensor.New(4, 4)
	m2, err := New(cfg, p)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range m2.Params()["blocks.0.attn.b_Q"].Data {
		if v != 0 {
			t.Fatal("absent b_Q not zero")
		}
	}
}

func TestBadTokensAndHooks(t *testing.T) {
	m := tiny(t, nil)
	cases := []struct {
		tokens [][]int
		want   string
	}{
		{nil, "empty batch"},
		{[][]int{{0, 1}, {2}}, "row 1 has 1 positions"},
		{[][]int{{0, 5}}, "row 0 position 1 is 5, want an id in [0, 5)"},
		{[][]int{{-1}}, "is -1"},
		{[][]int{{0, 1, 2, 3, 4}}, "n_ctx=4"},
		{[][]int{{}}, "sequence length 0"},
	}
	for _, tc := range cases {
		if _, err := m.Forward(tc.tokens); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Forward(%v) err = %v, want %q", tc.tokens, err, tc.want)
		}
	}
	ok := [][]int{{0, 1, 2}}
	if _, _, err := m.RunWithCache(ok, "blocks.0.hook_nope"); err == nil || !strings.Contains(err.Error(), `unknown hook "blocks.0.hook_nope"`) {
		t.Errorf("unknown cache name: %v", err)
	}
	if _, _, err := m.RunWithCache(ok, "blocks.0.ln1.hook_scale"); err == nil {
		t.Error("ln1 hook accepted on a model without LayerNorm")
	}
	if _, err := m.RunWithHooks(ok, []Hook{{Name: "blocks.2.hook_resid_post", Fn: func(*tensor.Tensor) error { return nil }}}); err == nil {
		t.Error("hook on a layer that does not exist accepted")
	}
	boom := errors.New("boom")
	_, err := m.RunWithHooks(ok, []Hook{{Name: "blocks.1.attn.hook_z", Fn: func(*tensor.Tensor) error { return boom }}})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "blocks.1.attn.hook_z") {
		t.Errorf("hook error = %v", err)
	}
	_, err = m.RunWithHooks(ok, []Hook{{Name: "hook_embed", Fn: func(a *tensor.Tensor) error { a.Shape = []int{3, 6}; return nil }}})
	if err == nil || !strings.Contains(err.Error(), "changed the activation's shape") {
		t.Errorf("shape change error = %v", err)
	}
}

// TestHooksReplace checks that replacing activations changes the forward
// pass exactly as the residual-stream algebra says.
func TestHooksReplace(t *testing.T) {
	m := tiny(t, nil)
	tokens := [][]int{{0, 1, 2, 3}, {4, 3, 2, 1}}
	_, base, err := m.RunWithCache(tokens)
	if err != nil {
		t.Fatal(err)
	}
	// Zero-ablating the last MLP makes resid_post equal resid_mid.
	zero := func(a *tensor.Tensor) error { clear(a.Data); return nil }
	_, c, err := m.Run(tokens, RunOptions{Hooks: []Hook{{"blocks.1.hook_mlp_out", zero}}, Cache: []string{"blocks.1.hook_resid_post", "blocks.1.hook_mlp_out", "blocks.1.hook_resid_mid"}})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range c["blocks.1.hook_resid_post"].Data {
		if v != c["blocks.1.hook_resid_mid"].Data[i] {
			t.Fatalf("ablated resid_post[%d] = %v, resid_mid = %v", i, v, c["blocks.1.hook_resid_mid"].Data[i])
		}
	}
	for _, v := range c["blocks.1.hook_mlp_out"].Data {
		if v != 0 {
			t.Fatal("cache holds the pre-hook value")
		}
	}
	// Patching: feeding the recorded z back in reproduces the logits, and a
	// uniform pattern changes them.
	logits0, _ := m.Forward(tokens)
	rec := base["blocks.0.attn.hook_z"]
	patch := func(a *tensor.Tensor) error { copy(a.Data, rec.Data); return nil }
	logits1, err := m.RunWithHooks(tokens, []Hook{{"blocks.0.attn.hook_z", patch}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range logits0.Data {
		if logits0.Data[i] != logits1.Data[i] {
			t.Fatal("patching z with its own value changed the logits")
		}
	}
	// Replacing a per-head result only matters through hook_attn_out.
	var sumResult []float32
	_, c2, err := m.Run(tokens, RunOptions{
		Hooks: []Hook{{"blocks.0.attn.hook_result", func(a *tensor.Tensor) error {
			for i := range a.Data {
				a.Data[i] *= 2
			}
			return nil
		}}},
		Cache: []string{"blocks.0.hook_attn_out"},
	})
	if err != nil {
		t.Fatal(err)
	}
	bO := m.Params()["blocks.0.attn.b_O"].Data
	sumResult = c2["blocks.0.hook_attn_out"].Data
	for i, v := range sumResult {
		want := 2*(base["blocks.0.hook_attn_out"].Data[i]-bO[i%6]) + bO[i%6]
		if math.Abs(float64(v-want)) > 1e-5 {
			t.Fatalf("doubled heads: attn_out[%d] = %v, want %v", i, v, want)
		}
	}
	// q_input replaced by zeros: q = b_Q for every position.
	_, c3, err := m.Run(tokens, RunOptions{Hooks: []Hook{{"blocks.1.hook_q_input", zero}}, Cache: []string{"blocks.1.attn.hook_q", "blocks.1.attn.hook_k"}})
	if err != nil {
		t.Fatal(err)
	}
	bQ := m.Params()["blocks.1.attn.b_Q"].Data
	for i, v := range c3["blocks.1.attn.hook_q"].Data {
		if v != bQ[i%len(bQ)] {
			t.Fatalf("q with zero input [%d] = %v, want b_Q %v", i, v, bQ[i%len(bQ)])
		}
	}
	_, ref, _ := m.RunWithCache(tokens, "blocks.1.attn.hook_k")
	for i, v := range c3["blocks.1.attn.hook_k"].Data {
		if v != ref["blocks.1.attn.hook_k"].Data[i] {
			t.Fatal("zeroing q_input changed k")
		}
	}
	// A batch's rows are independent: row 1 alone gives the same logits.
	single, _ := m.Forward(tokens[1:])
	for i, v := range single.Data {
		if v != logits0.Data[len(single.Data)+i] {
			t.Fatal("row result depends on the other rows of the batch")
		}
	}
}

func TestCausality(t *testing.T) {
	for _, dir := range []string{"causal", "bidirectional"} {
		m := tiny(t, func(c *Config) { c.AttentionDir = dir })
		a, _ := m.Forward([][]int{{1, 2, 3, 4}})
		b, _ := m.Forward([][]int{{1, 2, 3, 0}})
		V := m.Config().DVocabOut
		same := true
		for i := 0; i < 3*V; i++ {
			if a.Data[i] != b.Data[i] {
				same = false
			}
		}
		if same != (dir == "causal") {
			t.Errorf("%s: earlier positions unchanged by a later token = %v", dir, same)
		}
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	m := tiny(t, func(c *Config) { c.NormalizationType = "LN"; c.ActFn = "gelu_new" })
	dir := filepath.Join(t.TempDir(), "m")
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	m2, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m2.Config() != m.Config() && !sameConfig(m2.Config(), m.Config()) {
		t.Errorf("config changed: %+v vs %+v", m2.Config(), m.Config())
	}
	tokens := [][]int{{1, 0, 4}}
	a, _ := m.Forward(tokens)
	b, _ := m2.Forward(tokens)
	for i := range a.Data {
		if a.Data[i] != b.Data[i] {
			t.Fatal("reloaded model gives different logits")
		}
	}
	os.WriteFile(filepath.Join(dir, ConfigFile), []byte(`{"n_layers": 1}`), 0o644)
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "config.json") {
		t.Errorf("bad config error = %v", err)
	}
	if _, err := Load(t.TempDir()); err == nil {
		t.Error("empty dir loaded")
	}
}

func sameConfig(a, b Config) bool {
	a.Seed, b.Seed = nil, nil
	return a == b
}

func TestHookNamesOrder(t *testing.T) {
	m := tiny(t, func(c *Config) { c.NormalizationType = "LN" })
	names := HookNames(m.Config())
	var fired []string
	var hooks []Hook
	for _, n := range names {
		n := n
		hooks = append(hooks, Hook{n, func(*tensor.Tensor) error { fired = append(fired, n); return nil }})
	}
	if _, err := m.RunWithHooks([][]int{{1, 2}}, hooks); err != nil {
		t.Fatal(err)
	}
	if strings.Join(fired, " ") != strings.Join(names, " ") {
		t.Errorf("hooks fired in order\n%v\nHookNames\n%v", fired, names)
	}
}

func TestIgnoreBufferAndLayerScale(t *testing.T) {
	m := tiny(t, nil)
	p := m.Params()
	p["blocks.0.attn.IGNORE"] = &tensor.Tensor{Shape: []int{}, Data: []float32{-1e5}}
	m2, err := New(m.Config(), p)
	if err != nil {
		t.Fatal(err)
	}
	tokens := [][]int{{1, 2, 3}}
	_, a, _ := m.RunWithCache(tokens, "blocks.0.attn.hook_attn_scores", "blocks.0.attn.hook_pattern")
	_, b, _ := m2.RunWithCache(tokens, "blocks.0.attn.hook_attn_scores", "blocks.0.attn.hook_pattern")
	if got := b["blocks.0.attn.hook_attn_scores"].At(0, 0, 0, 2); got != -1e5 {
		t.Errorf("masked score with IGNORE=-1e5 is %v", got)
	}
	if got := a["blocks.0.attn.hook_attn_scores"].At(0, 0, 0, 2); !math.IsInf(float64(got), -1) {
		t.Errorf("masked score without IGNORE buffer is %v, want -inf", got)
	}
	for i, v := range a["blocks.0.attn.hook_pattern"].Data {
		if v != b["blocks.0.attn.hook_pattern"].Data[i] {
			t.Fatal("IGNORE -1e5 and -inf give different patterns")
		}
	}
	// scale_attn_by_inverse_layer_idx divides layer 1's scores by 2 more.
	cfg := m.Config()
	cfg.ScaleAttnByInverseLayerIdx = true
	m3, err := New(cfg, m.Params())
	if err != nil {
		t.Fatal(err)
	}
	_, c0, _ := m.RunWithCache(tokens, "blocks.1.attn.hook_attn_scores", "blocks.1.attn.hook_q", "blocks.1.attn.hook_k")
	_, c3, _ := m3.RunWithCache(tokens, "blocks.1.attn.hook_attn_scores", "blocks.1.attn.hook_q", "blocks.1.attn.hook_k")
	// Same q/k only if layer 0 is unchanged (its scale is ×1).
	for i, v := range c3["blocks.1.attn.hook_q"].Data {
		if v != c0["blocks.1.attn.hook_q"].Data[i] {
			t.Fatal("layer 0 changed")
		}
	}
	if got, want := c3["blocks.1.attn.hook_attn_scores"].At(0, 1, 1, 0), c0["blocks.1.attn.hook_attn_scores"].At(0, 1, 1, 0)/2; math.Abs(float64(got-want)) > 1e-6 {
		t.Errorf("layer-1 score %v, want %v", got, want)
	}
}

func TestActivations(t *testing.T) {
	// Values at x = 1 and x = -2 from the closed forms (erf / tanh / sigmoid).
	cases := []struct {
		fn     string
		at1    float64
		atNeg2 float64
	}{
		{"relu", 1, 0},
		{"gelu", 0.8413447460685429, -0.04550026389635842},
		{"gelu_new", 0.8411919906082768, -0.04540230591222},
		{"gelu_pytorch_tanh", 0.8411919906082768, -0.04540230591222},
		{"gelu_fast", 0.8411919906082768, -0.04540230591222},
		{"silu", 0.7310585786300049, -0.23840584404423515},
	}
	for _, c := range cases {
		out := make([]float32, 2)
		activate(out, []float32{1, -2}, c.fn)
		if math.Abs(float64(out[0])-c.at1) > 1e-6 || math.Abs(float64(out[1])-c.atNeg2) > 1e-6 {
			t.Errorf("%s(1, -2) = %v, want %v, %v", c.fn, out, c.at1, c.atNeg2)
		}
	}
}

func TestSoftmaxEdgeCases(t *testing.T) {
	inf := float32(math.Inf(1))
	nan := float32(math.NaN())
	src := []float32{
		0, 0, float32(math.Inf(-1)), // ordinary with a masked entry
		-inf, -inf, -inf, // all masked: zeros
		1, nan, 2, // NaN input: zeros
		1, inf, 2, // +inf input: NaN in torch, zeros
	}
	dst := make([]float32, len(src))
	softmaxRows(dst, src, 4, 3)
	want := []float32{0.5, 0.5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	for i := range want {
		if dst[i] != want[i] {
			t.Fatalf("softmax = %v, want %v", dst, want)
		}
	}
}

func TestLoadTorchErrors(t *testing.T) {
	// Weights of one fixture with the config of another: shapes disagree.
	_, _, err := LoadTorch("testdata/ib_causal/ll_model.pth", "testdata/ln_gelu_new/ll_model_cfg.pkl")
	if err == nil || !strings.Contains(err.Error(), "testdata/ib_causal/ll_model.pth") || !strings.Contains(err.Error(), "has shape") {
		t.Errorf("mismatched config: %v", err)
	}
	_, _, err = LoadTorch("testdata/ib_causal/ll_model_cfg.pkl", "testdata/ib_causal/ll_model_cfg.pkl")
	if err == nil || !strings.Contains(err.Error(), "ll_model_cfg.pkl") {
		t.Errorf("pickle as weights: %v", err)
	}
	_, _, err = LoadTorch("testdata/ib_causal/ll_model.pth", "testdata/ib_causal/ll_model.pth")
	if err == nil || !strings.Contains(err.Error(), "ll_model.pth") {
		t.Errorf("zip as config: %v", err)
	}
	if _, err := Open("testdata/ib_causal/ll_model.pth"); err == nil || !strings.Contains(err.Error(), "want a directory") {
		t.Errorf("Open(file): %v", err)
	}
}
