package workload

import (
	"fmt"

	"github.com/glassbox-interp/glassbox/model"
)

// View is the one rule for the vectors an SAE reads from a hook's
// activation (B sequences of T positions): [B,T,d] as is; [B,T,H,d] at one
// head, or flattened to H·d for attn.hook_z as SAELens does; [B,H,T,T]
// (attn.hook_pattern, hook_attn_scores) at one head, the keys of each query
// position. Training (Slice), analysis and splicing (Extract, Replace) all
// go through it, so they see the same vectors.
type View struct {
	Hook model.HookName
	// B and T are the sequences and positions; DIn the vector width.
	B, T, DIn int
	// Head is the selected head, -1 when the hook has none or all are read.
	Head int
	h, d int // heads and per-head width of a per-head hook
}

// NewView checks an activation of the given shape at hook against B
// sequences of T positions and the head selection (nil: no head, or all of
// hook_z's) and returns how to read it.
func NewView(hook string, shape []int, B, T int, head *int) (View, error) {
	hn, err := model.ParseHook(hook)
	if err != nil {
		return View{}, err
	}
	v := View{Hook: hn, B: B, T: T, Head: -1}
	sh := shape
	inRange := func(H int) error {
		if h := *head; h < 0 || h >= H {
			return fmt.Errorf("hook_head_index %d is out of range for hook %s with %d heads", h, hook, H)
		}
		return nil
	}
	switch {
	case len(sh) == 3 && sh[0] == B && sh[1] == T:
		if head != nil {
			return v, fmt.Errorf("hook %s has no head dimension (shape %v) but a head index was given", hook, sh)
		}
		v.DIn = sh[2]
	case len(sh) == 4 && hn.Layout() == model.PerQueryKey && sh[0] == B && sh[2] == T:
		if head == nil {
			return v, fmt.Errorf("hook %s is per head (shape %v): give a head index", hook, sh)
		}
		if err := inRange(sh[1]); err != nil {
			return v, err
		}
		v.h, v.d, v.Head, v.DIn = sh[1], sh[3], *head, sh[3]
	case len(sh) == 4 && hn.Layout() != model.PerQueryKey && sh[0] == B && sh[1] == T:
		v.h, v.d = sh[2], sh[3]
		if head == nil {
			if !hn.FlattensHeads() {
				return v, fmt.Errorf("hook %s is per head (shape %v): give a head index (only hook_z is flattened over heads)", hook, sh)
			}
			v.DIn = v.h * v.d
			break
		}
		if err := inRange(v.h); err != nil {
			return v, err
		}
		v.Head, v.DIn = *head, v.d
	default:
		return v, fmt.Errorf("hook %s has unexpected shape %v for %d rows of %d tokens", hook, sh, B, T)
	}
	return v, nil
}

// WithBatch is the view of the same hook for b sequences.
func (v View) WithBatch(b int) View {
	v.B = b
	return v
}

// offset is where the vector of sequence b, position p starts.
func (v View) offset(b, p int) int {
	switch {
	case v.Head < 0:
		return (b*v.T + p) * v.DIn
	case v.Hook.Layout() == model.PerQueryKey:
		return ((b*v.h+v.Head)*v.T + p) * v.d
	}
	return ((b*v.T+p)*v.h + v.Head) * v.d
}

// Extract copies the vectors at the positions keep (nil: all) of every
// sequence out of act: [B·len(keep), DIn], sequence-major.
func (v View) Extract(act []float32, keep []int) []float32 {
	if keep == nil && v.Head < 0 {
		return append([]float32(nil), act[:v.B*v.T*v.DIn]...)
	}
	n := v.T
	if keep != nil {
		n = len(keep)
	}
	out := make([]float32, v.B*n*v.DIn)
	k := 0
	for b := 0; b < v.B; b++ {
		for i := 0; i < n; i++ {
			p := i
			if keep != nil {
				p = keep[i]
			}
			o := v.offset(b, p)
			copy(out[k*v.DIn:(k+1)*v.DIn], act[o:o+v.DIn])
			k++
		}
	}
	return out
}

// Replace writes x ([B·T, DIn], every position) into act, the inverse of
// Extract(act, nil).
func (v View) Replace(act, x []float32) {
	if v.Head < 0 {
		copy(act, x[:v.B*v.T*v.DIn])
		return
	}
	for b := 0; b < v.B; b++ {
		for p := 0; p < v.T; p++ {
			o, k := v.offset(b, p), (b*v.T+p)*v.DIn
			copy(act[o:o+v.DIn], x[k:k+v.DIn])
		}
	}
}
