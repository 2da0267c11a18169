package workload

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glassbox-interp/glassbox/sae"
)

func TestFindSAE(t *testing.T) {
	s, err := sae.New(sae.ArchStandard, 4, 8)
	if err != nil {
		t.Fatal(err)
	}
	s.Meta.HookName = "blocks.0.hook_resid_pre"
	run := filepath.Join(t.TempDir(), "run")
	if err := sae.Save(filepath.Join(run, "final"), s, nil); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(run, "metrics.jsonl"), []byte(`{"step":1}`+"\n"), 0o644)
	ck := filepath.Join(run, "checkpoints", "800")
	if err := sae.Save(ck, s, nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ path, sae, run string }{
		{run, filepath.Join(run, "final"), run},
		{filepath.Join(run, "final"), filepath.Join(run, "final"), run},
		{ck, ck, run},
	}
	for _, tc := range tests {
		sd, rd, err := FindSAE(tc.path)
		if err != nil || sd != tc.sae || rd != tc.run {
			t.Errorf("FindSAE(%s) = %s %s %v; want %s %s", tc.path, sd, rd, err, tc.sae, tc.run)
		}
	}
	// A bare SAE folder is its own run when it records its source (bench
	// --keep-saes), else it has none.
	bare := filepath.Join(t.TempDir(), "cell")
	if err := sae.Save(bare, s, nil); err != nil {
		t.Fatal(err)
	}
	if sd, rd, err := FindSAE(bare); err != nil || sd != bare || rd != "" {
		t.Errorf("bare SAE: %s %s %v", sd, rd, err)
	}
	if err := WriteSource(bare, Source{Case: 3, Hook: "blocks.0.hook_resid_pre"}); err != nil {
		t.Fatal(err)
	}
	if sd, rd, err := FindSAE(bare); err != nil || sd != bare || rd != bare {
		t.Errorf("kept SAE with source.json: %s %s %v", sd, rd, err)
	}
	// Without final/, the newest checkpoint is used.
	os.RemoveAll(filepath.Join(run, "final"))
	if sd, _, err := FindSAE(run); err != nil || sd != ck {
		t.Errorf("checkpoint fallback: %s %v", sd, err)
	}
	// A directory with neither is an error saying what was expected.
	if _, _, err := FindSAE(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no SAE found") {
		t.Errorf("empty directory: %v", err)
	}
}
