package main

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestReadmeExcerptAgreesWithItsProse checks the README against itself:
// it names the notebook glassbox reproduces, and its prose about the
// demo's resid_pre SAE counts the duplicate groups and the feature 12 label
// that the demo excerpt (regenerated from a real `glassbox demo` run) shows.
func TestReadmeExcerptAgreesWithItsProse(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Skip("README.md not found next to the module")
	}
	readme := string(b)
	for _, w := range []string{"evanhanders/circuits-benchmark-saes", "quick-experiments/SAE_trained_on_benchmark.ipynb"} {
		if !strings.Contains(readme, w) {
			t.Errorf("README does not name the notebook: lacks %q", w)
		}
	}
	dup := regexp.MustCompile(`(?m)^  duplicates: (.*)$`).FindStringSubmatch(readme)
	if dup == nil {
		t.Fatal("README excerpt has no duplicates line")
	}
	groups := strings.Count(dup[1], "[")
	if !strings.Contains(readme, "in "+strconv.Itoa(groups)+" duplicate groups") {
		t.Errorf("README prose does not say %d duplicate groups (excerpt: %s)", groups, dup[1])
	}
	f12 := regexp.MustCompile(`(?m)^   12: (\S+)`).FindStringSubmatch(readme)
	if f12 == nil {
		t.Fatal("README excerpt does not show feature 12")
	}
	if !strings.Contains(readme, `"12: `+f12[1]+` `) {
		t.Errorf("README's features example does not label feature 12 %s as the excerpt does", f12[1])
	}
}
