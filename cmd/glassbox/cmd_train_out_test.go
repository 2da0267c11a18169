package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTrainDefaultOutNamesSourceAndHook: the default run directory names
// the data source and the hook, so runs on two hooks do not collide, and
// a collision prints the directory to resume (issue 15, 8). A run on an
// activation file is not stamped with the notebook's model_name "case3",
// and features on it asks for --case (issue 15, 4).
func TestTrainDefaultOutNamesSourceAndHook(t *testing.T) {
	dir := t.TempDir()
	acts := filepath.Join(dir, "acts.safetensors")
	writeActivations(t, acts)
	t.Chdir(dir)
	train := func(hook string) (string, error) {
		_, stderr, err := runTrainCLI(t, "train", "--activations", acts, "--hook", hook, "--training-tokens", "800", "--quiet", "--n-checkpoints", "0")
		return stderr, err
	}
	for _, hook := range []string{"blocks.0.hook_mlp_out", "blocks.1.hook_mlp_out"} {
		if _, err := train(hook); err != nil {
			t.Fatalf("%s: %v", hook, err)
		}
	}
	runs, _ := filepath.Glob(filepath.Join("runs", "*"))
	if len(runs) != 2 {
		t.Fatalf("run directories %v, want one per hook", runs)
	}
	for _, r := range runs {
		if !strings.HasPrefix(filepath.Base(r), "acts-blocks.") {
			t.Errorf("run directory %s does not name the source and hook", r)
		}
	}
	_, err := train("blocks.0.hook_mlp_out")
	if err == nil || !strings.Contains(err.Error(), "--resume runs"+string(os.PathSeparator)+"acts-blocks.0.hook_mlp_out") {
		t.Errorf("collision error %v does not name the directory", err)
	}
	var cfg map[string]any
	b, _ := os.ReadFile(filepath.Join(runs[0], "config.json"))
	json.Unmarshal(b, &cfg)
	if cfg["model_name"] == "case3" {
		t.Errorf("a run on an activation file is stamped model_name %v", cfg["model_name"])
	}
	if _, err := runFeaturesCLI(t, "features", runs[0]); err == nil || !strings.Contains(err.Error(), "--case") {
		t.Errorf("features on an activations run: %v, want a request for --case", err)
	}
}
