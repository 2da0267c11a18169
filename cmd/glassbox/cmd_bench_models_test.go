package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glassbox-interp/glassbox/bench"
	"github.com/glassbox-interp/glassbox/cases"
	"github.com/glassbox-interp/glassbox/trained"
	"github.com/glassbox-interp/glassbox/workload"
)

// TestBenchModelDirFlags: --models interpbench needs --model-dir, which
// must be a directory, and --model-dir needs interpbench.
func TestBenchModelDirFlags(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--models", "compiled,interpbench"}, "needs --model-dir"},
		{[]string{"--model-dir", t.TempDir()}, "--model-dir needs --models with interpbench"},
		{[]string{"--models", "interpbench", "--model-dir", filepath.Join(file, "missing")}, "--model-dir"},
		{[]string{"--models", "interpbench", "--model-dir", file}, "expected a directory"},
		{[]string{"--models", "trained"}, `model "trained"`},
	} {
		args := append([]string{"bench", "--cases", "3", "--archs", "topk", "--k", "2", "--dry-run"}, tc.args...)
		if _, _, err := runFreshBench(t, args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want %q", tc.args, err, tc.want)
		}
	}
}

// TestBenchInterpBenchModels sweeps case 3's folder in a directory of
// models (a glassbox siit output in DIR/case_3): case 4, without a folder,
// gets one line and no cells; the cell records its model and spec.json the
// directory, so another directory needs another --out.
func TestBenchInterpBenchModels(t *testing.T) {
	c, err := cases.Get(3)
	if err != nil {
		t.Fatal(err)
	}
	models := t.TempDir()
	if _, err := trained.Ensure(context.Background(), c, filepath.Join(models, "case_3"), trained.Settings{Epochs: 1, Samples: 60}); err != nil {
		t.Fatal(err)
	}
	grid := []string{"bench", "--archs", "topk", "--k", "2", "--hooks", "blocks.0.hook_resid_pre", "--training-tokens", "2000", "--models", "interpbench", "--model-dir", models}
	stdout, stderr, err := runFreshBench(t, append(grid, "--cases", "3,4", "--dry-run")...)
	if err != nil || strings.Count(stdout, "\n") != 1 || !strings.Contains(stdout, "case=3 ") || !strings.Contains(stdout, "model=interpbench") ||
		!strings.Contains(stderr, "case 4: no model folder for case 4") {
		t.Errorf("dry run: %v\nstdout %s\nstderr %s", err, stdout, stderr)
	}
	out := filepath.Join(t.TempDir(), "b")
	if _, stderr, err := runFreshBench(t, append(grid, "--cases", "3", "--out", out, "--no-leaderboard")...); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	rs, _, err := bench.ReadResults(out)
	if err != nil || len(rs) != 1 || !rs[0].OK() {
		t.Fatalf("results %+v, %v", rs, err)
	}
	abs, _ := filepath.Abs(filepath.Join(models, "case_3"))
	if m := rs[0].Model; m == nil || m.Path != abs || m.Kind != workload.KindSIIT || len(m.Hash) != 64 {
		t.Errorf("recorded model %+v, want the siit folder %s", m, abs)
	}
	spec, err := os.ReadFile(filepath.Join(out, bench.SpecFile))
	if err != nil || !strings.Contains(string(spec), `"model_dir"`) {
		t.Errorf("spec.json: %v\n%s", err, spec)
	}
	other := t.TempDir()
	if err := os.CopyFS(filepath.Join(other, "3"), os.DirFS(filepath.Join(models, "case_3"))); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runFreshBench(t, append(grid[:len(grid)-1], other, "--cases", "3", "--out", out)...); err == nil || !strings.Contains(err.Error(), "new output directory") {
		t.Errorf("another --model-dir into the same --out: %v", err)
	}
}

// TestBenchProgramCases: --cases mixes case ids and .star files; the
// program's cells are keyed by its content hash.
func TestBenchProgramCases(t *testing.T) {
	c, err := cases.Get(3)
	if err != nil {
		t.Fatal(err)
	}
	path := writeStar(t, "mine.star", c.Source())
	p, err := bench.LoadProgram(path)
	if err != nil {
		t.Fatal(err)
	}
	stdout, stderr, err := runFreshBench(t, "bench", "--cases", "3,"+path, "--hooks", "residual:last", "--archs", "topk", "--k", "2", "--dry-run")
	if err != nil || strings.Count(stdout, "\n") != 2 || !strings.Contains(stdout, "  case=3 hook=") || !strings.Contains(stdout, "  program="+p.Hash+" hook=blocks.1.hook_resid_post") {
		t.Errorf("dry run: %v\nstdout %s\nstderr %s", err, stdout, stderr)
	}
	if _, _, err := runFreshBench(t, "bench", "--cases", "3,nope.star", "--archs", "topk", "--k", "2", "--dry-run"); err == nil || !strings.Contains(err.Error(), "nope.star") {
		t.Errorf("missing program: %v", err)
	}
}
