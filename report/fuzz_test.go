package report

import (
	"os"
	"path/filepath"
	"testing"
)

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
			_ = lineSVG(c, 300, 130)
		}
	})
}
