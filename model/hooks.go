package model

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/glassbox-interp/glassbox/tensor"
)

// HookFn is called with the activation at a hook point for the whole batch.
// It may read the tensor or change its Data in place (same shape) to replace
// the activation; the forward pass continues with the changed values. The
// tensor is only valid during the call: Clone it to keep it.
type HookFn func(act *tensor.Tensor) error

// Hook attaches Fn to the hook point Name (a TransformerLens hook name such
// as "blocks.0.hook_mlp_out").
type Hook struct {
	Name string
	Fn   HookFn
}

// Cache maps hook names to activations (copies, owned by the caller).
type Cache map[string]*tensor.Tensor

// RunOptions selects hooks and cached activations for Run.
type RunOptions struct {
	// Hooks run in order at their hook points (several may share a name).
	Hooks []Hook
	// Cache lists hook names whose activations are returned; CacheAll
	// returns every hook of HookNames.
	Cache    []string
	CacheAll bool
}

// HookNames lists every hook point of cfg's architecture in forward order.
// All are available in glassbox whatever the use_* flags say: hooks that
// TransformerLens only creates with use_split_qkv_input
// (blocks.L.hook_q_input/k_input/v_input), use_attn_result
// (blocks.L.attn.hook_result) or use_hook_mlp_in (blocks.L.hook_mlp_in) are
// computed on demand when cached or hooked. LayerNorm hooks (ln1, ln2,
// ln_final .hook_scale / .hook_normalized) exist when normalization_type is
// not None; attn_only models have no resid_mid, ln2 or MLP hooks.
func HookNames(cfg Config) []string {
	cfg = cfg.WithDefaults()
	norm := cfg.NormalizationType != ""
	names := []string{"hook_embed", "hook_pos_embed"}
	for l := 0; l < cfg.NLayers; l++ {
		p := "blocks." + strconv.Itoa(l) + "."
		names = append(names, p+"hook_resid_pre", p+"hook_q_input", p+"hook_k_input", p+"hook_v_input")
		if norm {
			names = append(names, p+"ln1.hook_scale", p+"ln1.hook_normalized")
		}
		names = append(names, p+"attn.hook_q", p+"attn.hook_k", p+"attn.hook_v", p+"attn.hook_attn_scores",
			p+"attn.hook_pattern", p+"attn.hook_z", p+"attn.hook_result", p+"hook_attn_out")
		if !cfg.AttnOnly {
			names = append(names, p+"hook_resid_mid", p+"hook_mlp_in")
			if norm {
				names = append(names, p+"ln2.hook_scale", p+"ln2.hook_normalized")
			}
			names = append(names, p+"mlp.hook_pre", p+"mlp.hook_post", p+"hook_mlp_out")
		}
		names = append(names, p+"hook_resid_post")
	}
	if norm {
		names = append(names, "ln_final.hook_scale", "ln_final.hook_normalized")
	}
	return names
}

// HookShape returns the shape of the activation at hook name for a batch of
// B sequences of length T, or an error for a name cfg does not have.
func HookShape(cfg Config, name string, B, T int) ([]int, error) {
	cfg = cfg.WithDefaults()
	if !hasHook(cfg, name) {
		return nil, unknownHook(cfg, name)
	}
	D, H, dh := cfg.DModel, cfg.NHeads, cfg.DHead
	h, err := ParseHook(name)
	if err != nil {
		return nil, err
	}
	switch h.Layout() {
	case PerQueryKey:
		return []int{B, H, T, T}, nil
	case PerHead:
		if h.Point == "attn.hook_result" || strings.HasSuffix(h.Point, "_input") {
			return []int{B, T, H, D}, nil
		}
		return []int{B, T, H, dh}, nil
	}
	switch {
	case strings.HasSuffix(h.Point, ".hook_scale"):
		return []int{B, T, 1}, nil
	case h.Point == "mlp.hook_pre", h.Point == "mlp.hook_post":
		return []int{B, T, cfg.DMLP}, nil
	}
	return []int{B, T, D}, nil
}

