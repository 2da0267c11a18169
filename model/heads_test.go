package model

import (
	"testing"

	"github.com/glassbox-interp/glassbox/tensor"
)

func TestParseHookRef(t *testing.T) {
	cases := []struct {
		ref  string
		name string
		head int
		bad  bool
	}{
		{"blocks.1.attn.hook_q[0]", "blocks.1.attn.hook_q", 0, false},
		{"blocks.0.hook_mlp_out", "blocks.0.hook_mlp_out", -1, false},
		{"blocks.1.hook_v_input[3]", "blocks.1.hook_v_input", 3, false},
		{"x[", "", 0, true},
		{"x[-1]", "", 0, true},
		{"x[a]", "", 0, true},
	}
	for _, c := range cases {
		n, h, err := ParseHookRef(c.ref)
		if (err != nil) != c.bad || (!c.bad && (n != c.name || h != c.head)) {
			t.Errorf("ParseHookRef(%q) = %q, %d, %v", c.ref, n, h, err)
		}
	}
}

func TestSelectHead(t *testing.T) {
	m := tiny(t, nil)
	tokens := [][]int{{0, 1, 2}, {3, 4, 0}}
	_, c, err := m.RunWithCache(tokens, "blocks.0.attn.hook_z", "blocks.0.attn.hook_pattern", "blocks.0.hook_attn_out")
	if err != nil {
		t.Fatal(err)
	}
	z := c["blocks.0.attn.hook_z"]
	z1, err := SelectHead("blocks.0.attn.hook_z", z, 1)
	if err != nil || !tensor.SameShape(z1.Shape, []int{2, 3, 3}) || z1.At(1, 2, 0) != z.At(1, 2, 1, 0) {
		t.Errorf("z head 1: %v %v", z1, err)
	}
	p := c["blocks.0.attn.hook_pattern"]
	p0, err := SelectHead("blocks.0.attn.hook_pattern", p, 0)
	if err != nil || !tensor.SameShape(p0.Shape, []int{2, 3, 3}) || p0.At(1, 2, 1) != p.At(1, 0, 2, 1) {
		t.Errorf("pattern head 0: %v %v", p0, err)
	}
	if _, err := SelectHead("blocks.0.attn.hook_z", z, 2); err == nil {
		t.Error("head 2 of 2 accepted")
	}
	if _, err := SelectHead("blocks.0.hook_attn_out", c["blocks.0.hook_attn_out"], 0); err == nil {
		t.Error("head of attn_out accepted")
	}
}
