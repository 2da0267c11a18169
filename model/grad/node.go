package grad

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/glassbox-interp/glassbox/model"
)

// Node is a patchable activation: one attention head's output
// (blocks.L.attn.hook_result, Head 0..H-1) or an MLP's hidden activation
// (blocks.L.mlp.hook_post, Head -1).
type Node struct {
	Hook string
	Head int // -1 for whole-tensor hooks
}

// Hook-name suffixes of the two node kinds.
const (
	hookResult = "attn.hook_result"
	hookPost   = "mlp.hook_post"
)

// ParseNode parses "blocks.1.attn.hook_result[2]" or "blocks.0.mlp.hook_post".
// It checks the syntax only; CheckNode checks the node against a model.
func ParseNode(s string) (Node, error) {
	hook, head := s, -1
	if i := strings.IndexByte(s, '['); i >= 0 {
		if !strings.HasSuffix(s, "]") {
			return Node{}, fmt.Errorf("node %q: missing ']' after the head index", s)
		}
		h, err := strconv.Atoi(s[i+1 : len(s)-1])
		if err != nil || h < 0 || strconv.Itoa(h) != s[i+1:len(s)-1] {
			return Node{}, fmt.Errorf("node %q: head index %q is not a non-negative integer", s, s[i+1:len(s)-1])
		}
		hook, head = s[:i], h
	}
	_, kind, err := splitHook(hook)
	if err != nil {
		return Node{}, fmt.Errorf("node %q: %w", s, err)
	}
	switch {
	case kind == hookResult && head < 0:
		return Node{}, fmt.Errorf("node %q: %s needs a head index, e.g. %s[0]", s, hookResult, hook)
	case kind == hookPost && head >= 0:
		return Node{}, fmt.Errorf("node %q: %s takes no head index", s, hookPost)
	}
	return Node{Hook: hook, Head: head}, nil
}

// splitHook splits "blocks.L.<kind>" into L and kind, kind being one of
// the supported node hooks.
func splitHook(hook string) (int, string, error) {
	rest, ok := strings.CutPrefix(hook, "blocks.")
	if !ok {
		return 0, "", fmt.Errorf("hook %q: want blocks.L.%s or blocks.L.%s", hook, hookResult, hookPost)
	}
	ls, kind, ok := strings.Cut(rest, ".")
	l, err := strconv.Atoi(ls)
	if !ok || err != nil || l < 0 || strconv.Itoa(l) != ls {
		return 0, "", fmt.Errorf("hook %q: layer %q is not a non-negative integer", hook, ls)
	}
	if kind != hookResult && kind != hookPost {
		return 0, "", fmt.Errorf("hook %q: %q is not a patchable node (want %s or %s)", hook, kind, hookResult, hookPost)
	}
	return l, kind, nil
}

// String is the inverse of ParseNode.
func (n Node) String() string {
	if n.Head >= 0 {
		return n.Hook + "[" + strconv.Itoa(n.Head) + "]"
	}
	return n.Hook
}

// Width is the size of the node's last axis: d_model for a head's
// hook_result, d_mlp for hook_post (0 for an unknown hook).
func (n Node) Width(cfg model.Config) int {
	_, kind, err := splitHook(n.Hook)
	switch {
	case err != nil:
		return 0
	case kind == hookResult:
		return cfg.DModel
	default:
		return cfg.DMLP
	}
}

// CheckNode reports whether n exists in a model of config cfg: a supported
// hook, a layer below n_layers, a head in [0, n_heads) for hook_result and
// -1 for hook_post.
func CheckNode(cfg model.Config, n Node) error {
	_, err := locate(cfg, n)
	return err
}

// locate returns n's layer after checking it against cfg.
func locate(cfg model.Config, n Node) (int, error) {
	l, kind, err := splitHook(n.Hook)
	if err != nil {
		return 0, fmt.Errorf("node %s: %w", n, err)
	}
	if l >= cfg.NLayers {
		return 0, fmt.Errorf("node %s: layer %d out of range (model has n_layers = %d)", n, l, cfg.NLayers)
	}
	if kind == hookResult {
		if n.Head < 0 || n.Head >= cfg.NHeads {
			return 0, fmt.Errorf("node %s: head %d out of range (model has n_heads = %d)", n, n.Head, cfg.NHeads)
		}
	} else if n.Head != -1 {
		return 0, fmt.Errorf("node %s: %s takes head -1, got %d", n, hookPost, n.Head)
	}
	return l, nil
}

// isHead reports whether n is an attention-head node (after locate).
func (n Node) isHead() bool { return n.Head >= 0 }
