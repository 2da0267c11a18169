package trained

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glassbox-interp/glassbox/cases"
	"github.com/glassbox-interp/glassbox/model"
)

// tiny is a one-epoch run on a few rows: enough to write a model folder.
var tiny = Settings{Epochs: 1, Samples: 60}

// TestEnsure: the first call trains and writes the folder, the second reuses
// it, other settings retrain it, and a foreign folder is left alone.
func TestEnsure(t *testing.T) {
	c, err := cases.Get(3)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "case_3")
	ctx := context.Background()
	first, err := Ensure(ctx, c, dir, tiny)
	if err != nil {
		t.Fatal(err)
	}
	if first.Reused || len(first.Key) != 64 {
		t.Fatalf("first call: %+v", first)
	}
	m, err := model.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m.Config().DModel != 12 {
		t.Errorf("d_model %d, want 12", m.Config().DModel)
	}
	again, err := Ensure(ctx, c, dir, tiny)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Reused || again.Key != first.Key || again.Val.Accuracy != first.Val.Accuracy {
		t.Errorf("second call: %+v, first %+v", again, first)
	}
	other := tiny
	other.Seed = 5
	re, err := Ensure(ctx, c, dir, other)
	if err != nil {
		t.Fatal(err)
	}
	if re.Reused || re.Key == first.Key {
		t.Errorf("other settings reused the model: %+v", re)
	}

	foreign := filepath.Join(t.TempDir(), "mine")
	if err := os.MkdirAll(foreign, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(foreign, "notes.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Ensure(ctx, c, foreign, tiny); err == nil || !strings.Contains(err.Error(), "not a glassbox cache") {
		t.Errorf("foreign folder: %v", err)
	}
	if _, err := os.Stat(filepath.Join(foreign, "notes.txt")); err != nil {
		t.Errorf("foreign folder touched: %v", err)
	}
}

// TestKeyChanges: the key depends on the settings and the program.
func TestKeyChanges(t *testing.T) {
	c, err := cases.Get(3)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{}
	for name, s := range map[string]Settings{"default": {}, "seed": {Seed: 1}, "gen2": {Recipe: "gen2"}, "epochs": {Epochs: 3}} {
		j, err := siitPrepare(c, s)
		if err != nil {
			t.Fatal(err)
		}
		k, err := Key(c, j, s)
		if err != nil {
			t.Fatal(err)
		}
		for other, ok := range keys {
			if ok == k {
				t.Errorf("%s and %s share key %s", name, other, k)
			}
		}
		keys[name] = k
	}
}
