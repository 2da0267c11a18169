package rundir

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glassbox-interp/glassbox/sae"
	"github.com/glassbox-interp/glassbox/workload"
)

// writeRun saves s as the final SAE of a run directory with a config and
// a short metrics.jsonl.
func writeRun(t *testing.T, s *sae.SAE) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "run")
	if err := sae.Save(filepath.Join(dir, "final"), s, nil); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"model_name": "case3", "hook_name": "`+s.Meta.HookName+`", "l1_coefficient": 0.1}`), 0o644)
	os.WriteFile(filepath.Join(dir, "metrics.jsonl"), []byte(`{"step":1,"losses/mse_loss":0.5,"details/n_training_tokens":80}`+"\n"+`{"step":2,"losses/mse_loss":0.1,"details/n_training_tokens":160}`+"\n"), 0o644)
	return dir
}

func case3(t *testing.T) *workload.Case {
	t.Helper()
	cd, err := workload.CatalogueCase(3)
	if err != nil {
		t.Fatal(err)
	}
	return cd
}

// residIndex finds a residual dimension of the compiled case-3 model.
func residIndex(t *testing.T, cd *workload.Case, label string) int {
	for i, l := range cd.Compiled.ResidualLabels {
		if l == label {
			return i
		}
	}
	t.Fatalf("no residual dimension %s in %v", label, cd.Compiled.ResidualLabels)
	return -1
}

// tokenPosSAE builds an SAE on blocks.0.hook_resid_pre of compiled case 3
// with one feature per token@position pair (encoder tokens:t + indices:p-1,
// bias -1; BOS reads tokens:BOS) and one-hot decoder rows, plus a copy of x@1.
func tokenPosSAE(t *testing.T, cd *workload.Case) (*sae.SAE, []string) {
	din := len(cd.Compiled.ResidualLabels)
	type feat struct {
		name string
		dims []int
		bias float32
	}
	feats := []feat{{"BOS", []int{residIndex(t, cd, "tokens:BOS")}, 0}}
	for p := 1; p <= 4; p++ {
		toks := []string{"a", "b", "c", "x"}
		if p == 4 {
			toks = append(toks, "PAD")
		}
		for _, tok := range toks {
			feats = append(feats, feat{fmt.Sprintf("%s@%d", tok, p), []int{residIndex(t, cd, "tokens:"+tok), residIndex(t, cd, fmt.Sprintf("indices:%d", p-1))}, -1})
		}
	}
	feats = append(feats, feats[4]) // x@1 again
	s, err := sae.New(sae.ArchStandard, din, len(feats))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for f, ft := range feats {
		names = append(names, ft.name)
		for _, d := range ft.dims {
			s.WEncT[f*din+d] = 1
			s.WDec[f*din+d] = 1 / float32(math.Sqrt(float64(len(ft.dims))))
		}
		s.BEnc[f] = ft.bias
	}
	s.Meta.HookName = "blocks.0.hook_resid_pre"
	s.Meta.ModelName = "case3"
	return s, names
}

func TestLoadLabelsCase3(t *testing.T) {
	cd := case3(t)
	s, names := tokenPosSAE(t, cd)
	dir := writeRun(t, s)
	res, err := Load(dir, Options{Cases: workload.CatalogueCase})
	if err != nil {
		t.Fatal(err)
	}
	if res.SAEDir != filepath.Join(dir, "final") || res.RunDir != dir {
		t.Errorf("dirs %s %s", res.SAEDir, res.RunDir)
	}
	l := res.Analysis.Labels
	for f, want := range names {
		b := l.Features[f].Best
		if b == nil || b.Label != want || b.Score != 1 {
			t.Errorf("feature %d: %+v, want %s F1 1", f, b, want)
		}
	}
	if l.Coverage != 1 || len(l.Expected) != 18 {
		t.Errorf("coverage %v of %d expected", l.Coverage, len(l.Expected))
	}
	if g := l.DuplicateGroups(); len(g) != 1 || fmt.Sprint(g[0]) != "[4 18]" {
		t.Errorf("duplicates %v", g)
	}
	if len(res.Curves) != 1 || res.Curves[0].Name != "losses/mse_loss" {
		t.Errorf("curves %+v", res.Curves)
	}
	if res.Downstream == nil || res.Downstream.Categorical || res.Downstream.Clean.Accuracy != 1 {
		t.Errorf("downstream %+v", res.Downstream)
	}
	if res.Effects == nil || len(res.Effects[4]) == 0 {
		t.Errorf("no output effect for feature 4")
	}
}

// TestSpliceIdentityAndZero: an identity SAE reconstructs exactly (spliced =
// clean, scores 1); an all-zero SAE reconstructs zeros (spliced = zero-ablated, scores 0).
func TestSpliceIdentityAndZero(t *testing.T) {
	cd := case3(t)
	din := len(cd.Compiled.ResidualLabels)
	for _, hook := range []string{"blocks.0.hook_mlp_out", "blocks.1.hook_resid_pre", "blocks.1.hook_attn_out"} {
		id, _ := sae.New(sae.ArchStandard, din, din)
		zero, _ := sae.New(sae.ArchStandard, din, din)
		for i := 0; i < din; i++ {
			id.WEncT[i*din+i] = 1
			id.WDec[i*din+i] = 1
		}
		for _, s := range []*sae.SAE{id, zero} {
			s.Meta.HookName = hook
		}
		r1, err := Load(writeRun(t, id), Options{Case: 3, Cases: workload.CatalogueCase, NoEffects: true})
		if err != nil {
			t.Fatal(err)
		}
		d := r1.Downstream
		if d.Spliced.MSE == nil || *d.Spliced.MSE != *d.Clean.MSE || float64(r1.Recon.ExplainedVariance) < 1-1e-12 && !math.IsNaN(float64(r1.Recon.ExplainedVariance)) {
			t.Errorf("%s identity: spliced MSE %v clean %v EV %v", hook, *d.Spliced.MSE, *d.Clean.MSE, r1.Recon.ExplainedVariance)
		}
		if d.MSEScore != nil && !math.IsNaN(float64(*d.MSEScore)) && float64(*d.MSEScore) != 1 {
			t.Errorf("%s identity: mse_score %v, want 1", hook, *d.MSEScore)
		}
		r0, err := Load(writeRun(t, zero), Options{Case: 3, Cases: workload.CatalogueCase, NoEffects: true})
		if err != nil {
			t.Fatal(err)
		}
		d = r0.Downstream
		if *d.Spliced.MSE != *d.Zero.MSE {
			t.Errorf("%s zero SAE: spliced MSE %v, zero-ablated %v", hook, *d.Spliced.MSE, *d.Zero.MSE)
		}
		if r0.Recon.Dead != din {
			t.Errorf("%s zero SAE: %d dead features, want %d", hook, r0.Recon.Dead, din)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	cd := case3(t)
	s, _ := tokenPosSAE(t, cd)
	good := writeRun(t, s)

	empty := t.TempDir()
	wrongDin, _ := sae.New(sae.ArchStandard, 7, 4)
	wrongDin.Meta.HookName = "blocks.0.hook_resid_pre"
	badHook, _ := sae.New(sae.ArchStandard, 13, 4)
	badHook.Meta.HookName = "blocks.5.hook_resid_pre"
	noCase, _ := sae.New(sae.ArchStandard, 13, 4)
	noCase.Meta.HookName = "blocks.0.hook_resid_pre"
	noCaseDir := filepath.Join(t.TempDir(), "x")
	sae.Save(noCaseDir, noCase, nil)

	tests := []struct {
		name string
		path string
		opts Options
		want string
	}{
		{"missing", filepath.Join(empty, "nope"), Options{Cases: workload.CatalogueCase}, "no such file"},
		{"no-sae", empty, Options{Cases: workload.CatalogueCase}, "no SAE found"},
		{"d_in", writeRun(t, wrongDin), Options{Case: 3, Cases: workload.CatalogueCase}, "d_in 7 does not match"},
		{"hook", writeRun(t, badHook), Options{Case: 3, Cases: workload.CatalogueCase}, "not a hook of the model"},
		{"no-case", noCaseDir, Options{Cases: workload.CatalogueCase}, "--case"},
		{"bad-case", good, Options{Case: 16, Cases: workload.CatalogueCase}, "case 16"},
		{"no-loader", good, Options{}, "no case loader"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.path, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestSourceJSON: a run written by `glassbox train` names its case in
// source.json, which is enough to find it.
func TestSourceJSON(t *testing.T) {
	cd := case3(t)
	s, _ := tokenPosSAE(t, cd)
	s.Meta.ModelName = ""
	dir := filepath.Join(t.TempDir(), "run")
	if err := sae.Save(filepath.Join(dir, "final"), s, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir, Options{Cases: workload.CatalogueCase, NoEffects: true}); err == nil || !strings.Contains(err.Error(), "--case") {
		t.Fatalf("without source.json: %v", err)
	}
	os.WriteFile(filepath.Join(dir, workload.SourceFile), []byte(`{"case": 3, "hook_name": "blocks.0.hook_resid_pre"}`), 0o644)
	res, err := Load(dir, Options{Cases: workload.CatalogueCase, NoEffects: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Case.Name != "case 3" {
		t.Errorf("case %s", res.Case.Name)
	}
	os.WriteFile(filepath.Join(dir, workload.SourceFile), []byte(`{"case": "three"}`), 0o644)
	if _, err := Load(dir, Options{Cases: workload.CatalogueCase}); err == nil || !strings.Contains(err.Error(), workload.SourceFile) {
		t.Errorf("bad source.json: %v", err)
	}
}

// TestPerHeadHooks: SAEs on a single head of blocks.1.attn.hook_result
// (hook_head_index) and on hook_z flattened over heads splice back exactly
// when they are identities.
func TestPerHeadHooks(t *testing.T) {
	cd := case3(t)
	cfg := cd.Compiled.Config
	head := 0
	tests := []struct {
		hook string
		din  int
		head *int
	}{
		{"blocks.1.attn.hook_result", cfg.DModel, &head},
		{"blocks.1.attn.hook_z", cfg.NHeads * cfg.DHead, nil},
	}
	for _, tc := range tests {
		t.Run(tc.hook, func(t *testing.T) {
			s, _ := sae.New(sae.ArchStandard, tc.din, 2*tc.din)
			for i := 0; i < tc.din; i++ {
				s.WEncT[(2*i)*tc.din+i], s.WEncT[(2*i+1)*tc.din+i] = 1, -1
				s.WDec[(2*i)*tc.din+i], s.WDec[(2*i+1)*tc.din+i] = 1, -1
			}
			s.Meta.HookName, s.Meta.HookHeadIndex = tc.hook, tc.head
			res, err := Load(writeRun(t, s), Options{Case: 3, Cases: workload.CatalogueCase, NoEffects: true})
			if err != nil {
				t.Fatal(err)
			}
			if res.X.Shape[2] != tc.din {
				t.Errorf("SAE input width %d, want %d", res.X.Shape[2], tc.din)
			}
			d := res.Downstream
			if *d.Spliced.MSE != *d.Clean.MSE || *d.Zero.MSE == *d.Clean.MSE {
				t.Errorf("spliced %v clean %v zero %v", *d.Spliced.MSE, *d.Clean.MSE, *d.Zero.MSE)
			}
			// The feature page and the try-your-input run work at per-head hooks
			// too: hook_result is in the residual basis, hook_z is not.
			det, err := res.Inspect(0)
			if err != nil {
				t.Fatal(err)
			}
			if (tc.hook == "blocks.1.attn.hook_z") != (det.BasisNote != "" && det.Basis == nil) {
				t.Errorf("%s: basis %v, note %q", tc.hook, det.Basis, det.BasisNote)
			}
			p, err := res.Probe(ProbeRequest{Input: "x a x", Feature: 0, Mode: "zero"})
			if err != nil {
				t.Fatal(err)
			}
			for i, pp := range p.Positions {
				if pp.Clean != pp.Spliced {
					t.Errorf("position %d: the identity SAE changes the output %s → %s", i, pp.Clean, pp.Spliced)
				}
			}
		})
	}
	bad := 3
	s, _ := sae.New(sae.ArchStandard, cfg.DModel, 4)
	s.Meta.HookName, s.Meta.HookHeadIndex = "blocks.1.attn.hook_result", &bad
	if _, err := Load(writeRun(t, s), Options{Case: 3, Cases: workload.CatalogueCase}); err == nil || !strings.Contains(err.Error(), "hook_head_index 3") {
		t.Errorf("head index out of range: %v", err)
	}
}
