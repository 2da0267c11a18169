package bench

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glassbox-interp/glassbox/features/rundir"
	"github.com/glassbox-interp/glassbox/sae"
	"github.com/glassbox-interp/glassbox/workload"
)

// TestKeepSAEs: with KeepDir a cell's trained SAE is saved in SAELens
// layout under its ID, features/rundir analyses it without retraining, and
// the leaderboard links it to glassbox serve.
func TestKeepSAEs(t *testing.T) {
	keep := filepath.Join(t.TempDir(), SAEsDir)
	cell := Cell{Case: 3, Hook: "blocks.0.hook_resid_pre", Arch: "standard", Param: ParamL1, Value: 0.1, Seed: 1, TrainingTokens: 8000, Expansion: 2}
	m, err := NewRunner(RunnerOptions{KeepDir: keep}).Run(context.Background(), cell)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(keep, cell.ID())
	for _, f := range []string{sae.CfgFile, sae.WeightsFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Fatalf("kept SAE lacks %s: %v", f, err)
		}
	}
	res, err := rundir.Load(dir, rundir.Options{Cases: workload.CatalogueCase, NoEffects: true})
	if err != nil {
		t.Fatalf("the kept SAE cannot be analysed: %v", err)
	}
	if res.Hook != cell.Hook || res.SAE.DSAE != 2*res.SAE.DIn {
		t.Errorf("kept SAE: hook %s, d_sae %d, d_in %d", res.Hook, res.SAE.DSAE, res.SAE.DIn)
	}
	if ev := float64(res.Recon.ExplainedVariance); abs(ev-m["explained_variance"]) > 1e-3 {
		t.Errorf("explained variance of the kept SAE %v, the cell recorded %v", ev, m["explained_variance"])
	}

	results := []Result{
		{ID: cell.ID(), Key: cell.Key(), Cell: cell, Status: StatusOK, Metrics: m},
		{ID: "feedfacefeedface", Cell: Cell{Case: 3, Hook: cell.Hook, Arch: "standard", Param: ParamL1, Value: 0.1}, Status: StatusOK}, // not kept
	}
	lb := Aggregate(results)
	if err := lb.AddKept(results, keep, "http://127.0.0.1:9000/"); err != nil {
		t.Fatal(err)
	}
	if len(lb.Kept) != 1 || lb.Kept[0].Href != "http://127.0.0.1:9000/run/"+cell.ID()+"/" {
		t.Fatalf("kept %+v", lb.Kept)
	}
	if k := lb.KeptFor(lb.Sparsity[0]); len(k) != 1 {
		t.Errorf("sparsity row %+v links %d kept cells, want 1", lb.Sparsity[0], len(k))
	}
	page, err := lb.HTML()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`href="http://127.0.0.1:9000/run/` + cell.ID() + `/"`, "Kept SAEs (1)", "glassbox serve " + keep + "/*", ">3:0.resid_pre<"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("leaderboard HTML lacks %q", want)
		}
	}
	// No saes directory: nothing is added.
	lb2 := Aggregate(results)
	if err := lb2.AddKept(results, filepath.Join(t.TempDir(), "none"), ""); err != nil || len(lb2.Kept) != 0 {
		t.Errorf("missing dir: %v %+v", err, lb2.Kept)
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// TestKeepSAEOnModelFolder: a kept SAE of a cell on a model folder (here
// an interpbench download of a 12-wide SIIT model) records its source, so
// analysing the kept folder alone runs it on that model, not the compiled
// one (13 wide, where it would not fit).
func TestKeepSAEOnModelFolder(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a SIIT model")
	}
	dl, _ := downloads(t)
	keep := filepath.Join(t.TempDir(), SAEsDir)
	b, err := RealBackendModels(RunnerOptions{KeepDir: keep}, ModelsOptions{Dir: t.TempDir(), InterpBenchDir: dl})
	if err != nil {
		t.Fatal(err)
	}
	cell := Cell{Case: 3, Hook: "blocks.0.hook_resid_pre", Arch: "topk", Param: ParamK, Value: 4, Seed: 1, TrainingTokens: 4000, Expansion: 4, Model: ModelInterpBench}
	m, err := b.Run(context.Background(), cell)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(keep, cell.ID())
	src, err := workload.ReadSource(dir)
	if err != nil {
		t.Fatal(err)
	}
	folder, _ := filepath.Abs(filepath.Join(dl, "3"))
	if src.Case != 3 || src.Hook != cell.Hook || src.Model != folder || src.ModelRef == nil || src.ModelRef.Kind != workload.KindInterpBench {
		t.Fatalf("kept source %+v", src)
	}
	res, err := rundir.Load(dir, rundir.Options{Cases: workload.CatalogueCase, NoEffects: true})
	if err != nil {
		t.Fatalf("the kept SAE cannot be analysed on its model: %v", err)
	}
	if res.SAE.DIn != 12 {
		t.Errorf("kept SAE d_in %d, want 12", res.SAE.DIn)
	}
	if ev := float64(res.Recon.ExplainedVariance); abs(ev-m["explained_variance"]) > 1e-3 {
		t.Errorf("explained variance of the kept SAE %v, the cell recorded %v", ev, m["explained_variance"])
	}
}
