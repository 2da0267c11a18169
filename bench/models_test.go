package bench

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glassbox-interp/glassbox/trained"
)

// TestExpandModels: every case is expanded per model kind with that
// kind's hooks; compiled cells keep their old keys and siit cells get
// their own.
func TestExpandModels(t *testing.T) {
	spec := Spec{Cases: []int{3}, Hooks: []string{"residual:last"}, Archs: []string{"topk"}, K: []int{4}, Models: []string{ModelCompiled, ModelSIIT}}
	cells, err := ExpandModels(spec, func(id int, kind string) ([]string, error) {
		if kind == ModelSIIT {
			return StandardHooks(3), nil
		}
		return StandardHooks(2), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(cells) != 2 {
		t.Fatalf("%d cells, want 2", len(cells))
	}
	c, s := cells[0], cells[1]
	if c.Model != "" || c.Hook != "blocks.1.hook_resid_post" || strings.Contains(c.Key(), "model=") {
		t.Errorf("compiled cell %+v key %s", c, c.Key())
	}
	if s.Model != ModelSIIT || s.Hook != "blocks.2.hook_resid_post" || !strings.HasSuffix(s.Key(), " model=siit") || s.ID() == c.ID() {
		t.Errorf("siit cell %+v key %s", s, s.Key())
	}
	// A compiled-only spec normalises as before (no models key) and its
	// keys are those of Expand.
	n, err := Spec{Cases: []int{3}, Hooks: []string{"mlp"}, Archs: []string{"topk"}, K: []int{4}, Models: []string{ModelCompiled}}.Normalize()
	if err != nil || n.Models != nil {
		t.Errorf("compiled-only models normalise to %v, %v", n.Models, err)
	}
	if _, err := (Spec{Cases: []int{3}, Hooks: []string{"mlp"}, Archs: []string{"topk"}, K: []int{4}, Models: []string{"trained"}}).Normalize(); err == nil {
		t.Error("unknown model kind accepted")
	}
}

// TestAggregateByModel: with two model kinds every table is split by kind
// (compiled first, ranked within each kind); one kind keeps the old tables.
func TestAggregateByModel(t *testing.T) {
	res := func(model string, cov float64) Result {
		c := Cell{Case: 3, Hook: "blocks.1.hook_resid_post", Arch: "topk", Param: ParamK, Value: 4, Seed: 42, TrainingTokens: 1000, Expansion: 4, Model: model}
		return Result{ID: c.ID(), Key: c.Key(), Cell: c, Status: StatusOK, Metrics: map[string]float64{MetricCoverage: cov, MetricL0: 2}}
	}
	lb := Aggregate([]Result{res(ModelSIIT, 0.5), res("", 1)})
	if len(lb.Models) != 2 || len(lb.Archs) != 2 || len(lb.Sparsity) != 2 || len(lb.Hooks) != 2 {
		t.Fatalf("models %v, %d arch rows, %d sparsity rows, %d hook rows", lb.Models, len(lb.Archs), len(lb.Sparsity), len(lb.Hooks))
	}
	if lb.Archs[0].Model != ModelCompiled || lb.Archs[1].Model != ModelSIIT || lb.Archs[1].Stat(MetricCoverage).Mean != 0.5 {
		t.Errorf("arch rows %+v", lb.Archs)
	}
	md := string(lb.Markdown())
	if !strings.Contains(md, "| 1 | topk | compiled |") || !strings.Contains(md, "| topk | siit | k=4 ★ |") {
		t.Errorf("markdown:\n%s", md)
	}
	page, err := lb.HTML()
	if err != nil || !strings.Contains(string(page), "<th class=\"name\">model</th>") {
		t.Errorf("html: %v", err)
	}
	if svg := string(lb.FrontierSVG()); !strings.Contains(svg, "topk · siit") {
		t.Error("frontier plot has no siit series")
	}
	one := Aggregate([]Result{res("", 1)})
	if one.Models != nil || one.Archs[0].Model != "" || strings.Contains(string(one.Markdown()), "| model |") {
		t.Errorf("one kind: %+v", one)
	}
}

// TestSweepBothModels runs one topk cell on case 3's compiled model and on
// its (tiny) SIIT model: the SIIT model is trained once into
// OUT/models/case_3 and its cell reads the 12-wide LL residual stream.
func TestSweepBothModels(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a SIIT model")
	}
	dir := t.TempDir()
	trainedN := 0
	b, err := RealBackendModels(RunnerOptions{}, ModelsOptions{Dir: dir, SIIT: trained.Settings{Epochs: 1, Samples: 60},
		Trained: func(Subject, *trained.Model) { trainedN++ }})
	if err != nil {
		t.Fatal(err)
	}
	spec := Spec{Cases: []int{3}, Hooks: []string{"blocks.0.hook_resid_pre"}, Archs: []string{"topk"}, K: []int{4}, TrainingTokens: 4000,
		Models: []string{ModelCompiled, ModelSIIT}}
	cells, _, err := b.Expand(spec)
	if err != nil || len(cells) != 2 {
		t.Fatalf("%d cells, %v", len(cells), err)
	}
	b.Plan(cells)
	sum, err := Sweep(context.Background(), cells, b.Run, Options{Dir: dir, Jobs: 1})
	if err != nil || sum.OK != 2 {
		t.Fatalf("sweep: %+v, %v", sum, err)
	}
	if _, err := os.Stat(filepath.Join(SIITModelDir(dir, 3), "model.safetensors")); err != nil {
		t.Error(err)
	}
	if trainedN != 1 {
		t.Errorf("SIIT model prepared %d times, want once", trainedN)
	}
	rs, _, err := ReadResults(dir)
	if err != nil {
		t.Fatal(err)
	}
	lb := Aggregate(rs)
	if len(lb.Models) != 2 || lb.OK != 2 {
		t.Errorf("leaderboard models %v, ok %d", lb.Models, lb.OK)
	}
	for _, r := range rs {
		if _, ok := r.Metrics[MetricCoverage]; !ok {
			t.Errorf("%s: no coverage (%v)", r.Key, r.Metrics)
		}
	}
}

// TestCostByModelWidth: a cell costs by the width of the model it runs
// on: case 3's compiled model has d_model 13, its SIIT (LL) model 12.
func TestCostByModelWidth(t *testing.T) {
	b, err := RealBackendModels(RunnerOptions{}, ModelsOptions{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	cell := Cell{Case: 3, Hook: "blocks.0.hook_resid_pre", Arch: "topk", Param: ParamK, Value: 4, Seed: 42, TrainingTokens: 1000, Expansion: 4}
	siitCell := cell
	siitCell.Model = ModelSIIT
	for _, tc := range []struct {
		cell Cell
		dIn  float64
	}{{cell, 13}, {siitCell, 12}} {
		if got, want := b.Cost(tc.cell), 1000*tc.dIn*tc.dIn*4; got != want {
			t.Errorf("%s: cost %v, want %v (d_in %v)", tc.cell.Key(), got, want, tc.dIn)
		}
	}
}
