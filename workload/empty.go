package workload

import (
	"fmt"
	"strings"

	"github.com/glassbox-interp/glassbox/model"
	"github.com/glassbox-interp/glassbox/tensor"
	"github.com/glassbox-interp/glassbox/tracr"
)

// EmptyHooks returns the hooks of a model (cfg) that read a half-layer (an attention
// or MLP sublayer) which computes nothing: tracr leaves some MLPs empty
// (zero weights), and their hook_mlp_out is zero on every input. With
// compile information (blocks, tracr.Compiled.Blocks) a half-layer is
// empty when no block describes it; without (blocks nil: a model folder)
// when its output weights and bias in params are all zero. The hooks of an empty
// half-layer are its output (blocks.L.hook_attn_out, blocks.L.hook_mlp_out)
// and every hook inside it (blocks.L.attn.*, blocks.L.mlp.*).
func EmptyHooks(cfg model.Config, blocks []tracr.Block, params map[string]*tensor.Tensor) map[string]bool {
	empty := map[string]bool{} // "L attn" / "L mlp"
	if blocks != nil {
		full := map[string]bool{}
		for _, b := range blocks {
			full[fmt.Sprintf("%d %s", b.Layer, b.Kind)] = true
		}
		for l := 0; l < cfg.NLayers; l++ {
			for _, kind := range []string{"attn", "mlp"} {
				if k := fmt.Sprintf("%d %s", l, kind); !full[k] {
					empty[k] = true
				}
			}
		}
	} else {
		zero := func(names ...string) bool {
			seen := false
			for _, n := range names {
				t := params[n]
				if t == nil {
					continue
				}
				seen = true
				for _, v := range t.Data {
					if v != 0 {
						return false
					}
				}
			}
			return seen
		}
		for l := 0; l < cfg.NLayers; l++ {
			p := fmt.Sprintf("blocks.%d.", l)
			if zero(p+"attn.W_O", p+"attn.b_O") {
				empty[fmt.Sprintf("%d attn", l)] = true
			}
			if zero(p+"mlp.W_out", p+"mlp.b_out") {
				empty[fmt.Sprintf("%d mlp", l)] = true
			}
		}
	}
	out := map[string]bool{}
	for _, h := range model.HookNames(cfg) {
		if halfLayerEmpty(h, empty) {
			out[h] = true
		}
	}
	return out
}

// halfLayerEmpty reports whether hook belongs to a half-layer in empty.
func halfLayerEmpty(hook string, empty map[string]bool) bool {
	h, err := model.ParseHook(hook)
	if err != nil || h.Layer < 0 {
		return false
	}
	kind := ""
	switch {
	case h.Point == "hook_attn_out" || strings.HasPrefix(h.Point, "attn."):
		kind = "attn"
	case h.Point == "hook_mlp_out" || strings.HasPrefix(h.Point, "mlp."):
		kind = "mlp"
	default:
		return false
	}
	return empty[fmt.Sprintf("%d %s", h.Layer, kind)]
}

// EmptyHooks returns the hooks of the workload's model that read a
// half-layer computing nothing (see the package function EmptyHooks): from
// the case's compiled blocks when the model is the compiled one, from the
// weights for a model folder.
func (w *Workload) EmptyHooks() map[string]bool {
	if w.ModelDir == "" && w.Case != nil && w.Case.Compiled != nil {
		return EmptyHooks(w.Model.Config(), w.Case.Compiled.Blocks, nil)
	}
	return EmptyHooks(w.Model.Config(), nil, w.Model.Params())
}
