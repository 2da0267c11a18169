package main

import (
	"encoding/json"
	"strings"
	"testing"
)

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
