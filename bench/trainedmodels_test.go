package bench

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glassbox-interp/glassbox/cases"
	"github.com/glassbox-interp/glassbox/trained"
	"github.com/glassbox-interp/glassbox/workload"
)

func TestAddTrained(t *testing.T) {
	dir := t.TempDir()
	var lb Leaderboard
	if err := lb.AddTrained(dir); err != nil || len(lb.Trained) != 0 {
		t.Fatalf("no models folder: %v %+v", err, lb.Trained)
	}
	// A models folder where nothing finished yet adds nothing either.
	if err := os.MkdirAll(SIITModelDir(dir, 3), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := lb.AddTrained(dir); err != nil || len(lb.Trained) != 0 {
		t.Fatalf("empty models folder: %v %+v", err, lb.Trained)
	}
	c, err := cases.Get(3)
	if err != nil {
		t.Fatal(err)
	}
	m, err := trained.Ensure(context.Background(), c, SIITModelDir(dir, 3), trained.Settings{Epochs: 1, Samples: 60})
	if err != nil {
		t.Fatal(err)
	}
	if err := lb.AddTrained(dir); err != nil {
		t.Fatal(err)
	}
	if len(lb.Trained) != 1 || lb.Trained[0].Case != "3" || lb.Trained[0].LL != "L2 H4 dh3 d12 mlp48" || lb.Trained[0].Epochs != 1 {
		t.Fatalf("trained rows %+v", lb.Trained)
	}
	if m == nil {
		t.Fatal("no model")
	}
	md := string(lb.Markdown())
	if !strings.Contains(md, "## The SIIT models") || !strings.Contains(md, "| 3 | L2 H4 dh3 d12 mlp48 | gen1 | 1 (1) |") {
		t.Errorf("leaderboard.md lacks the models:\n%s", md)
	}
	page, err := lb.HTML()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "<h2>The SIIT models</h2>") || !strings.Contains(string(page), "L2 H4 dh3 d12 mlp48") {
		t.Error("leaderboard.html lacks the models")
	}
}

// TestSweepSIITModels: --siit-models runs the siit cells on models trained
// beforehand (here one folder, case 3) without training anything; the
// results record that folder, and the leaderboard lists its model only
// for the swept cases.
func TestSweepSIITModels(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a SIIT model")
	}
	pre := t.TempDir()
	c, err := cases.Get(3)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := trained.Ensure(context.Background(), c, filepath.Join(pre, "case_3"), trained.Settings{Epochs: 1, Samples: 60}); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	b, err := RealBackendModels(RunnerOptions{}, ModelsOptions{Dir: out, SIITDir: pre})
	if err != nil {
		t.Fatal(err)
	}
	spec := Spec{Cases: []int{3, 4}, Hooks: []string{"blocks.0.hook_resid_pre"}, Archs: []string{"topk"}, K: []int{4}, TrainingTokens: 4000,
		Models: []string{ModelSIIT}}
	cells, notes, err := b.Expand(spec)
	if err != nil {
		t.Fatal(err)
	}
	if len(cells) != 1 || cells[0].Case != 3 || len(notes) != 1 || !strings.Contains(notes[0], "case 4") {
		t.Fatalf("cells %+v, notes %q: want case 3's siit cell and a note for case 4", cells, notes)
	}
	if got, want := b.Cost(cells[0]), 4000.0*12*12*DefaultExpansion; got != want {
		t.Errorf("cost %v, want %v (d_in 12)", got, want)
	}
	b.Plan(cells)
	if err := WriteSpec(out, SweepInfo{Spec: spec, Shard: "0/1", Runner: RunnerOptions{SIIT: SIITOptions{Enabled: true, Models: pre}}}); err != nil {
		t.Fatal(err)
	}
	sum, err := Sweep(context.Background(), cells, b.Run, Options{Dir: out, Jobs: 1, Provenance: b.Provenance})
	if err != nil || sum.OK != 1 {
		t.Fatalf("sweep: %+v, %v", sum, err)
	}
	if _, err := os.Stat(filepath.Join(out, ModelsDir)); err == nil {
		t.Error("the sweep trained models although --siit-models gave them")
	}
	rs, _, err := ReadResults(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].Model == nil || rs[0].Model.Path != filepath.Join(pre, "case_3") || rs[0].Model.Kind != workload.KindSIIT {
		t.Fatalf("results %+v", rs)
	}
	lb := Aggregate(rs)
	if err := lb.AddTrained(out); err != nil {
		t.Fatal(err)
	}
	if len(lb.Trained) != 1 || lb.Trained[0].Case != "3" {
		t.Errorf("trained models on the leaderboard: %+v", lb.Trained)
	}
}
