package model

import (
	"fmt"
	"strconv"
	"strings"
)

// HookName is a TransformerLens hook name taken apart: ParseHook is the one
// place that reads a hook's layer and kind from its name (the forward pass
// and HookNames only build names).
type HookName struct {
	// Name is the full hook name, e.g. "blocks.1.attn.hook_pattern".
	Name string
	// Layer is the block index, or -1 for hooks outside the blocks
	// (hook_embed, hook_pos_embed, ln_final.*).
	Layer int
	// Point is the name inside the block ("hook_resid_pre",
	// "attn.hook_pattern", "ln1.hook_scale"); the whole name outside blocks.
	Point string
}

// HookLayout says how a hook's activation is laid out for B sequences of T
// positions.
type HookLayout int

const (
	// PerPosition is [B, T, d]: one vector per position.
	PerPosition HookLayout = iota
	// PerHead is [B, T, H, d]: one vector per position and head (attn.hook_q,
	// _k, _v, _z, _result and hook_q/k/v_input).
	PerHead
	// PerQueryKey is [B, H, T_query, T_key]: attn.hook_attn_scores and
	// attn.hook_pattern, one row of keys per head and query position.
	PerQueryKey
)

// ParseHook parses a hook name. It checks the form only (blocks.L.POINT
// with a non-negative integer L, or a name outside the blocks); whether a
// model has the hook is HookNames' business.
func ParseHook(name string) (HookName, error) {
	h := HookName{Name: name, Layer: -1, Point: name}
	if name == "" {
		return h, fmt.Errorf("empty hook name (want e.g. blocks.0.hook_mlp_out)")
	}
	rest, ok := strings.CutPrefix(name, "blocks.")
	if !ok {
		return h, nil
	}
	layer, point, ok := strings.Cut(rest, ".")
	l, err := strconv.Atoi(layer)
	if !ok || point == "" || err != nil || l < 0 || layer != strconv.Itoa(l) {
		return h, fmt.Errorf("hook name %q: want blocks.LAYER.POINT with a layer index (e.g. blocks.0.hook_mlp_out)", name)
	}
	h.Layer, h.Point = l, point
	return h, nil
}

// InBlock reports whether the hook is a direct hook of a block
// (blocks.L.hook_*, such as hook_resid_pre or hook_mlp_out), not one inside
// its attention, MLP or LayerNorm (blocks.L.attn.hook_z).
func (h HookName) InBlock() bool {
	return h.Layer >= 0 && strings.HasPrefix(h.Point, "hook_") && !strings.Contains(h.Point, ".")
}

// Layout returns how the hook's activation is laid out.
func (h HookName) Layout() HookLayout {
	switch h.Point {
	case "attn.hook_attn_scores", "attn.hook_pattern":
		return PerQueryKey
	case "attn.hook_q", "attn.hook_k", "attn.hook_v", "attn.hook_z", "attn.hook_result",
		"hook_q_input", "hook_k_input", "hook_v_input":
		return PerHead
	}
	return PerPosition
}

// FlattensHeads reports whether an SAE may read all heads of the hook at
// once, flattened to [B, T, H·d_head]: SAELens does that for attn.hook_z.
func (h HookName) FlattensHeads() bool { return h.Point == "attn.hook_z" }
