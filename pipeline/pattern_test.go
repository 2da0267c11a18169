package pipeline

import (
	"path/filepath"
	"testing"

	"github.com/glassbox-interp/glassbox/features/rundir"
	"github.com/glassbox-interp/glassbox/workload"
)

// TestPatternHookTrainsAndAnalyses is issue 13's reproduction: an SAE
// trained on one head of blocks.1.attn.hook_pattern ([B, H, T_q, T_k]) is
// analysed with the same slicing it was trained on (one key vector per
// query position), so every dataset position has an activation.
func TestPatternHookTrainsAndAnalyses(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	head := 0
	run, err := Start(dir, workload.Source{Case: 3, Hook: "blocks.1.attn.hook_pattern", Head: &head}, smallConfig(8000), StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if run.Set.DIn != 5 || run.Set.N() != 1600 {
		t.Fatalf("training set %d×%d, want 1600×5 (query positions × key positions)", run.Set.N(), run.Set.DIn)
	}
	summary, err := run.Train(nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := rundir.Load(dir, rundir.Options{Cases: workload.CatalogueCase})
	if err != nil {
		t.Fatalf("analyse the hook_pattern run: %v", err)
	}
	if got := res.X.Shape; len(got) != 3 || got[0] != 320 || got[1] != 5 || got[2] != 5 {
		t.Fatalf("analysed activations %v, want [320 5 5]", got)
	}
	// The analysis sees exactly the vectors the SAE was trained on.
	for i, v := range run.Set.Data {
		if res.X.Data[i] != v {
			t.Fatalf("analysis activation %d = %v, training %v", i, res.X.Data[i], v)
		}
	}
	// train's summary and sae-eval's metrics are one computation.
	if *summary != *res.Recon {
		t.Errorf("train summary %+v, analysis %+v", *summary, *res.Recon)
	}
	if res.Downstream == nil {
		t.Fatal("no spliced downstream metrics")
	}
}
