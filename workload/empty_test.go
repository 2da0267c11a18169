package workload

import (
	"fmt"
	"testing"
)

// TestEmptyHooks: case 3's compiled model leaves its last MLP empty
// (tracr); the compile info and the all-zero-weights fallback agree, and
// non-empty half-layers are not reported.
func TestEmptyHooks(t *testing.T) {
	cd, err := CatalogueCase(3)
	if err != nil {
		t.Fatal(err)
	}
	w, err := Open(cd, "")
	if err != nil {
		t.Fatal(err)
	}
	last := w.Model.Config().NLayers - 1
	fromBlocks := w.EmptyHooks()
	fromWeights := EmptyHooks(w.Model.Config(), nil, w.Model.Params())
	for _, tc := range []struct {
		hook  string
		empty bool
	}{
		{hook: "blocks.0.hook_resid_pre"},
		{hook: "blocks.0.hook_mlp_out", empty: false},
		{hook: hookAt(last, "hook_mlp_out"), empty: true},
		{hook: hookAt(last, "mlp.hook_post"), empty: true},
		{hook: hookAt(last, "hook_resid_post")},
	} {
		if fromBlocks[tc.hook] != tc.empty || fromWeights[tc.hook] != tc.empty {
			t.Errorf("%s: empty by blocks %v, by weights %v; want %v", tc.hook, fromBlocks[tc.hook], fromWeights[tc.hook], tc.empty)
		}
	}
	if len(fromBlocks) != len(fromWeights) {
		t.Errorf("blocks say %d empty hooks, weights %d", len(fromBlocks), len(fromWeights))
	}
}

func hookAt(layer int, point string) string { return fmt.Sprintf("blocks.%d.%s", layer, point) }
