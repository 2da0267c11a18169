package main

import (
	"strings"
	"testing"
)

func TestCaseShowsCompiledLayoutAndAlignment(t *testing.T) {
	out, err := runCasesCLI(t, "", "case", "3")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"layers 2, heads 1, d_model 13, d_head 6, d_mlp 1",
		"Operation is_x_3 is handled in {blocks.0.hook_mlp_in, blocks.0.hook_mlp_out}",
		"Operation select_2 is handled in {blocks.1.attn.hook_q[0], blocks.1.attn.hook_k[0]}",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("case 3 output lacks %q", want)
		}
	}
}