func hasHook(cfg Config, name string) bool {
	for _, n := range HookNames(cfg) {
		if n == name {
			return true
		}
	}
	return false
}

// unknownHook names the closest hook names (edit distance) and, when none
// is close, the model's hook names with the layer written L.
func unknownHook(cfg Config, name string) error {
	names := HookNames(cfg)
	msg := fmt.Sprintf("unknown hook %q for this model (%d layers, normalization %q, attn_only %v)",
		name, cfg.NLayers, cfg.NormalizationType, cfg.AttnOnly)
	if close := closestNames(name, names, 3); len(close) > 0 {
		quoted := make([]string, len(close))
		for i, c := range close {
			quoted[i] = strconv.Quote(c)
		}
		msg += "; did you mean " + strings.Join(quoted, " or ") + "?"
	} else {
		seen := map[string]bool{}
		var kinds []string
		for _, n := range names {
			k := n
			if rest, ok := strings.CutPrefix(n, "blocks."); ok {
				if i := strings.IndexByte(rest, '.'); i >= 0 {
					k = "blocks.L." + rest[i+1:]
				}
			}
			if !seen[k] {
				seen[k] = true
				kinds = append(kinds, k)
			}
		}
		msg += "; hook names are " + strings.Join(kinds, ", ")
	}
	if cfg.NLayers > 0 {
		msg += fmt.Sprintf(" (layers 0 to %d)", cfg.NLayers-1)
	}
	return errors.New(msg)
}

// closestNames returns up to n names nearest to name by edit distance,
// among those within a third of its length (at least 2 edits).
func closestNames(name string, names []string, n int) []string {
	limit := max(2, len(name)/3)
	best := limit + 1
	var out []string
	for _, c := range names {
		d := editDistance(name, c, best)
		switch {
		case d < best:
			best, out = d, []string{c}
		case d == best && d <= limit:
			out = append(out, c)
		}
	}
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// editDistance is the Levenshtein distance of a and b (bytes), or a value
// above bound once it must exceed it.
func editDistance(a, b string, bound int) int {
	if d := len(a) - len(b); d > bound || -d > bound {
		return bound + 1
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin > bound {
			return bound + 1
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// runState carries one run's hooks and cache.
type runState struct {
	fns   map[string][]HookFn
	want  map[string]bool
	cache Cache
}

func (m *Model) newRunState(opt RunOptions) (*runState, error) {
	s := &runState{fns: map[string][]HookFn{}, want: map[string]bool{}, cache: Cache{}}
	valid := map[string]bool{}
	for _, n := range HookNames(m.cfg) {
		valid[n] = true
	}
	for _, h := range opt.Hooks {
		if !valid[h.Name] {
			return nil, unknownHook(m.cfg, h.Name)
		}
		if h.Fn == nil {
			return nil, fmt.Errorf("hook %q has a nil Fn", h.Name)
		}
		s.fns[h.Name] = append(s.fns[h.Name], h.Fn)
	}
	if opt.CacheAll {
		for n := range valid {
			s.want[n] = true
		}
	}
	for _, n := range opt.Cache {
		if !valid[n] {
			return nil, unknownHook(m.cfg, n)
		}
		s.want[n] = true
	}
	return s, nil
}

func (s *runState) active(name string) bool { return s.want[name] || len(s.fns[name]) > 0 }

func (s *runState) fire(name string, t *tensor.Tensor) error {
	for _, fn := range s.fns[name] {
		shape := append([]int(nil), t.Shape...)
		n := len(t.Data)
		if err := fn(t); err != nil {
			return fmt.Errorf("hook %s: %w", name, err)
		}
		if !tensor.SameShape(shape, t.Shape) || len(t.Data) != n {
			return fmt.Errorf("hook %s changed the activation's shape from %s to %s (replace values in place)", name, tensor.ShapeString(shape), tensor.ShapeString(t.Shape))
		}
	}
	if s.want[name] {
		s.cache[name] = t.Clone()
	}
	return nil
}
