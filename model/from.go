package model

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/glassbox-interp/glassbox/tensor"
)

// residPoint parses a block's residual-stream or sublayer-output hook
// (blocks.L.hook_resid_pre, resid_mid, resid_post, attn_out, mlp_out) into
// its layer and point without the "hook_" prefix; ok is false otherwise.
func residPoint(name string) (layer int, point string, ok bool) {
	h, err := ParseHook(name)
	if err != nil || !h.InBlock() {
		return 0, "", false
	}
	switch p := strings.TrimPrefix(h.Point, "hook_"); p {
	case "resid_pre", "resid_mid", "resid_post", "attn_out", "mlp_out":
		return h.Layer, p, true
	}
	return 0, "", false
}

// SplicePoint says where the forward pass can resume after the activation at
// hook is replaced: the residual stream at start is the replacement plus the
// residual stream at base. For a residual-stream hook
// (blocks.L.hook_resid_pre / resid_mid / resid_post) start is hook and base
// is ""; for blocks.L.hook_attn_out base is blocks.L.hook_resid_pre and
// start blocks.L.hook_resid_mid (hook_resid_post for attn_only models); for
// blocks.L.hook_mlp_out base is blocks.L.hook_resid_mid and start
// blocks.L.hook_resid_post. Other hooks are an error.
func SplicePoint(cfg Config, hook string) (start, base string, err error) {
	cfg = cfg.WithDefaults()
	layer, point, ok := residPoint(hook)
	if !ok || !hasHook(cfg, hook) {
		return "", "", fmt.Errorf("splice point of %q: want blocks.L.hook_resid_pre, hook_resid_mid, hook_resid_post, hook_attn_out or hook_mlp_out of this model (%d layers, attn_only %v)", hook, cfg.NLayers, cfg.AttnOnly)
	}
	p := "blocks." + strconv.Itoa(layer) + "."
	switch point {
	case "attn_out":
		if cfg.AttnOnly {
			return p + "hook_resid_post", p + "hook_resid_pre", nil
		}
		return p + "hook_resid_mid", p + "hook_resid_pre", nil
	case "mlp_out":
		return p + "hook_resid_post", p + "hook_resid_mid", nil
	}
	return hook, "", nil
}

// RunFrom runs the model from a point of the residual stream to the logits:
// start is blocks.L.hook_resid_pre, blocks.L.hook_resid_mid or
// blocks.L.hook_resid_post and resid ([B,T,d_model], 1 ≤ T ≤ n_ctx) the
// residual stream's value there, which RunFrom does not modify. The hook at
// start fires first, then every later one; opt may only name hooks from
// start on. The logits are bit-identical to Run's on tokens whose residual
// stream at start is resid (the layers before start are skipped, which is
// what makes splicing at a late hook cheap).
func (m *Model) RunFrom(start string, resid *tensor.Tensor, opt RunOptions) (*tensor.Tensor, Cache, error) {
	c := &m.cfg
	layer, point, ok := residPoint(start)
	if !ok || point == "attn_out" || point == "mlp_out" || !hasHook(*c, start) {
		return nil, nil, fmt.Errorf("model: run from %q: want blocks.L.hook_resid_pre, hook_resid_mid or hook_resid_post of this model (%d layers, attn_only %v)", start, c.NLayers, c.AttnOnly)
	}
	stage := map[string]int{"resid_pre": stagePre, "resid_mid": stageMid, "resid_post": stagePost}[point]
	if resid == nil || len(resid.Shape) != 3 || resid.Shape[2] != c.DModel || resid.Shape[0] < 1 ||
		resid.Shape[1] < 1 || resid.Shape[1] > c.NCtx || len(resid.Data) != resid.Shape[0]*resid.Shape[1]*c.DModel {
		got := "nil"
		if resid != nil {
			got = fmt.Sprintf("%s with %d values", tensor.ShapeString(resid.Shape), len(resid.Data))
		}
		return nil, nil, fmt.Errorf("model: run from %s: residual stream is %s, want [B, T≤%d, %d]", start, got, c.NCtx, c.DModel)
	}
	names := HookNames(*c)
	at := 0
	for i, n := range names {
		if n == start {
			at = i
			break
		}
	}
	before := map[string]bool{}
	for _, n := range names[:at] {
		before[n] = true
	}
	for _, h := range opt.Hooks {
		if before[h.Name] {
			return nil, nil, fmt.Errorf("model: run from %s: hook %q comes before the start point", start, h.Name)
		}
	}
	for _, n := range opt.Cache {
		if before[n] {
			return nil, nil, fmt.Errorf("model: run from %s: cached hook %q comes before the start point", start, n)
		}
	}
	s, err := m.newRunState(opt)
	if err != nil {
		return nil, nil, fmt.Errorf("model: %w", err)
	}
	if opt.CacheAll {
		for n := range before {
			delete(s.want, n)
		}
	}
	logits, err := m.forwardFrom(resid.Clone(), layer, stage, s)
	if err != nil {
		return nil, nil, fmt.Errorf("model: %w", err)
	}
	return logits, s.cache, nil
}
