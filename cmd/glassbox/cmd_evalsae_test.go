package main

import (
	"path/filepath"
	"regexp"
	"strconv"
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
