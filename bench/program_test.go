package bench

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glassbox-interp/glassbox/cases"
	"github.com/glassbox-interp/glassbox/trained"
	"github.com/glassbox-interp/glassbox/workload"
)

// writeProgram writes case 3's source as a .star file in dir, with extra
// appended (a comment changes the content hash, not the program).
func writeProgram(t *testing.T, dir, name, extra string) string {
	t.Helper()
	c, err := cases.Get(3)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(c.Source()+extra), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestParseCasesAndProgramKeys: --cases takes ids, ranges, all and .star
// files; a program's cells are keyed by its content hash, the same for a
// copy elsewhere and new for an edited file.
func TestParseCasesAndProgramKeys(t *testing.T) {
	dir := t.TempDir()
	a := writeProgram(t, dir, "a.star", "")
	b := writeProgram(t, t.TempDir(), "b.star", "")
	edited := writeProgram(t, dir, "c.star", "# edited\n")
	ids, progs, err := ParseCases("3,"+a+",5-6,"+b+","+edited, func() []int { return []int{1, 2} })
	if err != nil || len(ids) != 3 || len(progs) != 3 {
		t.Fatalf("ids %v, programs %+v, %v", ids, progs, err)
	}
	if progs[0].Hash != progs[1].Hash || progs[0].Hash == progs[2].Hash || !filepath.IsAbs(progs[0].Path) {
		t.Errorf("hashes: a %s, copy %s, edited %s", progs[0].Hash, progs[1].Hash, progs[2].Hash)
	}
	if ids, _, err := ParseCases("all,"+a, func() []int { return []int{1, 2} }); err != nil || len(ids) != 2 {
		t.Errorf("all with a program: %v, %v", ids, err)
	}
	for _, bad := range []string{"", "x", filepath.Join(dir, "missing.star")} {
		if _, _, err := ParseCases(bad, nil); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	n, err := Spec{Programs: progs, Hooks: []string{"residual:last"}, Archs: []string{"topk"}, K: []int{4}}.Normalize()
	if err != nil || len(n.Programs) != 2 {
		t.Fatalf("programs-only spec: %+v, %v", n.Programs, err)
	}
	c := Cell{Program: progs[0].Hash, Hook: "blocks.0.hook_resid_pre", Arch: "topk", Param: ParamK, Value: 4, Seed: 42, TrainingTokens: 1000, Expansion: 4}
	if !strings.HasPrefix(c.Key(), "program="+progs[0].Hash+" hook=") {
		t.Errorf("key %s", c.Key())
	}
	same := c
	same.Program, same.Case = "", 3
	if same.ID() == c.ID() {
		t.Error("a program's cell has case 3's ID")
	}
}

// TestSweepProgram sweeps a .star program (case 3's source) on its
// compiled and its SIIT model: the SIIT model is trained into
// models/program_<hash>, both cells succeed, the SIIT cell records its
// model; editing the file before the cells run fails them, naming the
// change.
func TestSweepProgram(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a SIIT model")
	}
	path := writeProgram(t, t.TempDir(), "mine.star", "")
	p, err := LoadProgram(path)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	b, err := RealBackendModels(RunnerOptions{}, ModelsOptions{Dir: out, SIIT: trained.Settings{Epochs: 1, Samples: 60}})
	if err != nil {
		t.Fatal(err)
	}
	spec := Spec{Programs: []Program{p}, Hooks: []string{"blocks.0.hook_resid_pre"}, Archs: []string{"topk"}, K: []int{4}, TrainingTokens: 4000,
		Models: []string{ModelCompiled, ModelSIIT, ModelInterpBench}}
	cells, notes, err := b.Expand(spec)
	if err != nil || len(cells) != 2 || cells[0].Program != p.Hash || cells[1].Model != ModelSIIT || cells[0].ExpandErr != "" || cells[1].ExpandErr != "" {
		t.Fatalf("cells %+v, %v", cells, err)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "program mine.star ("+p.Hash+")") || !strings.Contains(notes[0], "no interpbench cells") {
		t.Errorf("notes %q", notes)
	}
	if got, want := b.Cost(cells[1]), 4000.0*12*12*4; got != want {
		t.Errorf("siit cell cost %v, want %v", got, want)
	}
	b.Plan(cells)
	sum, err := Sweep(context.Background(), cells, b.Run, Options{Dir: out, Jobs: 1, Provenance: b.Provenance})
	if err != nil || sum.OK != 2 {
		rs, _, _ := ReadResults(out)
		t.Fatalf("sweep: %+v, %v, %+v", sum, err, rs)
	}
	if _, err := os.Stat(filepath.Join(out, ModelsDir, "program_"+p.Hash, "model.safetensors")); err != nil {
		t.Error(err)
	}
	rs, _, err := ReadResults(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.Cell.Program != p.Hash {
			t.Errorf("%s: program %q", r.Key, r.Cell.Program)
		}
		if (r.Model != nil) != (r.Cell.Model == ModelSIIT) || r.Model != nil && r.Model.Kind != workload.KindSIIT {
			t.Errorf("%s: model %+v", r.Key, r.Model)
		}
	}

	// The file changes after planning: a fresh runner refuses it.
	writeProgram(t, filepath.Dir(path), filepath.Base(path), "# changed\n")
	fresh, err := RealBackend(RunnerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fresh.AddPrograms([]Program{p})
	if _, err := fresh.Run(context.Background(), cells[0]); err == nil || !strings.Contains(err.Error(), "changed since") {
		t.Errorf("edited program: %v", err)
	}
}
