package workload

import (
	"path/filepath"
	"slices"
	"testing"
)

// TestOpenModelFolder: a workload run by a model folder holding the case's
// compiled model gives the same activations as the compiled model itself;
// a missing folder is an error naming it.
func TestOpenModelFolder(t *testing.T) {
	cd, err := CatalogueCase(3)
	if err != nil {
		t.Fatal(err)
	}
	compiled, err := Open(cd, "")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "model")
	if err := compiled.Model.Save(dir); err != nil {
		t.Fatal(err)
	}
	folder, err := Open(cd, dir)
	if err != nil {
		t.Fatal(err)
	}
	if folder.ModelDir != dir || len(folder.Tokens) != 320 {
		t.Fatalf("model dir %q, %d token rows", folder.ModelDir, len(folder.Tokens))
	}
	const hook = "blocks.1.hook_attn_out"
	a, err := Collect(compiled.Model, compiled.Tokens, hook, Select{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Collect(folder.Model, folder.Tokens, hook, Select{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.Data, b.Data) {
		t.Error("the model folder's activations differ from the compiled model's")
	}
	gt, err := folder.GroundTruth()
	if err != nil || len(gt.Tokens) != 320 {
		t.Fatalf("ground truth: %v", err)
	}
	missing := filepath.Join(t.TempDir(), "nope")
	if _, err := Open(cd, missing); err == nil {
		t.Error("missing model folder accepted")
	}
}
