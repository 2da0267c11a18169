package model

import "testing"

func TestParseHook(t *testing.T) {
	for _, tc := range []struct {
		name    string
		layer   int
		point   string
		layout  HookLayout
		inBlock bool
		err     bool
	}{
		{name: "blocks.0.hook_resid_pre", layer: 0, point: "hook_resid_pre", inBlock: true},
		{name: "blocks.12.hook_mlp_out", layer: 12, point: "hook_mlp_out", inBlock: true},
		{name: "blocks.1.attn.hook_pattern", layer: 1, point: "attn.hook_pattern", layout: PerQueryKey},
		{name: "blocks.1.attn.hook_attn_scores", layer: 1, point: "attn.hook_attn_scores", layout: PerQueryKey},
		{name: "blocks.0.attn.hook_z", layer: 0, point: "attn.hook_z", layout: PerHead},
		{name: "blocks.0.attn.hook_result", layer: 0, point: "attn.hook_result", layout: PerHead},
		{name: "blocks.0.hook_q_input", layer: 0, point: "hook_q_input", layout: PerHead, inBlock: true},
		{name: "blocks.0.ln1.hook_scale", layer: 0, point: "ln1.hook_scale"},
		{name: "blocks.0.mlp.hook_post", layer: 0, point: "mlp.hook_post"},
		{name: "hook_embed", layer: -1, point: "hook_embed"},
		{name: "ln_final.hook_scale", layer: -1, point: "ln_final.hook_scale"},
		{name: "", err: true},
		{name: "blocks.x.hook_mlp_out", err: true},
		{name: "blocks.01.hook_mlp_out", err: true},
		{name: "blocks.-1.hook_mlp_out", err: true},
		{name: "blocks.0", err: true},
		{name: "blocks.0.", err: true},
	} {
		h, err := ParseHook(tc.name)
		if tc.err {
			if err == nil {
				t.Errorf("ParseHook(%q) = %+v, want an error", tc.name, h)
			}
			continue
		}
		if err != nil || h.Layer != tc.layer || h.Point != tc.point || h.Layout() != tc.layout || h.InBlock() != tc.inBlock {
			t.Errorf("ParseHook(%q) = %+v (layout %v, in block %v), %v", tc.name, h, h.Layout(), h.InBlock(), err)
		}
	}
	if h, _ := ParseHook("blocks.0.attn.hook_z"); !h.FlattensHeads() {
		t.Error("hook_z does not flatten its heads")
	}
}

// TestParseHookAgreesWithHookShape checks ParseHook's layout against the
// shape of every hook of a model.
func TestParseHookAgreesWithHookShape(t *testing.T) {
	cfg := Config{NLayers: 2, DModel: 8, NHeads: 2, DHead: 3, DMLP: 5, NCtx: 4, DVocab: 6, NormalizationType: "LN", ActFn: "relu"}
	for _, name := range HookNames(cfg) {
		h, err := ParseHook(name)
		if err != nil {
			t.Fatal(err)
		}
		sh, err := HookShape(cfg, name, 7, 4)
		if err != nil {
			t.Fatal(err)
		}
		want := PerPosition
		switch {
		case len(sh) == 4 && sh[1] == 4:
			want = PerHead
		case len(sh) == 4:
			want = PerQueryKey
		}
		if h.Layout() != want {
			t.Errorf("%s: layout %v, shape %v", name, h.Layout(), sh)
		}
	}
}
