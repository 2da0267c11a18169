package rundir

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glassbox-interp/glassbox/activations"
	"github.com/glassbox-interp/glassbox/features"
	"github.com/glassbox-interp/glassbox/sae"
	"github.com/glassbox-interp/glassbox/workload"
)

// trainNotebookSAE trains an SAE with the original notebook's configuration
// (d_sae = 4·d_in, l1 0.1, lr 3e-4, batch 80 tokens, ghost grads,
// geometric-median b_dec, seed 42) on the compiled case-3 model's
// activations at hook, and writes it as a run directory.
func trainNotebookSAE(t testing.TB, cd *workload.Case, hook string, tokens int64, dir string) {
	t.Helper()
	m, err := cd.Compiled.Model()
	if err != nil {
		t.Fatal(err)
	}
	ids, err := cd.TokenIDs()
	if err != nil {
		t.Fatal(err)
	}
	_, cache, err := m.RunWithCache(ids, hook)
	if err != nil {
		t.Fatal(err)
	}
	act := cache[hook]
	din := act.Shape[len(act.Shape)-1]
	cfg := sae.DefaultConfig()
	cfg.ModelName = "case3"
	cfg.HookName = hook
	cfg.DIn = din
	cfg.ExpansionFactor = 4
	cfg.L1Coefficient = 0.1
	cfg.LR = 3e-4
	cfg.TrainingTokens = tokens
	cfg.TrainBatchSizeTokens = 80
	cfg.ContextSize = 5
	cfg.UseGhostGrads = true
	cfg.FeatureSamplingWindow = 2000
	cfg.DeadFeatureWindow = 1000
	cfg.BDecInitMethod = "geometric_median"
	cfg.NormalizeSAEDecoder = true
	cfg.Seed = 42
	cfg.NCheckpoints = 0
	r, err := cfg.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	store, err := activations.NewMemory(act.Data, din, activations.MemoryOptions{Seed: 42, Shuffle: true, Repeat: true})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := sae.NewTrainer(r, store)
	if err != nil {
		t.Fatal(err)
	}
	tr.RunDir = dir
	tr.Eval = act.Data
	if err := tr.Run(); err != nil {
		t.Fatal(err)
	}
}

// TestNotebookRuns trains the notebook's three case-3 SAEs on the compiled
// model and checks, for blocks.0.hook_resid_pre, what the notebook's author
// found by hand: the features are token@position detectors (x at every
// position, BOS, PAD — the notebook's "UNK @ 4" — and b/c pairs), several of
// them in duplicate pairs. For the two later hooks it checks that the
// analysis runs and the SAE reconstructs well.
func TestNotebookRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("trains three SAEs with the notebook's configuration; run without -short")
	}
	tokens := int64(1_500_000)
	cd := case3(t)
	base := t.TempDir()
	if d := os.Getenv("GLASSBOX_DEMO_RUNS"); d != "" {
		base = d
	}
	tests := []struct {
		name, hook string
		tokens     int64
		minEV      float64
		recovered  []string
	}{
		{"case3-resid-pre", "blocks.0.hook_resid_pre", tokens, 0.99, []string{"BOS", "x@1", "x@2", "x@3", "x@4", "PAD@4", "b@2", "b@3", "b@4", "c@2", "c@3", "c@4"}},
		// The later hooks train on fewer tokens to keep the test short
		// (GLASSBOX_DEMO_RUNS trains them fully).
		{"case3-mlp-out", "blocks.0.hook_mlp_out", tokens / 5, 0.9, []string{"is_x_3"}},
		{"case3-attn-out", "blocks.1.hook_attn_out", tokens / 5, 0.9, []string{"frac_prevs_1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(base, tc.name)
			n := tc.tokens
			if os.Getenv("GLASSBOX_DEMO_RUNS") != "" {
				n = tokens
			}
			trainNotebookSAE(t, cd, tc.hook, n, dir)
			res, err := Load(dir, Options{Cases: workload.CatalogueCase})
			if err != nil {
				t.Fatal(err)
			}
			l := res.Analysis.Labels
			var tb strings.Builder
			features.WriteTable(&tb, l, res.Analysis.Stats)
			t.Logf("EV %.4f\n%s", float64(res.Recon.ExplainedVariance), tb.String())
			if ev := float64(res.Recon.ExplainedVariance); ev < tc.minEV {
				t.Errorf("explained variance %.4f < %.2f", ev, tc.minEV)
			}
			rec := map[string]bool{}
			for _, r := range l.Recovered {
				rec[r] = true
			}
			for _, want := range tc.recovered {
				if !rec[want] {
					t.Errorf("%s not recovered (recovered: %v)", want, l.Recovered)
				}
			}
			if tc.name == "case3-resid-pre" {
				if len(l.DuplicateGroups()) == 0 {
					t.Error("no duplicate features; the notebook found six pairs")
				}
				clean := 0
				for _, fl := range l.Features {
					if fl.Verdict == features.VerdictClean && strings.Contains(fl.Best.Label, "@") || fl.Verdict == features.VerdictClean && fl.Best.Label == "BOS" {
						clean++
					}
				}
				if live := features.LiveFeatures(res.Analysis.Stats); clean < len(live)*9/10 {
					t.Errorf("%d of %d live features are clean token@position/BOS detectors, want >= 90%%", clean, len(live))
				}
			}
		})
	}
}
