package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glassbox-interp/glassbox/cases"
	"github.com/glassbox-interp/glassbox/features/rundir"
	"github.com/glassbox-interp/glassbox/model/grad"
	"github.com/glassbox-interp/glassbox/siit"
	"github.com/glassbox-interp/glassbox/workload"
)

// saveLL writes case 3's LL-shaped model (d_model 12), initialised with seed.
func saveLL(t *testing.T, dir string, seed int64) {
	t.Helper()
	cd, err := workload.CatalogueCase(3)
	if err != nil {
		t.Fatal(err)
	}
	ll, std, err := siit.LLConfig(cd.Compiled.Config, 3, siit.Shape{})
	if err != nil {
		t.Fatal(err)
	}
	n, err := grad.New(ll)
	if err != nil {
		t.Fatal(err)
	}
	n.InitNormal(seed, std)
	m, err := n.Model()
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
}

// TestRunOnLLModel: a run on a model folder records the model (path, kind,
// weights hash); analysing it uses that model, and other weights or a
// missing folder are errors naming the model, never the compiled model.
func TestRunOnLLModel(t *testing.T) {
	tmp := t.TempDir()
	mdir := filepath.Join(tmp, "ll")
	saveLL(t, mdir, 0)
	dir := filepath.Join(tmp, "run")
	run, err := Start(dir, workload.Source{Case: 3, Model: mdir, Hook: "blocks.1.hook_attn_out"}, smallConfig(8000), StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if run.Set.DIn != 12 || run.Trainer.Cfg.DSAE != 48 {
		t.Fatalf("d_in %d, d_sae %d, want 12 and 48", run.Set.DIn, run.Trainer.Cfg.DSAE)
	}
	if _, err := run.Train(nil); err != nil {
		t.Fatal(err)
	}
	src, err := workload.ReadSource(dir)
	if err != nil {
		t.Fatal(err)
	}
	if r := src.ModelRef; r == nil || r.Kind != workload.KindInterpBench || r.Path != mdir || len(r.Hash) != 64 {
		t.Fatalf("model_ref %+v", src.ModelRef)
	}
	res, err := rundir.Load(dir, rundir.Options{Cases: workload.CatalogueCase, NoEffects: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Model.Config().DModel != 12 {
		t.Errorf("analysed with d_model %d", res.Model.Config().DModel)
	}
	if !contains(res.Analysis.Labels.Expected, "frac_prevs_1") {
		t.Errorf("frac_prevs_1 not expected at attn_out of the LL model: %v", res.Analysis.Labels.Expected)
	}

	// Other weights in the recorded folder.
	if err := os.RemoveAll(mdir); err != nil {
		t.Fatal(err)
	}
	saveLL(t, mdir, 7)
	if _, err := rundir.Load(dir, rundir.Options{Cases: workload.CatalogueCase, NoEffects: true}); err == nil || !strings.Contains(err.Error(), "other weights") {
		t.Errorf("other weights: %v", err)
	}
	// The folder is gone.
	if err := os.RemoveAll(mdir); err != nil {
		t.Fatal(err)
	}
	if _, err := rundir.Load(dir, rundir.Options{Cases: workload.CatalogueCase, NoEffects: true}); err == nil || !strings.Contains(err.Error(), mdir) {
		t.Errorf("missing model folder: %v", err)
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// TestRunOnProgram: a run on a .star program (here case 3's source in a
// file) with a model folder records the program; analysing the run needs
// no case loader.
func TestRunOnProgram(t *testing.T) {
	tmp := t.TempDir()
	c, err := cases.Get(3)
	if err != nil {
		t.Fatal(err)
	}
	prog := filepath.Join(tmp, "frac.star")
	if err := os.WriteFile(prog, []byte(c.Source()), 0o644); err != nil {
		t.Fatal(err)
	}
	mdir := filepath.Join(tmp, "ll")
	saveLL(t, mdir, 0)
	dir := filepath.Join(tmp, "run")
	run, err := Start(dir, workload.Source{Program: &workload.Program{Path: prog}, Model: mdir, Hook: "blocks.0.hook_resid_pre"}, smallConfig(4000), StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if run.Trainer.Cfg.ModelName != "frac" || run.Set.DIn != 12 {
		t.Fatalf("model name %q, d_in %d", run.Trainer.Cfg.ModelName, run.Set.DIn)
	}
	if _, err := run.Train(nil); err != nil {
		t.Fatal(err)
	}
	res, err := rundir.Load(dir, rundir.Options{NoEffects: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Analysis.Labels == nil || len(res.Analysis.Labels.Expected) != 18 {
		t.Errorf("expected labels at resid_pre: %v", res.Analysis.Labels)
	}
	if _, err := Start(filepath.Join(tmp, "both"), workload.Source{Case: 3, Program: &workload.Program{Path: prog}, Hook: "blocks.0.hook_resid_pre"}, smallConfig(4000), StartOptions{}); err == nil {
		t.Error("a case and a program together accepted")
	}
}
