package workload

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadMetrics(t *testing.T) {
	c, err := ReadMetrics("testdata/metrics.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if len(c) != 4 {
		t.Fatalf("%d curves, want 4 (non-numeric, step and tokens skipped)", len(c))
	}
	// An eval line with only a step gets x = step × tokens per step (800/10).
	if e := c[0]; e.Name != "eval/explained_variance" || len(e.X) != 1 || e.X[0] != 3200 || e.XName != "training tokens" {
		t.Errorf("eval curve %+v", e)
	}
	ev := c[3]
	if ev.Name != "metrics/explained_variance" || len(ev.X) != 3 || ev.X[2] != 2400 || ev.Last() != 0.99 || ev.XName != "training tokens" {
		t.Errorf("curve %+v", ev)
	}
	_, err = ReadMetrics("testdata/bad_metrics.jsonl")
	if err == nil || !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), "bad_metrics.jsonl") {
		t.Errorf("bad metrics error %v, want file and line 2", err)
	}
	if _, err := ReadMetrics("testdata/missing.jsonl"); err == nil {
		t.Error("missing file: expected an error")
	}
}

// FuzzReadMetrics: any file content gives curves or an error, never a
// panic, and every curve has one x per y.
func FuzzReadMetrics(f *testing.F) {
	for _, s := range []string{
		`{"step": 1, "losses/mse_loss": 0.5, "details/n_training_tokens": 80}` + "\n",
		`{"step": 2, "eval/l0": null}` + "\n" + `[1,2]`,
		"\n\n{}\n",
		`{"a": "text", "b": true, "c": 1e308}`,
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "metrics.jsonl")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		curves, err := ReadMetrics(p)
		if err != nil {
			return
		}
		for _, c := range curves {
			if len(c.X) != len(c.Y) || c.Name == "" {
				t.Fatalf("curve %q has %d x and %d y", c.Name, len(c.X), len(c.Y))
			}
			_ = c.Last()
		}
	})
}

// TestReadMetricsZeroBasedSteps: the trainer logs zero-based steps (step 9
// has seen 10 batches), so an eval line at the last step of a 1.5e6-token
// run sits at 1.5e6 tokens, not at step × (tokens / step) ≈ 1.67e6... or
// any other extrapolation.
func TestReadMetricsZeroBasedSteps(t *testing.T) {
	c, err := ReadMetrics("testdata/metrics_zero_based.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]float64{
		"eval/explained_variance": {1.5e6},
		"eval/l0":                 {1600, 1.5e6},
		"losses/mse_loss":         {800, 1600, 1.5e6},
	}
	for _, cv := range c {
		w := want[cv.Name]
		if len(cv.X) != len(w) {
			t.Errorf("%s: x %v, want %v", cv.Name, cv.X, w)
			continue
		}
		for i := range w {
			if cv.X[i] != w[i] {
				t.Errorf("%s: x %v, want %v", cv.Name, cv.X, w)
				break
			}
		}
	}
}
