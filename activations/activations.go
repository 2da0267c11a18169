package activations

import (
	"fmt"
	"strings"

	"github.com/glassbox-interp/glassbox/model"
	"github.com/glassbox-interp/glassbox/tensor"
)

// Set is a matrix of activation vectors with where each came from.
type Set struct {
	// Data holds N rows of DIn values.
	Data []float32
	DIn  int
	// Row and Pos give the token row and position of each vector (nil when
	// unknown, e.g. for plain-file input).
	Row, Pos []int
	// HookName and HookHeadIndex describe the source (empty/nil if unknown).
	HookName      string
	HookHeadIndex *int
	// ContextSize is the token-row length T (0 if unknown).
	ContextSize int
}

// N is the number of vectors.
func (s *Set) N() int {
	if s.DIn == 0 {
		return 0
	}
	return len(s.Data) / s.DIn
}

// Options select what FromModel collects.
type Options struct {
	// Head selects one head of a per-head hook ([B,T,H,d] or [B,H,T,T]);
	// nil keeps all heads, which is only allowed for hook_z (flattened).
	Head *int
	// Positions, when non-empty, keeps only these token positions (0-based).
	Positions []int
	// DropPositions removes these token positions (e.g. []int{0} drops BOS).
	DropPositions []int
}

// FromModel runs m once over tokens ([B][T]) and returns the activations at
// hook as a Set of B·T' vectors (T' = kept positions), row-major by token
// row then position.
func FromModel(m *model.Model, tokens [][]int, hook string, opt Options) (*Set, error) {
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
	return FromTensor(t, hook, len(tokens), len(tokens[0]), opt)
}

// FromTensor is FromModel for an activation already computed: t is hook's
// activation for B token rows of T positions (as a model run caches it).
func FromTensor(t *tensor.Tensor, hook string, B, T int, opt Options) (*Set, error) {
	if t == nil {
		return nil, fmt.Errorf("activations: no activation tensor for hook %s", hook)
	}
	sh := t.Shape
	var dIn int
	// get(b, p, dst) copies the vector for token row b, position p.
	var get func(b, p int, dst []float32)
	pattern := strings.HasSuffix(hook, "hook_pattern") || strings.HasSuffix(hook, "hook_attn_scores")
	switch {
	case len(sh) == 3 && sh[0] == B && sh[1] == T:
		if opt.Head != nil {
			return nil, fmt.Errorf("activations: hook %s has no head dimension (shape %v) but a head index was given", hook, sh)
		}
		dIn = sh[2]
		get = func(b, p int, dst []float32) { copy(dst, t.Data[(b*T+p)*dIn:(b*T+p+1)*dIn]) }
	case len(sh) == 4 && pattern && sh[0] == B && sh[2] == T:
		// [B, H, T_q, T_k]: one vector per query position.
		H, Tk := sh[1], sh[3]
		if opt.Head == nil {
			return nil, fmt.Errorf("activations: hook %s is per head (shape %v): give a head index", hook, sh)
		}
		h := *opt.Head
		if h < 0 || h >= H {
			return nil, fmt.Errorf("activations: head %d out of range for hook %s with %d heads", h, hook, H)
		}
		dIn = Tk
		get = func(b, p int, dst []float32) {
			off := ((b*H+h)*T + p) * Tk
			copy(dst, t.Data[off:off+Tk])
		}
	case len(sh) == 4 && sh[0] == B && sh[1] == T:
		H, d := sh[2], sh[3]
		if opt.Head == nil {
			if !strings.HasSuffix(hook, "hook_z") {
				return nil, fmt.Errorf("activations: hook %s is per head (shape %v): give a head index (only hook_z is flattened over heads)", hook, sh)
			}
			dIn = H * d
			get = func(b, p int, dst []float32) { copy(dst, t.Data[(b*T+p)*dIn:(b*T+p+1)*dIn]) }
		} else {
			h := *opt.Head
			if h < 0 || h >= H {
				return nil, fmt.Errorf("activations: head %d out of range for hook %s with %d heads", h, hook, H)
			}
			dIn = d
			get = func(b, p int, dst []float32) {
				off := ((b*T+p)*H + h) * d
				copy(dst, t.Data[off:off+d])
			}
		}
	default:
		return nil, fmt.Errorf("activations: hook %s has unexpected shape %v for %d rows of %d tokens", hook, sh, B, T)
	}
	keep, err := positions(T, opt)
	if err != nil {
		return nil, err
	}
	s := &Set{DIn: dIn, HookName: hook, HookHeadIndex: opt.Head, ContextSize: T,
		Data: make([]float32, B*len(keep)*dIn), Row: make([]int, 0, B*len(keep)), Pos: make([]int, 0, B*len(keep))}
	k := 0
	for b := 0; b < B; b++ {
		for _, p := range keep {
			get(b, p, s.Data[k*dIn:(k+1)*dIn])
			s.Row = append(s.Row, b)
			s.Pos = append(s.Pos, p)
			k++
		}
	}
	return s, nil
}

// positions returns the kept positions in order.
func positions(T int, opt Options) ([]int, error) {
	var keep []int
	if len(opt.Positions) > 0 {
		seen := map[int]bool{}
		for _, p := range opt.Positions {
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
	for _, p := range opt.DropPositions {
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
