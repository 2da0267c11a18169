package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glassbox-interp/glassbox/pipeline"
)

func TestEvalCaseTable(t *testing.T) {
	out, err := execute(t, newEvalCmd(), "3", "--input", "BOS a x b x PAD", "--selectors")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{
		"frac_prevs_1  numerical    0.0    0.5   0.3333333333333333  0.5",
		"is_x_3        numerical    False  True  False               True",
		"select_2 (query rows × key columns)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// Inputs first, output last.
	if strings.Index(out, "tokens") > strings.Index(out, "frac_prevs_1") {
		t.Errorf("variables out of order:\n%s", out)
	}
}

func TestEvalFileJSON(t *testing.T) {
	dir := t.TempDir()
	prog := filepath.Join(dir, "p.star")
	src := "load(\"lib/common.star\", \"make_frac_prevs\")\nprogram = make_frac_prevs(tokens == 2)\n"
	if err := os.WriteFile(prog, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := execute(t, newEvalCmd(), prog, "--vocab", "1, 2, 3", "--input", "1 2 2 3", "--input", "[3, 2]", "--json")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 JSON lines:\n%s", out)
	}
	var rec struct {
		Input     []any `json:"input"`
		Output    []any `json:"output"`
		Variables []struct {
			Label    string `json:"label"`
			Encoding string `json:"encoding"`
			Values   []any  `json:"values"`
		} `json:"variables"`
		Selectors map[string][][]bool `json:"selectors"`
	}
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatalf("%v: %s", err, lines[0])
	}
	if len(rec.Output) != 4 || rec.Output[2].(float64) != 2.0/3 {
		t.Errorf("output %v", rec.Output)
	}
	if last := rec.Variables[len(rec.Variables)-1]; last.Label != "frac_prevs_1" || last.Encoding != "numerical" {
		t.Errorf("last variable %+v", last)
	}
	if len(rec.Selectors["select_2"]) != 4 {
		t.Errorf("selectors %v", rec.Selectors)
	}
	if !strings.Contains(lines[0], `"output":[0.0,0.5,0.6666666666666666,0.5]`) {
		t.Errorf("floats not printed as Python does: %s", lines[0])
	}
}

func TestEvalErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.star")
	if err := os.WriteFile(bad, []byte("program = Map(lambda x: x,\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"3"}, "no --input"},
		{[]string{"3", "--input", "a q"}, "not in vocabulary"},
		{[]string{"3", "--input", "a", "--vocab", "a"}, "apply to .star files"},
		{[]string{"999", "--input", "a"}, "no such case"},
		{[]string{filepath.Join(dir, "missing.star"), "--input", "a"}, "no such file"},
		{[]string{bad, "--vocab", "a", "--input", "a"}, "bad.star:2:1"},
	}
	for _, tc := range tests {
		out, err := execute(t, newEvalCmd(), tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("eval %v: err %v, want %q\n%s", tc.args, err, tc.want, out)
		}
	}
}

func TestEvalDirectoryIsSAEEval(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	if _, err := pipeline.Demo(pipeline.DemoOptions{Out: dir, TrainingTokens: 16000}); err != nil {
		t.Fatal(err)
	}
	run := filepath.Join(dir, "mlp-out")
	out, err := execute(t, newEvalCmd(), run, "--json")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var got struct {
		Hook           string             `json:"hook"`
		Reconstruction map[string]float64 `json:"reconstruction"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got.Hook != "blocks.0.hook_mlp_out" || got.Reconstruction["explained_variance"] <= 0 {
		t.Errorf("eval of a run: %+v", got)
	}
	if _, err := execute(t, newEvalCmd(), run, "--input", "a x"); err == nil {
		t.Error("eval RUN --input: want an error")
	}
}
