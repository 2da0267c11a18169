package workload

import (
	"strings"
	"testing"
)

// TestDownstreamIdentitySplice: splicing a hook's own vectors back gives
// the clean outputs; zeroing them does not; a wrong size is an error.
func TestDownstreamIdentitySplice(t *testing.T) {
	cd, err := CatalogueCase(3)
	if err != nil {
		t.Fatal(err)
	}
	w, err := Open(cd, "")
	if err != nil {
		t.Fatal(err)
	}
	head := 0
	for _, tc := range []struct {
		hook string
		head *int
	}{{"blocks.0.hook_mlp_out", nil}, {"blocks.1.attn.hook_pattern", &head}} {
		clean, cache, err := w.Model.RunWithCache(w.Tokens, tc.hook)
		if err != nil {
			t.Fatal(err)
		}
		act := cache[tc.hook]
		v, err := NewView(tc.hook, act.Shape, len(w.Tokens), len(w.Tokens[0]), tc.head)
		if err != nil {
			t.Fatal(err)
		}
		d, err := w.Downstream(v, clean, v.Extract(act.Data, nil))
		if err != nil {
			t.Fatal(err)
		}
		if *d.Spliced.MSE != *d.Clean.MSE || *d.Zero.MSE == *d.Clean.MSE {
			t.Errorf("%s: spliced %v clean %v zero %v", tc.hook, *d.Spliced.MSE, *d.Clean.MSE, *d.Zero.MSE)
		}
		if _, err := w.Splice(v, make([]float32, 3)); err == nil || !strings.Contains(err.Error(), tc.hook) {
			t.Errorf("%s: short splice: %v", tc.hook, err)
		}
	}
}
