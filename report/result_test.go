package report

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/glassbox-interp/glassbox/features/rundir"
	"github.com/glassbox-interp/glassbox/sae"
	"github.com/glassbox-interp/glassbox/workload"
)

// TestFromResult: the view of an analysed run carries its name, case,
// tokens and training curves (moved here from features/rundir, which no
// longer imports report).
func TestFromResult(t *testing.T) {
	cd, err := workload.CatalogueCase(3)
	if err != nil {
		t.Fatal(err)
	}
	din := len(cd.Compiled.ResidualLabels)
	s, err := sae.New(sae.ArchStandard, din, din)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < din; i++ {
		s.WEncT[i*din+i], s.WDec[i*din+i] = 1, 1
	}
	s.Meta.HookName, s.Meta.ModelName = "blocks.0.hook_resid_pre", "case3"
	dir := filepath.Join(t.TempDir(), "run")
	if err := sae.Save(filepath.Join(dir, "final"), s, nil); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "metrics.jsonl"), []byte(`{"step":1,"losses/mse_loss":0.5,"details/n_training_tokens":80}`+"\n"+`{"step":2,"losses/mse_loss":0.1,"details/n_training_tokens":160}`+"\n"), 0o644)
	res, err := rundir.Load(dir, rundir.Options{Cases: workload.CatalogueCase, NoEffects: true})
	if err != nil {
		t.Fatal(err)
	}
	rr := FromResult(res)
	if rr.Name != "run" || rr.Source != "case 3" || len(rr.Tokens) != 320 {
		t.Errorf("report run %s %s %d", rr.Name, rr.Source, len(rr.Tokens))
	}
	if len(rr.Curves) != 1 || rr.Curves[0].Name != "losses/mse_loss" {
		t.Errorf("curves %+v", rr.Curves)
	}
}
