package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/glassbox-interp/glassbox/sae"
	"github.com/glassbox-interp/glassbox/workload"
	"github.com/spf13/pflag"
)

// runFeaturesCLI runs the CLI after resetting the flags of the feature
// commands (cobra keeps flag values between Execute calls).
func runFeaturesCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	for _, c := range []*pflag.FlagSet{featuresCmd.Flags(), evalSAECmd.Flags(), reportCmd.Flags(), serveCmd.Flags()} {
		c.VisitAll(func(f *pflag.Flag) {
			f.Value.Set(f.DefValue)
			f.Changed = false
		})
	}
	var out, errOut bytes.Buffer
	rootCmd.SetOut(&out)
	rootCmd.SetErr(&errOut)
	rootCmd.SetArgs(args)
	defer rootCmd.SetArgs(nil)
	err := rootCmd.Execute()
	return out.String(), err
}

// oneHotRun writes a run whose SAE at blocks.0.hook_resid_pre of case 3 has
// one feature per residual dimension (feature i reads and writes dimension i).
func oneHotRun(t *testing.T) (dir string, labels []string) {
	t.Helper()
	cd, err := workload.CatalogueCase(3)
	if err != nil {
		t.Fatal(err)
	}
	din := len(cd.Compiled.ResidualLabels)
	s, err := sae.New(sae.ArchStandard, din, din)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < din; i++ {
		s.WEncT[i*din+i] = 1
		s.WDec[i*din+i] = 1
	}
	s.Meta.HookName = "blocks.0.hook_resid_pre"
	s.Meta.ModelName = "case3"
	dir = filepath.Join(t.TempDir(), "run")
	if err := sae.Save(filepath.Join(dir, "final"), s, nil); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "metrics.jsonl"), []byte(`{"step":1,"losses/mse_loss":0.5}`+"\n"), 0o644)
	return dir, cd.Compiled.ResidualLabels
}

func TestFeaturesCommands(t *testing.T) {
	dir, labels := oneHotRun(t)
	tokX := -1
	for i, l := range labels {
		if l == "tokens:x" {
			tokX = i
		}
	}
	out, err := runFeaturesCLI(t, "features", dir)
	if err != nil {
		t.Fatal(err)
	}
	// The tokens:x dimension is the feature "x"; indices:0 is position 1.
	for _, want := range []string{strings.Repeat(" ", 3-len(strconv.Itoa(tokX))) + strconv.Itoa(tokX) + ": x ", ": BOS ", ": @1 ", "coverage"} {
		if !strings.Contains(out, want) {
			t.Errorf("features output lacks %q:\n%s", want, out)
		}
	}
	out, err = runFeaturesCLI(t, "features", dir, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rep map[string]any
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("--json output is not JSON: %v\n%s", err, out)
	}
	if rep["hook"] != "blocks.0.hook_resid_pre" || int(rep["d_sae"].(float64)) != len(labels) {
		t.Errorf("json %v", rep)
	}
	out, err = runFeaturesCLI(t, "features", dir, "--feature", strconv.Itoa(tokX), "--top", "3")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "label x ") || strings.Count(out, "[x]") != 3 {
		t.Errorf("--feature output:\n%s", out)
	}
	if _, err := runFeaturesCLI(t, "features", dir, "--feature", "99"); err == nil || !strings.Contains(err.Error(), "feature 99") {
		t.Errorf("unknown feature: %v", err)
	}
	if _, err := runFeaturesCLI(t, "features", filepath.Join(dir, "nope")); err == nil {
		t.Error("missing run: expected an error")
	}
	if _, err := runFeaturesCLI(t, "features", t.TempDir()); err == nil || !strings.Contains(err.Error(), "no SAE") {
		t.Errorf("empty directory: %v", err)
	}

	out, err = runFeaturesCLI(t, "sae-eval", dir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "explained variance") || !strings.Contains(out, "mse_score") {
		t.Errorf("sae-eval output:\n%s", out)
	}
	out, err = runFeaturesCLI(t, "sae-eval", dir, "--json")
	if err != nil || !json.Valid([]byte(out)) {
		t.Errorf("sae-eval --json: %v\n%s", err, out)
	}

	html := filepath.Join(t.TempDir(), "r.html")
	if _, err := runFeaturesCLI(t, "report", dir, "--out", html); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(html)
	if err != nil || !strings.Contains(string(b), `id="feature-`+strconv.Itoa(tokX)+`"`) {
		t.Errorf("report: %v", err)
	}
	if _, err := runFeaturesCLI(t, "report", dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "report.html")); err != nil {
		t.Errorf("default report path: %v", err)
	}
	if _, err := runFeaturesCLI(t, "serve", dir, "--addr", "not-an-address"); err == nil {
		t.Error("serve with a bad --addr: expected an error")
	}
}
