package siit

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/glassbox-interp/glassbox/model"
)

// TestFolderLoadsInTorch writes a trained folder and has Debian's torch load
// it as InterpBench's notebook does (scripts/check_siit_folder.py): the
// pickled config, the state dict into HookedTransformer's names and shapes,
// the edges, and the same logits. It skips where torch cannot be imported.
func TestFolderLoadsInTorch(t *testing.T) {
	const python = "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import torch").Run(); err != nil {
		t.Skipf("%s cannot import torch (apt-get install python3-torch): %v", python, err)
	}
	j := smallJob(t, 1)
	dir := t.TempDir()
	res, err := j.Train(context.Background(), Options{Out: dir, AllPairsLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.WriteModel(dir, res, Options{}); err != nil {
		t.Fatal(err)
	}
	m, err := model.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	tokens := [][]int{{0, 2, 5, 3, 5}, {0, 5, 5, 5, 4}}
	var logits []float32
	for _, row := range tokens {
		out, err := m.Forward([][]int{row})
		if err != nil {
			t.Fatal(err)
		}
		logits = append(logits, out.Data...)
	}
	exp := filepath.Join(t.TempDir(), "expected.json")
	b, _ := json.Marshal(map[string]any{"tokens": tokens, "logits": logits})
	if err := os.WriteFile(exp, b, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, python, filepath.Join("..", "scripts", "check_siit_folder.py"), dir, exp).CombinedOutput()
	if err != nil {
		t.Fatalf("check_siit_folder.py: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
