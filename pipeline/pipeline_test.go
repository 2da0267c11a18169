package pipeline

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glassbox-interp/glassbox/sae"
	"github.com/glassbox-interp/glassbox/workload"
)

func smallConfig(tokens int64) sae.Config {
	cfg := sae.NotebookConfig()
	cfg.TrainingTokens = tokens
	return cfg
}

func TestStartTrainResume(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	src := workload.Source{Case: 3, Hook: "blocks.0.hook_mlp_out"}
	run, err := Start(dir, src, smallConfig(16000), StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Case 3's dataset: 320 rows × 5 positions of a d_model-13 residual.
	if run.Set.N() != 1600 || run.Set.DIn != 13 || run.Trainer.Cfg.DSAE != 52 || run.Trainer.Cfg.ModelName != "case3" {
		t.Fatalf("set %d×%d, d_sae %d, model %q", run.Set.N(), run.Set.DIn, run.Trainer.Cfg.DSAE, run.Trainer.Cfg.ModelName)
	}
	if Finished(dir) {
		t.Fatal("Finished before training")
	}
	full, err := run.Train(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !Finished(dir) || full.N != 1600 {
		t.Fatalf("finished %v, eval rows %d", Finished(dir), full.N)
	}
	got, err := workload.ReadSource(dir)
	if err != nil || got.Case != 3 || got.Hook != src.Hook {
		t.Fatalf("source.json = %+v, %v", got, err)
	}
	if _, err := Start(dir, src, smallConfig(16000), StartOptions{}); !errors.Is(err, ErrRunExists) {
		t.Fatalf("second Start in the same directory: %v, want ErrRunExists", err)
	}

	// Kill the run after its first checkpoint: drop final/ and the later
	// checkpoints, resume, and get the same SAE.
	want, err := sae.Load(filepath.Join(dir, sae.FinalDir))
	if err != nil {
		t.Fatal(err)
	}
	ckpts, err := filepath.Glob(filepath.Join(dir, "checkpoints", "*"))
	if err != nil || len(ckpts) < 2 {
		t.Fatalf("checkpoints %v, %v", ckpts, err)
	}
	os.RemoveAll(filepath.Join(dir, sae.FinalDir))
	for _, c := range ckpts[1:] {
		os.RemoveAll(c)
	}
	res, err := Resume(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Resumed || res.Trainer.Tokens == 0 || res.Trainer.Tokens >= 16000 {
		t.Fatalf("resumed at %d tokens", res.Trainer.Tokens)
	}
	if _, err := res.Train(nil); err != nil {
		t.Fatal(err)
	}
	again, err := sae.Load(filepath.Join(dir, sae.FinalDir))
	if err != nil {
		t.Fatal(err)
	}
	a, b := want.WEnc(), again.WEnc()
	for i, v := range a {
		if b[i] != v {
			t.Fatalf("W_enc[%d] = %v after resume, %v uninterrupted", i, b[i], v)
		}
	}
}

func TestDemo(t *testing.T) {
	out := filepath.Join(t.TempDir(), "demo")
	var w bytes.Buffer
	demoRuns, err := Demo(DemoOptions{Out: out, TrainingTokens: 40000, Stdout: &w})
	if err != nil {
		t.Fatal(err)
	}
	text := w.String()
	for _, want := range []string{
		"Operation select_2 is handled in {blocks.1.attn.hook_q[0], blocks.1.attn.hook_k[0]}",
		"== blocks.0.hook_resid_pre", "== blocks.0.hook_mlp_out", "== blocks.1.hook_attn_out",
		"coverage", "report.html", "glassbox serve",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if len(demoRuns) != 3 {
		t.Fatalf("%d runs", len(demoRuns))
	}
	// The residual SAE recovers token@position detectors, as the notebook's author found by hand.
	l := demoRuns[0].Result.Analysis.Labels
	if len(l.Recovered) == 0 || !strings.Contains(strings.Join(l.Recovered, " "), "@") {
		t.Errorf("resid_pre recovered %v", l.Recovered)
	}
	for _, f := range []string{"report.html", "resid-pre/report.html", "mlp-out/report.html", "attn-out/report.html"} {
		b, err := os.ReadFile(filepath.Join(out, f))
		if err != nil || !bytes.Contains(b, []byte("<html")) {
			t.Errorf("%s: %v", f, err)
		}
	}

	// A second demo reuses the finished runs; an unfinished one is resumed.
	os.RemoveAll(filepath.Join(out, "attn-out", sae.FinalDir))
	w.Reset()
	demoRuns, err = Demo(DemoOptions{Out: out, TrainingTokens: 40000, Stdout: &w})
	if err != nil {
		t.Fatal(err)
	}
	if !demoRuns[0].Reused || !demoRuns[1].Reused || demoRuns[2].Reused || !strings.Contains(w.String(), "resumed at") {
		t.Errorf("reuse %v %v %v:\n%s", demoRuns[0].Reused, demoRuns[1].Reused, demoRuns[2].Reused, w.String())
	}
	// Another token budget is refused unless --fresh.
	if _, err := Demo(DemoOptions{Out: out, TrainingTokens: 24000}); err == nil || !strings.Contains(err.Error(), "--fresh") {
		t.Errorf("changed tokens: err %v", err)
	}
	if demoRuns, err = Demo(DemoOptions{Out: out, TrainingTokens: 24000, Fresh: true}); err != nil || demoRuns[0].Reused {
		t.Errorf("fresh demo: %v", err)
	}
}
