package siit

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzReadCorrespondence feeds arbitrary bytes to the correspondence loader
// and validates what parses against case 3: errors are fine, panics are not.
func FuzzReadCorrespondence(f *testing.F) {
	f.Add([]byte(`[{"hl": {"label": "frac_prevs_1", "hook": "blocks.1.attn.hook_result", "head": 0}, "ll": [{"hook": "blocks.1.attn.hook_result", "head": 2}]}]`))
	f.Add([]byte(`[{"hl": {"label": "is_x_3", "hook": "blocks.0.mlp.hook_post", "head": null}, "ll": [{"hook": "blocks.0.mlp.hook_post", "head": -1}]}]`))
	f.Add([]byte(`[{"hl": {"label": "is_x_3", "hook": "blocks.0.mlp.hook_post"}, "ll": [{"hook": "blocks.99999999999999999999.mlp.hook_post"}]}]`))
	f.Add([]byte(`[]`))
	comp := compileCase(f, 3)
	ll, _, err := LLConfig(comp.Config, 3, Shape{})
	if err != nil {
		f.Fatal(err)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(dir, "c.json")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		entries, err := ReadEntries(path)
		if err != nil {
			return
		}
		c, err := NewCorrespondence(comp, ll, entries)
		if err != nil {
			return
		}
		if len(c.Entries) != 2 || len(c.NonCircuit) > 10 {
			t.Fatalf("case 3 correspondence with %d entries and %d non-circuit nodes", len(c.Entries), len(c.NonCircuit))
		}
		LLEdges(comp, c, ll.NLayers)
	})
}
