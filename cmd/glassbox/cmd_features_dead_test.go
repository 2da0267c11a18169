package main

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

// TestFeatureDeadPrintsNoExamples: `features --feature N` on a feature that
// never fires says so instead of listing all-zero "top examples".
func TestFeatureDeadPrintsNoExamples(t *testing.T) {
	dir, _ := oneHotRun(t)
	out, err := runFeaturesCLI(t, "features", dir, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Features []struct {
			Index int  `json:"index"`
			Live  bool `json:"live"`
		} `json:"features"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	dead := -1
	for _, f := range rep.Features {
		if !f.Live {
			dead = f.Index
			break
		}
	}
	if dead < 0 {
		t.Skip("the one-hot run has no dead feature")
	}
	out, err = runFeaturesCLI(t, "features", dir, "--feature", strconv.Itoa(dead))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "never activates") || strings.Contains(out, "activation   row") || strings.Contains(out, "]") {
		t.Errorf("--feature %d (dead) output:\n%s", dead, out)
	}
}
