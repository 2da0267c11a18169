package bench

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glassbox-interp/glassbox/cases"
	"github.com/glassbox-interp/glassbox/model"
	"github.com/glassbox-interp/glassbox/siit"
	"github.com/glassbox-interp/glassbox/trained"
	"github.com/glassbox-interp/glassbox/workload"
)

// TestModelFolder: a case's folder is DIR/case_N or DIR/N; neither is
// ErrNoModel, both (or a file in the way) an error naming them.
func TestModelFolder(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"case_3", "4", "case_5", "5"} {
		if err := os.Mkdir(filepath.Join(dir, p), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "case_6"), []byte("not a folder"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		id      int
		want    string // folder name, "" for an error
		noModel bool   // the error wraps ErrNoModel
		errHas  string
	}{
		{id: 3, want: "case_3"},
		{id: 4, want: "4"},
		{id: 5, errHas: "two model folders"},
		{id: 6, noModel: true, errHas: "case_6/ or 6/"},
		{id: 7, noModel: true, errHas: "no model folder for case 7"},
	} {
		got, err := ModelFolder(dir, tc.id)
		if tc.want != "" {
			if err != nil || got != filepath.Join(dir, tc.want) {
				t.Errorf("case %d: %q, %v; want %s", tc.id, got, err, tc.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.errHas) || errors.Is(err, ErrNoModel) != tc.noModel {
			t.Errorf("case %d: error %v, want one with %q (ErrNoModel %v)", tc.id, err, tc.errHas, tc.noModel)
		}
	}
}

// downloads returns a directory of downloaded models holding case 3's
// (tiny) SIIT model as 3/, without its meta.json: a model folder that is
// not glassbox's own SIIT output, as an InterpBench download, with its
// correspondence.json.
func downloads(t *testing.T) (dir string, m *model.Model) {
	t.Helper()
	c, err := cases.Get(3)
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(t.TempDir(), "case_3")
	if _, err := trained.Ensure(context.Background(), c, src, trained.Settings{Epochs: 1, Samples: 60}); err != nil {
		t.Fatal(err)
	}
	dir = filepath.Join(t.TempDir(), "downloads")
	folder := filepath.Join(dir, "3")
	if err := os.CopyFS(folder, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(folder, siit.MetaFile)); err != nil {
		t.Fatal(err)
	}
	if m, err = model.Open(folder); err != nil {
		t.Fatal(err)
	}
	return dir, m
}

// TestSweepInterpBench sweeps cases 3 and 4 on their compiled models and
// on the downloads in a directory that holds case 3's only: case 4 gets
// no interpbench cell and one note, case 3's interpbench cell runs on its
// folder (the 12-wide LL model), costs by its width and records the
// folder's path, kind and weights hash; the leaderboard splits by kind.
func TestSweepInterpBench(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a SIIT model")
	}
	dl, m := downloads(t)
	out := t.TempDir()
	b, err := RealBackendModels(RunnerOptions{}, ModelsOptions{Dir: out, InterpBenchDir: dl})
	if err != nil {
		t.Fatal(err)
	}
	spec := Spec{Cases: []int{3, 4}, Hooks: []string{"blocks.0.hook_resid_pre"}, Archs: []string{"topk"}, K: []int{4}, TrainingTokens: 4000,
		Models: []string{ModelCompiled, ModelInterpBench}}
	cells, notes, err := b.Expand(spec)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, c := range cells {
		keys = append(keys, c.Key())
		if c.ExpandErr != "" {
			t.Errorf("%s fails: %s", c.Key(), c.ExpandErr)
		}
	}
	if len(cells) != 3 || cells[1].Case != 3 || cells[1].Model != ModelInterpBench || !strings.HasSuffix(cells[1].Key(), " model=interpbench") {
		t.Fatalf("cells:\n%s", strings.Join(keys, "\n"))
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "case 4:") || !strings.Contains(notes[0], "no interpbench cells") {
		t.Errorf("notes %q, want one line for case 4", notes)
	}
	if got, want := b.Cost(cells[1]), 4000.0*12*12*DefaultExpansion; got != want {
		t.Errorf("interpbench cell cost %v, want %v (d_in 12)", got, want)
	}
	b.Plan(cells)
	sum, err := Sweep(context.Background(), cells, b.Run, Options{Dir: out, Jobs: 1, Provenance: b.Provenance})
	if err != nil || sum.OK != 3 {
		t.Fatalf("sweep: %+v, %v", sum, err)
	}
	rs, _, err := ReadResults(out)
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(filepath.Join(dl, "3"))
	for _, r := range rs {
		if r.Cell.Model == "" {
			if r.Model != nil {
				t.Errorf("%s: compiled cell records a model folder %+v", r.Key, r.Model)
			}
			continue
		}
		want := workload.ModelRef{Path: abs, Kind: workload.KindInterpBench, Hash: workload.WeightsHash(m)}
		if r.Model == nil || *r.Model != want {
			t.Errorf("%s: model %+v, want %+v", r.Key, r.Model, want)
		}
		if _, ok := r.Metrics[MetricCoverage]; !ok {
			t.Errorf("%s: no coverage (%v)", r.Key, r.Metrics)
		}
	}
	lb := Aggregate(rs)
	if strings.Join(lb.Models, ",") != "compiled,interpbench" || lb.OK != 3 {
		t.Errorf("leaderboard models %v, ok %d", lb.Models, lb.OK)
	}
}

// TestInterpBenchWithoutDir: without a directory of downloads every case
// has no interpbench model, so the grid has no such cells.
func TestInterpBenchWithoutDir(t *testing.T) {
	b, err := RealBackendModels(RunnerOptions{}, ModelsOptions{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	cells, notes, err := b.Expand(Spec{Cases: []int{3}, Hooks: []string{"residual:last"}, Archs: []string{"topk"}, K: []int{4}, Models: []string{ModelInterpBench}})
	if err != nil || len(cells) != 0 || len(notes) != 1 || !strings.Contains(notes[0], "--model-dir") {
		t.Errorf("%d cells, notes %q, %v", len(cells), notes, err)
	}
}

// TestAggregateThreeKinds: results on three model kinds give every table
// one block per kind, compiled, siit, interpbench in that order, each
// ranked within itself.
func TestAggregateThreeKinds(t *testing.T) {
	res := func(model, arch string, cov float64) Result {
		c := Cell{Case: 3, Hook: "blocks.1.hook_resid_post", Arch: arch, Param: ParamK, Value: 4, Seed: 42, TrainingTokens: 1000, Expansion: 4, Model: model}
		return Result{ID: c.ID(), Key: c.Key(), Cell: c, Status: StatusOK, Metrics: map[string]float64{MetricCoverage: cov, MetricL0: 2}}
	}
	lb := Aggregate([]Result{
		res(ModelInterpBench, "topk", 0.2), res(ModelInterpBench, "batchtopk", 0.3),
		res(ModelSIIT, "topk", 0.5), res("", "topk", 1),
	})
	if strings.Join(lb.Models, ",") != "compiled,siit,interpbench" {
		t.Fatalf("models %v", lb.Models)
	}
	var rows []string
	for _, r := range lb.Archs {
		rows = append(rows, r.Model+"/"+r.Arch)
	}
	if got := strings.Join(rows, " "); got != "compiled/topk siit/topk interpbench/batchtopk interpbench/topk" {
		t.Errorf("arch rows %s", got)
	}
	if len(lb.Sparsity) != 4 || len(lb.Hooks) != 4 {
		t.Errorf("%d sparsity rows, %d hook rows; want 4 each", len(lb.Sparsity), len(lb.Hooks))
	}
	md := string(lb.Markdown())
	for _, want := range []string{"Models: compiled, siit, interpbench", "| 1 | batchtopk | interpbench |", "| 2 | topk | interpbench |", "| 1 | topk | siit |"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	page, err := lb.HTML()
	if err != nil || !strings.Contains(string(page), "<tr><td>2</td><td class=\"name\">topk</td><td class=\"name\">interpbench</td>") {
		t.Errorf("html ranks within each kind: %v", err)
	}
	if svg := string(lb.FrontierSVG()); !strings.Contains(svg, "topk · interpbench") || !strings.Contains(svg, "topk · siit") {
		t.Error("frontier plot lacks a kind's series")
	}
}

// TestInterpBenchOtherCaseFolder: a glassbox SIIT folder trained for case
// 3 but placed as case 4's is refused, with an error naming both cases.
func TestInterpBenchOtherCaseFolder(t *testing.T) {
	c, err := cases.Get(3)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := trained.Ensure(context.Background(), c, filepath.Join(dir, "case_4"), trained.Settings{Epochs: 1, Samples: 60}); err != nil {
		t.Fatal(err)
	}
	b, err := RealBackendModels(RunnerOptions{}, ModelsOptions{Dir: t.TempDir(), InterpBenchDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	cells, _, err := b.Expand(Spec{Cases: []int{4}, Hooks: []string{"residual:last"}, Archs: []string{"topk"}, K: []int{4}, Models: []string{ModelInterpBench}})
	if err != nil || len(cells) != 1 || !strings.Contains(cells[0].ExpandErr, "trained for case 3") {
		t.Errorf("cells %+v, %v", cells, err)
	}
}
