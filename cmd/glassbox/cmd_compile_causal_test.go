package main

import (
	"strings"
	"testing"
)

// tracr's causal SelectorWidth test: with a causal mask each position
// counts the positions up to itself, so the model gives [1, 2, 3, 4] on
// four tokens, not the non-causal [4, 4, 4, 4].
func TestCompileCheckCausalComparesPrefixes(t *testing.T) {
	path := writeStar(t, "width.star", "program = SelectorWidth(Select(tokens, tokens, Comparison.TRUE))\n")
	out, err := runCompileCLI(t, path, "--vocab", "a,b,c", "--max-seq-len", "5", "--check")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out, "exact") || !strings.Contains(out, "causal: RASP on each prefix") {
		t.Errorf("causal check output:\n%s", out)
	}
	// Bidirectional: compared with ordinary evaluation, also exact.
	out, err = runCompileCLI(t, path, "--vocab", "a,b,c", "--max-seq-len", "5", "--check", "--bidirectional")
	if err != nil || !strings.Contains(out, "exact") {
		t.Fatalf("bidirectional check: %v\n%s", err, out)
	}
}

func TestEvalAndCompileHelpStateTheCausalDefault(t *testing.T) {
	for _, c := range []string{"eval", "compile"} {
		cmd, _, err := rootCmd.Find([]string{c})
		if err != nil {
			t.Fatal(err)
		}
		long := strings.Join(strings.Fields(cmd.Long), " ")
		if !strings.Contains(long, "causal = False") || !strings.Contains(long, "tracr's compiler defaults to non-causal") {
			t.Errorf("%s --help does not state the causal default:\n%s", c, cmd.Long)
		}
	}
}
