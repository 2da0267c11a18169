package bench

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glassbox-interp/glassbox/workload"
)

func TestShardedSweepMergesToWholeRun(t *testing.T) {
	cells := sweepGrid(t)
	out := t.TempDir()
	const n = 3
	for i := 0; i < n; i++ {
		s := Shard{Index: i, Count: n}
		sum, err := Sweep(context.Background(), cells, fakeRun, Options{Dir: ShardDir(out, s), Shard: s, Jobs: 2})
		if err != nil {
			t.Fatal(err)
		}
		if want := len(s.Select(cells)); sum.Total != want {
			t.Errorf("shard %v ran %d cells, want %d", s, sum.Total, want)
		}
	}
	whole := t.TempDir()
	if _, err := Sweep(context.Background(), cells, fakeRun, Options{Dir: whole, Jobs: 2}); err != nil {
		t.Fatal(err)
	}
	merged := filepath.Join(t.TempDir(), "merged")
	rep, err := Merge(merged+string(os.PathSeparator), out)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Inputs) != n || rep.Cells != len(cells) || rep.Lines != len(cells) || rep.Duplicates != 0 {
		t.Errorf("merge report %+v", rep)
	}
	got := checkComplete(t, merged, cells)
	want, _, _ := ReadResults(whole)
	wantByID := map[string]Result{}
	for _, r := range want {
		wantByID[r.ID] = r
	}
	for _, r := range got {
		w := wantByID[r.ID]
		if r.Status != w.Status || r.Error != w.Error && !strings.HasPrefix(r.Error, "panic:") || !maps.Equal(r.Metrics, w.Metrics) {
			t.Errorf("%s: merged %+v, whole run %+v", r.Key, r, w)
		}
		if !strings.Contains(r.Shard, "/3") {
			t.Errorf("%s: shard %q not recorded", r.Key, r.Shard)
		}
	}
	// Merging again with an overlapping input dedupes identical repeats.
	rep, err = Merge(filepath.Join(merged, "again.jsonl"), merged, out)
	if err != nil || rep.Cells != len(cells) || rep.Duplicates != len(cells) {
		t.Errorf("re-merge: %+v, %v", rep, err)
	}
}

