package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSIITCommandErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "corr.json")
	if err := os.WriteFile(bad, []byte(`[{"hl": {"label": "is_x_3", "hook": "blocks.0.mlp.hook_post", "head": null}, "ll": [{"hook": "blocks.5.mlp.hook_post", "head": null}]}]`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"siit", "999"}, "no such case"},
		{[]string{"siit", "3", "--recipe", "gen9", "--out", t.TempDir()}, "unknown recipe"},
		{[]string{"siit", "3", "--recipe", "", "--correspondence", bad, "--out", t.TempDir()}, "blocks.5.mlp.hook_post"},
		{[]string{"siit", "eval", filepath.Join(t.TempDir(), "nope")}, "not a model folder"},
		{[]string{"siit", "eval", t.TempDir()}, "give --case N"},
	} {
		_, err := runBenchCLI(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one mentioning %q", tc.args, err, tc.want)
		}
	}
	siitF.corr = ""
}

func TestSIITCommandTrainsAndEvaluates(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "case3")
	out, err := runBenchCLI(t, "siit", "3", "--recipe", "", "--out", dir, "--samples", "400", "--batch-size", "64",
		"--epochs", "1", "--quiet")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"LL L2 H4 dh3 d12 mlp48", "frac_prevs_1", "blocks.1.attn.hook_result[2]", "8 non-circuit LL nodes", "wrote " + dir} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, f := range []string{"ll_model.pth", "ll_model_cfg.pkl", "meta.json", "edges.pkl", "correspondence.json", "config.json", "model.safetensors", "metrics.jsonl"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	out, err = runBenchCLI(t, "siit", "eval", dir, "--samples", "400")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"on case 3", "IIA    frac_prevs_1", "strict blocks.1.mlp.hook_post", "effect blocks.1.attn.hook_result[2]"} {
		if !strings.Contains(out, want) {
			t.Errorf("eval output lacks %q:\n%s", want, out)
		}
	}
	table := filepath.Join(t.TempDir(), "table.md")
	out, err = runBenchCLI(t, "siit", "table", filepath.Dir(dir), "--out", table)
	if err != nil {
		t.Fatal(err)
	}
	written, err := os.ReadFile(table)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "| 3 | L2 H4 dh3 d12 mlp48 | gen1 | 1 (1) |") || string(written) != out {
		t.Errorf("siit table printed\n%s\nand wrote\n%s", out, written)
	}
	siitF.tableOut = ""
	if _, err := runBenchCLI(t, "siit", "table", dir, "--threshold", "2"); err == nil || !strings.Contains(err.Error(), "--threshold") {
		t.Errorf("threshold 2: error %v", err)
	}
	siitF.tableThreshold = 0.99
}
