package model

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/glassbox-interp/glassbox/tensor"
)

// ParseHookRef splits a circuits-benchmark hook reference such as
// "blocks.1.attn.hook_q[0]" into the hook name and the head index (-1 when
// there is no "[h]" suffix).
func ParseHookRef(ref string) (name string, head int, err error) {
	open := strings.IndexByte(ref, '[')
	if open < 0 {
		return ref, -1, nil
	}
	if !strings.HasSuffix(ref, "]") {
		return "", 0, fmt.Errorf("hook reference %q: want NAME or NAME[head]", ref)
	}
	h, err := strconv.Atoi(ref[open+1 : len(ref)-1])
	if err != nil || h < 0 {
		return "", 0, fmt.Errorf("hook reference %q: head index must be a non-negative integer", ref)
	}
	return ref[:open], h, nil
}

// HasHeadDim reports whether the activation at hook name has a head
// dimension, and where: axis 2 for [B,T,H,·] hooks (q/k/v, z, result,
// q/k/v_input), axis 1 for [B,H,T,T] hooks (attn_scores, pattern).
func HasHeadDim(name string) (axis int, ok bool) {
	h, err := ParseHook(name)
	if err != nil {
		return 0, false
	}
	switch h.Layout() {
	case PerQueryKey:
		return 1, true
	case PerHead:
		return 2, true
	}
	return 0, false
}

// SelectHead returns head h of the activation act recorded at hook name:
// [B,T,d] from a [B,T,H,d] hook, [B,T,T] from a [B,H,T,T] hook.
func SelectHead(name string, act *tensor.Tensor, h int) (*tensor.Tensor, error) {
	axis, ok := HasHeadDim(name)
	if !ok {
		return nil, fmt.Errorf("hook %s has no head dimension", name)
	}
	if len(act.Shape) != 4 {
		return nil, fmt.Errorf("hook %s: activation shape %s, want 4 dimensions", name, tensor.ShapeString(act.Shape))
	}
	H := act.Shape[axis]
	if h < 0 || h >= H {
		return nil, fmt.Errorf("hook %s: head %d out of range [0, %d)", name, h, H)
	}
	B := act.Shape[0]
	if axis == 2 {
		T, d := act.Shape[1], act.Shape[3]
		out := tensor.New(B, T, d)
		for r := 0; r < B*T; r++ {
			copy(out.Data[r*d:(r+1)*d], act.Data[(r*H+h)*d:(r*H+h+1)*d])
		}
		return out, nil
	}
	T1, T2 := act.Shape[2], act.Shape[3]
	out := tensor.New(B, T1, T2)
	n := T1 * T2
	for b := 0; b < B; b++ {
		copy(out.Data[b*n:(b+1)*n], act.Data[(b*H+h)*n:(b*H+h+1)*n])
	}
	return out, nil
}
