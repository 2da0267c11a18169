package web

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glassbox-interp/glassbox/report"
	"github.com/glassbox-interp/glassbox/workload"
)

// TestRunNames: runs with colliding directory names are named from the
// model kind (and hook) they record; a numeric suffix only for runs that
// record nothing that tells them apart; unique names are kept.
func TestRunNames(t *testing.T) {
	root := t.TempDir()
	run := func(path string, src *workload.Source) string {
		t.Helper()
		dir := filepath.Join(root, path)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if src != nil {
			if err := workload.WriteSource(dir, *src); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	siitRef := &workload.ModelRef{Path: "/m/siit-model", Kind: workload.KindSIIT, Hash: "ab"}
	compiled := run("demo/resid-pre", &workload.Source{Case: 3, Hook: "blocks.0.hook_resid_pre"})
	siitRun := run("demo/siit/resid-pre", &workload.Source{Case: 3, Model: "/m/siit-model", ModelRef: siitRef, Hook: "blocks.0.hook_resid_pre"})
	mlp := run("demo/mlp-out", &workload.Source{Case: 3, Hook: "blocks.0.hook_mlp_out"})
	ibA := run("a/run", &workload.Source{Case: 3, Model: "/m/x", ModelRef: &workload.ModelRef{Kind: workload.KindInterpBench}, Hook: "blocks.0.hook_resid_pre"})
	ibB := run("b/run", &workload.Source{Case: 3, Model: "/m/x", ModelRef: &workload.ModelRef{Kind: workload.KindInterpBench}, Hook: "blocks.1.attn.hook_result"})
	acts := run("c/run", &workload.Source{Activations: "/acts.npy", Hook: "blocks.0.hook_resid_pre"})
	bare1, bare2 := run("x/sae", nil), run("y/sae", nil)
	taken := run("siit-resid-pre", nil) // a directory already called what the siit run would be

	for _, tc := range []struct {
		name string
		dirs []string
		want string
	}{
		{"compiled and siit", []string{compiled, siitRun, mlp}, "compiled-resid-pre siit-resid-pre mlp-out"},
		{"same kind, hooks differ", []string{ibA, ibB, acts}, "interpbench-run-0-resid-pre interpbench-run-1-attn-result run"},
		{"nothing recorded", []string{bare1, bare2}, "sae sae-2"},
		{"name taken", []string{taken, compiled, siitRun}, "siit-resid-pre compiled-resid-pre siit-resid-pre-0-resid-pre"},
	} {
		if got := strings.Join(runNames(tc.dirs), " "); got != tc.want {
			t.Errorf("%s: names %q, want %q", tc.name, got, tc.want)
		}
	}

	s, err := New([]string{compiled, siitRun}, func(string) (*report.Run, error) { return nil, nil })
	if err != nil || s.byName["siit-resid-pre"] == nil || s.byName["siit-resid-pre"].dir != siitRun || s.byName["compiled-resid-pre"] == nil {
		t.Errorf("server names: %v %v", err, s)
	}
}
