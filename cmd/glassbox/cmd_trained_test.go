package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// TestCommandsOnSIITModel: train, features, sae-eval and report work on a
// run over a glassbox siit folder; the run remembers its model, and
// features with another model folder is an error naming both.
func TestCommandsOnSIITModel(t *testing.T) {
	tmp := t.TempDir()
	model := filepath.Join(tmp, "case3")
	if _, err := runBenchCLI(t, "siit", "3", "--recipe", "", "--out", model, "--samples", "60", "--epochs", "1", "--quiet"); err != nil {
		t.Fatal(err)
	}
	siitF.samples, siitF.epochs = 0, 0
	other := filepath.Join(tmp, "case3-seed2")
	if _, err := runBenchCLI(t, "siit", "3", "--recipe", "", "--out", other, "--samples", "60", "--epochs", "1", "--seed", "2", "--quiet"); err != nil {
		t.Fatal(err)
	}
	siitF.samples, siitF.epochs, siitF.seed = 0, 0, 0
	siitCmd, _, _ := rootCmd.Find([]string{"siit"})
	siitCmd.Flags().VisitAll(func(f *pflag.Flag) { f.Changed = false })

	run := filepath.Join(tmp, "run")
	out, _, err := runTrainCLI(t, "train", "--case", "3", "--model", model, "--hook", "blocks.1.hook_attn_out",
		"--training-tokens", "8000", "--out", run, "--quiet")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "explained variance") {
		t.Errorf("train output:\n%s", out)
	}
	out, err = runFeaturesCLI(t, "features", run, "--json")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, `"d_sae": 48`) || !strings.Contains(out, "frac_prevs_1") {
		t.Errorf("features on the SIIT run:\n%.600s", out)
	}
	if out, err = runFeaturesCLI(t, "sae-eval", run); err != nil || !strings.Contains(out, "spliced") {
		t.Errorf("sae-eval: %v\n%s", err, out)
	}
	if _, err = runFeaturesCLI(t, "report", run); err != nil {
		t.Errorf("report: %v", err)
	}
	_, err = runFeaturesCLI(t, "features", run, "--model", other)
	if err == nil || !strings.Contains(err.Error(), model) || !strings.Contains(err.Error(), other) {
		t.Errorf("features with another model: %v", err)
	}
}

// TestDemoCommandSIIT: the demo command's default trains the SIIT model
// with the --siit-* settings and writes the comparison; --model compiled
// skips it; an unknown model is an error.
func TestDemoCommandSIIT(t *testing.T) {
	out := filepath.Join(t.TempDir(), "demo")
	reset := func() {
		demoCmd.Flags().VisitAll(func(f *pflag.Flag) {
			f.Value.Set(f.DefValue)
			f.Changed = false
		})
	}
	reset()
	defer reset()
	text, err := runBenchCLI(t, "demo", "--out", out, "--training-tokens", "8000", "--siit-epochs", "1", "--siit-samples", "60", "--quiet")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"d_in 12, d_sae 48", "| blocks.0.hook_resid_pre | siit | 12/48 |", "comparison.md"} {
		if !strings.Contains(text, want) {
			t.Errorf("demo output lacks %q:\n%s", want, text)
		}
	}
	reset()
	text, err = runBenchCLI(t, "demo", "--out", out, "--training-tokens", "8000", "--model", "compiled", "--quiet")
	if err != nil || strings.Contains(text, "the SIIT-trained case-3 model") || !strings.Contains(text, "[4/4] reports") {
		t.Errorf("compiled demo: %v\n%s", err, text)
	}
	reset()
	if _, err := runBenchCLI(t, "demo", "--out", out, "--model", "trained"); err == nil || !strings.Contains(err.Error(), "siit") {
		t.Errorf("unknown model: %v", err)
	}
}
