package model

import (
	"math"
	"strings"
	"testing"

	"github.com/glassbox-interp/glassbox/tensor"
)

// TestRunFromMatchesSplice replaces the activation at every residual-stream
// write of several models (LN, RMS, attn_only, packed weights) with other
// values and checks that resuming at SplicePoint from base + replacement
// gives bit-identical logits to the full hooked run.
func TestRunFromMatchesSplice(t *testing.T) {
	packed, ptoks := packedModel(t)
	models := []struct {
		name   string
		m      *Model
		tokens [][]int
	}{
		{"plain", tiny(t, nil), [][]int{{1, 2, 3, 4}, {0, 0, 4, 1}, {3, 1, 2, 2}}},
		{"LN", tiny(t, func(c *Config) { c.NormalizationType = "LN" }), [][]int{{1, 2, 3}, {4, 0, 1}}},
		{"RMS causal", tiny(t, func(c *Config) { c.NormalizationType, c.AttentionDir = "RMS", "causal" }), [][]int{{1, 2, 3, 0}}},
		{"attn_only", tiny(t, func(c *Config) { c.AttnOnly = true }), [][]int{{1, 2, 3, 4}, {2, 2, 2, 2}}},
		{"packed", packed, ptoks},
	}
	for _, tc := range models {
		cfg := tc.m.Config()
		for _, hook := range HookNames(cfg) {
			if _, _, ok := residPoint(hook); !ok {
				continue
			}
			start, base, err := SplicePoint(cfg, hook)
			if err != nil {
				t.Fatalf("%s %s: %v", tc.name, hook, err)
			}
			B, T := len(tc.tokens), len(tc.tokens[0])
			repl := tensor.New(B, T, cfg.DModel)
			for i := range repl.Data {
				repl.Data[i] = float32(math.Sin(float64(i)*0.37)) * 0.8
			}
			want, err := tc.m.RunWithHooks(tc.tokens, []Hook{{Name: hook, Fn: func(a *tensor.Tensor) error {
				copy(a.Data, repl.Data)
				return nil
			}}})
			if err != nil {
				t.Fatal(err)
			}
			in := repl.Clone()
			if base != "" {
				_, cache, err := tc.m.RunWithCache(tc.tokens, base)
				if err != nil {
					t.Fatal(err)
				}
				for i, v := range cache[base].Data {
					in.Data[i] = v + in.Data[i]
				}
			}
			keep := in.Clone()
			got, _, err := tc.m.RunFrom(start, in, RunOptions{})
			if err != nil {
				t.Fatalf("%s %s: %v", tc.name, hook, err)
			}
			if !tensor.SameShape(got.Shape, want.Shape) {
				t.Fatalf("%s %s: shape %v, want %v", tc.name, hook, got.Shape, want.Shape)
			}
			for i := range want.Data {
				if math.Float32bits(got.Data[i]) != math.Float32bits(want.Data[i]) {
					t.Fatalf("%s splice at %s (start %s): logit %d = %v, full run %v", tc.name, hook, start, i, got.Data[i], want.Data[i])
				}
			}
			for i := range in.Data {
				if in.Data[i] != keep.Data[i] {
					t.Fatalf("%s %s: RunFrom modified its input", tc.name, hook)
				}
			}
		}
	}
}

// TestRunFromHooksAndCache checks that hooks at and after the start point
// fire and are cached, and that the whole model run from blocks.0's
// resid_pre equals Forward.
func TestRunFromHooksAndCache(t *testing.T) {
	m := tiny(t, func(c *Config) { c.NormalizationType = "LN" })
	tokens := [][]int{{1, 2, 3, 4}, {4, 3, 2, 1}}
	want, cache, err := m.RunWithCache(tokens)
	if err != nil {
		t.Fatal(err)
	}
	got, c2, err := m.RunFrom("blocks.0.hook_resid_pre", cache["blocks.0.hook_resid_pre"], RunOptions{CacheAll: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := range want.Data {
		if got.Data[i] != want.Data[i] {
			t.Fatalf("logit %d: %v, want %v", i, got.Data[i], want.Data[i])
		}
	}
	if _, ok := c2["hook_embed"]; ok {
		t.Error("RunFrom cached hook_embed, which comes before the start")
	}
	for _, n := range []string{"blocks.0.hook_resid_pre", "blocks.1.mlp.hook_post", "ln_final.hook_normalized"} {
		if c2[n] == nil {
			t.Errorf("RunFrom did not cache %s", n)
			continue
		}
		for i, v := range cache[n].Data {
			if c2[n].Data[i] != v {
				t.Fatalf("%s[%d]: %v, want %v", n, i, c2[n].Data[i], v)
			}
		}
	}
	fired := 0
	_, _, err = m.RunFrom("blocks.1.hook_resid_mid", cache["blocks.1.hook_resid_mid"], RunOptions{Hooks: []Hook{
		{Name: "blocks.1.hook_resid_mid", Fn: func(*tensor.Tensor) error { fired++; return nil }},
		{Name: "blocks.1.hook_resid_post", Fn: func(*tensor.Tensor) error { fired++; return nil }},
	}})
	if err != nil || fired != 2 {
		t.Fatalf("hooks fired %d times (err %v), want 2", fired, err)
	}
}

func TestRunFromErrors(t *testing.T) {
	m := tiny(t, nil)
	ok := tensor.New(1, 3, 6)
	for _, tc := range []struct {
		start string
		resid *tensor.Tensor
		opt   RunOptions
		want  string
	}{
		{"blocks.0.hook_mlp_out", ok, RunOptions{}, "want blocks.L.hook_resid_pre"},
		{"blocks.5.hook_resid_pre", ok, RunOptions{}, "want blocks.L.hook_resid_pre"},
		{"hook_embed", ok, RunOptions{}, "want blocks.L.hook_resid_pre"},
		{"blocks.0.hook_resid_pre", nil, RunOptions{}, "residual stream is nil"},
		{"blocks.0.hook_resid_pre", tensor.New(1, 3, 5), RunOptions{}, "want [B, T≤4, 6]"},
		{"blocks.0.hook_resid_pre", tensor.New(1, 5, 6), RunOptions{}, "want [B, T≤4, 6]"},
		{"blocks.1.hook_resid_pre", ok, RunOptions{Cache: []string{"blocks.0.hook_mlp_out"}}, "comes before the start"},
		{"blocks.1.hook_resid_pre", ok, RunOptions{Hooks: []Hook{{Name: "hook_embed", Fn: func(*tensor.Tensor) error { return nil }}}}, "comes before the start"},
		{"blocks.1.hook_resid_pre", ok, RunOptions{Cache: []string{"blocks.9.hook_mlp_out"}}, "unknown hook"},
	} {
		_, _, err := m.RunFrom(tc.start, tc.resid, tc.opt)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("RunFrom(%s): error %v, want one containing %q", tc.start, err, tc.want)
		}
	}
	for _, h := range []string{"blocks.0.attn.hook_z", "blocks.3.hook_mlp_out", "hook_embed"} {
		if _, _, err := SplicePoint(m.Config(), h); err == nil {
			t.Errorf("SplicePoint(%s): no error", h)
		}
	}
	if _, _, err := SplicePoint(tiny(t, func(c *Config) { c.AttnOnly = true }).Config(), "blocks.0.hook_mlp_out"); err == nil {
		t.Error("SplicePoint of hook_mlp_out in an attn_only model: no error")
	}
}
