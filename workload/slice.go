package workload

import (
	"fmt"

	"github.com/glassbox-interp/glassbox/activations"
	"github.com/glassbox-interp/glassbox/model"
	"github.com/glassbox-interp/glassbox/tensor"
)

// Select says which vectors of a hook an SAE reads.
type Select struct {
	// Head selects one head of a per-head hook ([B,T,H,d] or [B,H,T,T]);
	// nil keeps all heads, which is only allowed for hook_z (flattened).
	Head *int
	// Positions, when non-empty, keeps only these token positions (0-based).
	Positions []int
	// DropPositions removes these token positions (e.g. []int{0} drops BOS).
	DropPositions []int
}

// Collect runs m once over tokens ([B][T]) and returns the activations at
// hook as a Set of B·T' vectors (T' = kept positions), row-major by token
// row then position.
func Collect(m *model.Model, tokens [][]int, hook string, sel Select) (*activations.Set, error) {
	if len(tokens) == 0 {
		return nil, fmt.Errorf("activations: no token rows")
	}
	_, cache, err := m.RunWithCache(tokens, hook)
	if err != nil {
		return nil, fmt.Errorf("activations at %s: %w", hook, err)
	}
	t := cache[hook]
	if t == nil {
		return nil, fmt.Errorf("activations: hook %s was not cached", hook)
	}
	return Slice(t, hook, len(tokens), len(tokens[0]), sel)
}

// Slice is Collect for an activation already computed: t is hook's
// activation for B token rows of T positions (as a model run caches it),
// read through the hook's View.
func Slice(t *tensor.Tensor, hook string, B, T int, sel Select) (*activations.Set, error) {
	if t == nil {
		return nil, fmt.Errorf("activations: no activation tensor for hook %s", hook)
	}
	v, err := NewView(hook, t.Shape, B, T, sel.Head)
	if err != nil {
		return nil, fmt.Errorf("activations: %w", err)
	}
	keep, err := positions(T, sel)
	if err != nil {
		return nil, err
	}
	s := &activations.Set{DIn: v.DIn, HookName: hook, HookHeadIndex: sel.Head, ContextSize: T,
		Data: v.Extract(t.Data, keep), Row: make([]int, 0, B*len(keep)), Pos: make([]int, 0, B*len(keep))}
	for b := 0; b < B; b++ {
		for _, p := range keep {
			s.Row = append(s.Row, b)
			s.Pos = append(s.Pos, p)
		}
	}
	return s, nil
}

// positions returns the kept positions in order.
func positions(T int, sel Select) ([]int, error) {
	var keep []int
	if len(sel.Positions) > 0 {
		seen := map[int]bool{}
		for _, p := range sel.Positions {
			if p < 0 || p >= T {
				return nil, fmt.Errorf("activations: position %d out of range [0, %d)", p, T)
			}
			if !seen[p] {
				seen[p] = true
				keep = append(keep, p)
			}
		}
	} else {
		for p := 0; p < T; p++ {
			keep = append(keep, p)
		}
	}
	drop := map[int]bool{}
	for _, p := range sel.DropPositions {
		if p < 0 || p >= T {
			return nil, fmt.Errorf("activations: position %d out of range [0, %d)", p, T)
		}
		drop[p] = true
	}
	out := keep[:0]
	for _, p := range keep {
		if !drop[p] {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("activations: the position filter keeps no position")
	}
	return out, nil
}
