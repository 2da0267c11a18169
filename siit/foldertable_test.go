package siit

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFolderRows(t *testing.T) {
	j := smallJob(t, 2)
	root := t.TempDir()
	dir := filepath.Join(root, "case_3")
	res, err := j.TrainModel(context.Background(), Options{Out: dir, AllPairsLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	// A training still running (no meta.json yet) is skipped and named.
	running := filepath.Join(root, "case_11")
	if err := os.MkdirAll(running, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(running, "siit_run.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, paths := range [][]string{{root}, {dir}} {
		rows, skipped, err := FolderRows(paths)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 {
			t.Fatalf("%v: %d rows, want 1", paths, len(rows))
		}
		r := rows[0]
		if r.Case != "3" || r.LL != ShapeString(j) || r.Recipe != j.Recipe.Name || r.Epochs != res.Epochs ||
			r.BestEpoch != res.BestEpoch || r.Stopped != res.Stopped {
			t.Errorf("%v: row %+v, result epochs %d best %d stopped %q", paths, r, res.Epochs, res.BestEpoch, res.Stopped)
		}
		if r.Accuracy != res.Val.Accuracy || r.IIA != res.Val.IIA || r.Strict != res.Val.Strict {
			t.Errorf("%v: metrics %v %v %v, want %+v", paths, r.Accuracy, r.IIA, r.Strict, res.Val)
		}
		if wantSkip := paths[0] == root; (len(skipped) == 1) != wantSkip {
			t.Errorf("%v: skipped %v", paths, skipped)
		}
	}
}

func TestFolderRowsErrors(t *testing.T) {
	empty := t.TempDir()
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, MetaFile), []byte(`{"lr": 0.01}`), 0o644); err != nil {
		t.Fatal(err)
	}
	broken := t.TempDir()
	if err := os.WriteFile(filepath.Join(broken, MetaFile), []byte(`{"glassbox": {"case": `), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path, want string
	}{
		{"missing", filepath.Join(empty, "nope"), "no such file"},
		{"no models", empty, "no subfolder"},
		{"not glassbox", bad, "not a folder glassbox siit wrote"},
		{"truncated", broken, "meta.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := FolderRows([]string{tc.path})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestCaseLess(t *testing.T) {
	names := []string{"mine", "11", "3", "abc", "129"}
	for i := range names {
		for j := range names {
			if caseLess(names[i], names[j]) && caseLess(names[j], names[i]) {
				t.Fatalf("%s and %s both less", names[i], names[j])
			}
		}
	}
	if !caseLess("3", "11") || !caseLess("129", "abc") || !caseLess("abc", "mine") {
		t.Fatal("wrong order")
	}
}