func writeLines(t *testing.T, path string, rs ...Result) {
	t.Helper()
	data, err := encodeResults(rs)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func okResult(c Cell, m map[string]float64) Result {
	return Result{ID: c.ID(), Key: c.Key(), Cell: c, Status: StatusOK, Metrics: m}
}

func errResult(c Cell, msg string) Result {
	return Result{ID: c.ID(), Key: c.Key(), Cell: c, Status: StatusError, Error: msg}
}

func TestMergeRules(t *testing.T) {
	a := Cell{Case: 3, Hook: "blocks.0.hook_mlp_out", Arch: "topk", Param: ParamK, Value: 4, Seed: 1, TrainingTokens: 10, Expansion: 4}
	b := a
	b.Seed = 2
	dir := t.TempDir()
	f1, f2, f3 := filepath.Join(dir, "1.jsonl"), filepath.Join(dir, "2.jsonl"), filepath.Join(dir, "3.jsonl")
	writeLines(t, f1, okResult(a, map[string]float64{"l0": 4}), errResult(b, "boom"))
	writeLines(t, f2, okResult(b, map[string]float64{"l0": 4.5}), okResult(a, map[string]float64{"l0": 4}))
	writeLines(t, f3, okResult(a, map[string]float64{"l0": 3}))

	out := filepath.Join(dir, "out.jsonl")
	rep, err := Merge(out, f1, f2)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Cells != 2 || rep.OK != 2 || rep.Superseded != 1 || rep.Duplicates != 1 {
		t.Errorf("report %+v", rep)
	}
	rs, _, err := ReadResults(out)
	if err != nil || len(rs) != 2 || rs[0].ID != a.ID() || rs[1].ID != b.ID() || !rs[1].OK() {
		t.Errorf("merged %+v, %v", rs, err)
	}
	_, err = Merge(filepath.Join(dir, "conflict.jsonl"), f1, f3)
	if err == nil || !strings.Contains(err.Error(), "conflicting") || !strings.Contains(err.Error(), a.Key()) {
		t.Errorf("conflict: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "conflict.jsonl")); !os.IsNotExist(err) {
		t.Error("a conflicting merge must not write its output")
	}
	if _, err := Merge(out, filepath.Join(dir, "missing")); err == nil {
		t.Error("missing input: no error")
	}
	if _, err := Merge(out, t.TempDir()); err == nil || !strings.Contains(err.Error(), "has no results.jsonl") {
		t.Errorf("empty dir input: %v", err)
	}
}

func TestParseResultsErrors(t *testing.T) {
	c := Cell{Case: 3, Hook: "blocks.0.hook_mlp_out", Arch: "standard", Param: ParamL1, Value: 0.1, Seed: 1, TrainingTokens: 10, Expansion: 4}
	good, _ := json.Marshal(okResult(c, map[string]float64{"l0": 2}))
	wrongID := strings.Replace(string(good), c.ID(), "0000000000000000", 1)
	badStatus := strings.Replace(string(good), `"status":"ok"`, `"status":"done"`, 1)
	noMsg, _ := json.Marshal(Result{ID: c.ID(), Key: c.Key(), Cell: c, Status: StatusError})
	withBest := okResult(c, map[string]float64{"l0": 2})
	withBest.BestF1 = map[string]float64{"a@1": 0.97, "is_x_3": 0}
	best, _ := json.Marshal(withBest)
	withBest.BestF1["a@1"] = 1.5
	badBest, _ := json.Marshal(withBest)
	tests := []struct {
		name, data, err string
		n               int
		complete        int
	}{
		{"empty", "", "", 0, 0},
		{"one", string(good) + "\n", "", 1, len(good) + 1},
		{"blank lines", "\n" + string(good) + "\n\n", "", 1, len(good) + 3},
		{"partial tail", string(good) + "\n" + string(good[:20]), "", 1, len(good) + 1},
		{"unterminated whole line", string(good), "", 0, 0},
		{"garbage", string(good) + "\n{oops\n", "x.jsonl:2: invalid character", 0, 0},
		{"wrong id", wrongID + "\n", "does not match the cell's parameters", 0, 0},
		{"bad status", badStatus + "\n", `status "done"`, 0, 0},
		{"error without message", string(noMsg) + "\n", "without an error message", 0, 0},
		{"best f1", string(best) + "\n", "", 1, len(best) + 1},
		{"best f1 out of range", string(badBest) + "\n", `best_f1 "a@1": 1.5`, 0, 0},
		{"unknown field", `{"id":"x","bogus":1}` + "\n", `unknown field "bogus"`, 0, 0},
		{"two values", string(good) + string(good) + "\n", "more than one JSON value", 0, 0},
	}
	for _, tc := range tests {
		rs, complete, err := ParseResults([]byte(tc.data), "x.jsonl")
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil || len(rs) != tc.n || complete != int64(tc.complete) {
			t.Errorf("%s: %d results, complete %d, err %v; want %d, %d", tc.name, len(rs), complete, err, tc.n, tc.complete)
		}
	}
}

func FuzzParseResults(f *testing.F) {
	c := Cell{Case: 3, Hook: "blocks.0.hook_mlp_out", Arch: "topk", Param: ParamK, Value: 4, Seed: 1, TrainingTokens: 10, Expansion: 4}
	good, _ := encodeResults([]Result{okResult(c, map[string]float64{"l0": 4}), errResult(c, "boom")})
	f.Add(good)
	f.Add(good[:len(good)-7])
	f.Add([]byte("{}\n"))
	f.Add([]byte("\n\n{\"id\":1}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, complete, err := ParseResults(data, "fuzz.jsonl")
		if err != nil {
			return
		}
		if complete < 0 || complete > int64(len(data)) {
			t.Fatalf("complete %d out of range 0..%d", complete, len(data))
		}
		// What parsed must survive a round trip unchanged.
		again, err := encodeResults(rs)
		if err != nil {
			t.Fatal(err)
		}
		rs2, _, err := ParseResults(again, "again.jsonl")
		if err != nil || len(rs2) != len(rs) {
			t.Fatalf("round trip: %d → %d results, %v", len(rs), len(rs2), err)
		}
	})
}

// TestMergeOutIsADirectory: "bench merge runs/merged DIR" (no trailing
// slash, runs/merged not there yet) makes the directory runs/merged with
// results.jsonl in it, as the README says; only a .jsonl OUT is a file,
// and an OUT that is an existing other file is refused (issue 15, 15).
func TestMergeOutIsADirectory(t *testing.T) {
	cells := sweepGrid(t)
	in := t.TempDir()
	if _, err := Sweep(context.Background(), cells, fakeRun, Options{Dir: in}); err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	merged := filepath.Join(root, "runs", "merged")
	if _, err := Merge(merged, in); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(filepath.Join(merged, ResultsFile)); err != nil || st.IsDir() {
		t.Fatalf("merge runs/merged: %s/%s not written (%v)", merged, ResultsFile, err)
	}
	file := filepath.Join(root, "all.jsonl")
	if _, err := Merge(file, in); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(file); err != nil || st.IsDir() {
		t.Errorf("merge all.jsonl: not a file (%v)", err)
	}
	other := filepath.Join(root, "notes")
	os.WriteFile(other, []byte("x"), 0o644)
	if _, err := Merge(other, in); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("merge into an existing file without .jsonl: %v", err)
	}
}

// TestMergeModelConflict: two successes of a cell with the same metrics
// but recorded on models with different weights are a conflict; the same
// model is a duplicate.
func TestMergeModelConflict(t *testing.T) {
	c := Cell{Case: 3, Hook: "blocks.0.hook_resid_pre", Arch: "topk", Param: ParamK, Value: 4, Seed: 1, TrainingTokens: 100, Expansion: 4, Model: ModelInterpBench}
	res := func(hash string) Result {
		return Result{ID: c.ID(), Key: c.Key(), Cell: c, Status: StatusOK, Metrics: map[string]float64{MetricL0: 1},
			Model: &workload.ModelRef{Path: "/m/3", Kind: workload.KindInterpBench, Hash: hash}}
	}
	for _, tc := range []struct {
		b        string
		conflict bool
	}{{"aa", false}, {"bb", true}} {
		dir := t.TempDir()
		a, b := filepath.Join(dir, "a.jsonl"), filepath.Join(dir, "b.jsonl")
		writeLines(t, a, res("aa"))
		writeLines(t, b, res(tc.b))
		_, err := Merge(filepath.Join(dir, "out"), a, b)
		if got := err != nil && strings.Contains(err.Error(), "models with different weights"); got != tc.conflict {
			t.Errorf("hashes aa, %s: error %v, want conflict %v", tc.b, err, tc.conflict)
		}
	}
}

func TestSplitBestF1(t *testing.T) {
	m, best := splitBestF1(map[string]float64{"l0": 3, bestF1Prefix + "a@1": 0.5, bestF1Prefix + "frac_prevs_1": 1})
	if len(m) != 1 || m["l0"] != 3 || len(best) != 2 || best["a@1"] != 0.5 || best["frac_prevs_1"] != 1 {
		t.Fatalf("split: %v %v", m, best)
	}
	if _, best := splitBestF1(map[string]float64{"l0": 1}); best != nil {
		t.Fatalf("no candidates: %v", best)
	}
}
