package main

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestTrainSummaryMatchesSAEEval: `glassbox train`'s closing summary and
// `glassbox sae-eval` on the run report the same vectors, explained
// variance, L0 and dead features (one definition each, sae.ReconSums).
func TestTrainSummaryMatchesSAEEval(t *testing.T) {
	run := filepath.Join(t.TempDir(), "R")
	trainOut, _, err := runTrainCLI(t, "train", "--case", "3", "--hook", "blocks.1.hook_resid_pre",
		"--training-tokens", "8000", "--out", run, "--quiet")
	if err != nil {
		t.Fatalf("train: %v", err)
	}
	m := regexp.MustCompile(`final SAE on the (\d+) unique activations: explained variance (\S+), L0 (\S+), dead features (\d+)/`).FindStringSubmatch(trainOut)
	if m == nil {
		t.Fatalf("train summary not found:\n%s", trainOut)
	}
	evalOut, err := runFeaturesCLI(t, "sae-eval", run)
	if err != nil {
		t.Fatalf("sae-eval: %v", err)
	}
	field := func(re string) string {
		t.Helper()
		g := regexp.MustCompile(re).FindStringSubmatch(evalOut)
		if g == nil {
			t.Fatalf("sae-eval output lacks %s:\n%s", re, evalOut)
		}
		return g[1]
	}
	round := func(s string, prec int) string {
		t.Helper()
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		return strconv.FormatFloat(v, 'f', prec, 64)
	}
	n := field(`\((?:[^,]*), (\d+) vectors\)`)
	ev := round(field(`(?m)^explained variance (\S+)$`), 4)
	l0 := round(field(`(?m)^L0 +(\S+)$`), 2)
	dead := field(`(?m)^dead features +(\d+)$`)
	if n != m[1] || ev != m[2] || l0 != m[3] || dead != m[4] {
		t.Errorf("train: %s vectors, EV %s, L0 %s, dead %s; sae-eval: %s vectors, EV %s, L0 %s, dead %s",
			m[1], m[2], m[3], m[4], n, ev, l0, dead)
	}
}

// TestSAEEvalTolerance: sae-eval prints the numerical tolerance beside the
// accuracies (InterpBench's |Δ| < 0.05 by default, --atol to change it)
// and the fraction of clean accuracy the spliced model keeps (issue 15, 2).
func TestSAEEvalTolerance(t *testing.T) {
	dir, _ := oneHotRun(t) // case 3, numerical; a lossless SAE
	out, err := runFeaturesCLI(t, "sae-eval", dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"|Δ| < 0.05", "spliced keeps 1.0000 of the clean accuracy"} {
		if !strings.Contains(out, want) {
			t.Errorf("sae-eval output lacks %q:\n%s", want, out)
		}
	}
	out, err = runFeaturesCLI(t, "sae-eval", dir, "--atol", "0.2", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Downstream struct {
			ATol     float64  `json:"atol"`
			Retained *float64 `json:"accuracy_retained"`
		} `json:"downstream"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Downstream.ATol != 0.2 || rep.Downstream.Retained == nil {
		t.Errorf("--atol 0.2 --json: %+v, %v\n%s", rep, err, out)
	}
	if _, err := runFeaturesCLI(t, "sae-eval", dir, "--atol", "-1"); err == nil || !strings.Contains(err.Error(), "--atol") {
		t.Errorf("--atol -1: %v", err)
	}
}

// TestFeaturesThresholdInOutput: features states its firing threshold
// (by default relative to the hook's largest feature activation), and
// --threshold changes the header's live count too (issue 15, 3).
func TestFeaturesThresholdInOutput(t *testing.T) {
	dir, _ := oneHotRun(t)
	out, err := runFeaturesCLI(t, "features", dir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "a feature fires where activation > ") || !strings.Contains(out, "1% of the hook's largest activation norm") {
		t.Errorf("features header does not state the threshold:\n%s", firstLine(out))
	}
	out, err = runFeaturesCLI(t, "features", dir, "--threshold", "1e9", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Live          int     `json:"live"`
		Threshold     float64 `json:"threshold"`
		ThresholdRule string  `json:"threshold_rule"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Live != 0 || rep.Threshold != 1e9 || rep.ThresholdRule != "--threshold" {
		t.Errorf("--threshold 1e9: %+v, %v", rep, err)
	}
	out, err = runFeaturesCLI(t, "features", dir, "--threshold", "1e9")
	if err != nil || !strings.Contains(firstLine(out), " 0 live") {
		t.Errorf("--threshold 1e9 header: %q, %v", firstLine(out), err)
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
