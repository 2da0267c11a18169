package rundir

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadMetaAndIsRun(t *testing.T) {
	cd := case3(t)
	s, _ := tokenPosSAE(t, cd)
	dir := writeRun(t, s)
	m, err := ReadMeta(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m.Hook != "blocks.0.hook_resid_pre" || m.Case != 3 || m.DSAE != s.DSAE || m.Arch != "standard" || !m.HasSAE || !m.HasMetrics {
		t.Errorf("meta %+v", m)
	}
	// A run still training: config and metrics, no final SAE.
	training := t.TempDir()
	os.WriteFile(filepath.Join(training, "config.json"), []byte(`{"hook_name": "blocks.1.hook_mlp_out", "d_in": 16, "expansion_factor": 4, "model_name": "case_7"}`), 0o644)
	os.WriteFile(filepath.Join(training, "metrics.jsonl"), nil, 0o644)
	m, err = ReadMeta(training)
	if err != nil || m.Hook != "blocks.1.hook_mlp_out" || m.DSAE != 64 || m.Case != 7 || m.HasSAE {
		t.Errorf("training meta %+v %v", m, err)
	}
	bad := t.TempDir()
	os.WriteFile(filepath.Join(bad, "config.json"), []byte(`[1`), 0o644)
	if _, err := ReadMeta(bad); err == nil || !strings.Contains(err.Error(), "config.json") {
		t.Errorf("bad config: %v", err)
	}
	file := filepath.Join(t.TempDir(), "report.html")
	os.WriteFile(file, nil, 0o644)
	for _, tc := range []struct {
		dir  string
		want bool
	}{{dir, true}, {training, true}, {file, false}, {t.TempDir(), false}, {filepath.Join(dir, "final"), true}} {
		if got := IsRun(tc.dir); got != tc.want {
			t.Errorf("IsRun(%s) = %v", tc.dir, got)
		}
	}
}
