package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glassbox-interp/glassbox/model"
)

func runCompileCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	compileF = compileFlags{mlpExactness: 100}
	var out bytes.Buffer
	rootCmd.SetOut(&out)
	rootCmd.SetErr(&out)
	rootCmd.SetArgs(append([]string{"compile"}, args...))
	defer rootCmd.SetArgs(nil)
	err := rootCmd.Execute()
	return out.String(), err
}

func TestCompileCase3WritesModel(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "m")
	out, err := runCompileCLI(t, "3", "--out", dir, "--check")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{
		"layers 2, heads 1, d_model 13",
		"Operation select_2 is handled in {blocks.1.attn.hook_q[0], blocks.1.attn.hook_k[0]}",
		"unpadded 100.0% (256/256)  padded 100.0% (64/64)  exact",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	m, err := model.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m == nil {
		t.Fatal("nil model")
	}
	var labels []string
	b, err := os.ReadFile(filepath.Join(dir, "residual_labels.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &labels); err != nil || len(labels) != 13 || labels[0] != "frac_prevs_1" {
		t.Errorf("residual_labels.json: %v %v", labels, err)
	}
	for _, f := range []string{"alignment.json", "tokenizer.json", "config.json", "model.safetensors"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}

func TestCompileStarFileWithFlags(t *testing.T) {
	src := `program = rasp.numerical(rasp.Aggregate(rasp.Select(rasp.indices, rasp.indices, rasp.Comparison.LEQ),
    rasp.numerical(rasp.Map(lambda x: x == "b", rasp.tokens)), default=0)).named("frac_b")
`
	path := filepath.Join(t.TempDir(), "frac.star")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := runCompileCLI(t, path, "--vocab", "a,b", "--max-seq-len", "4", "--causal", "--check")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out, "output frac_b_1 (numerical)") || !strings.Contains(out, "exact") {
		t.Errorf("unexpected output:\n%s", out)
	}
}

func TestCompileRejectsBadInput(t *testing.T) {
	if _, err := runCompileCLI(t, "999"); err == nil {
		t.Error("unknown case accepted")
	}
	if _, err := runCompileCLI(t, "3", "--vocab", "a"); err == nil {
		t.Error("--vocab accepted for a catalogue case")
	}
	if _, err := runCompileCLI(t, filepath.Join(t.TempDir(), "missing.star")); err == nil {
		t.Error("missing file accepted")
	}
}
