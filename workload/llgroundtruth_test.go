package workload

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glassbox-interp/glassbox/features"
	"github.com/glassbox-interp/glassbox/model"
	"github.com/glassbox-interp/glassbox/model/grad"
	"github.com/glassbox-interp/glassbox/siit"
)

// case3LL is case 3 with InterpBench's LL shape for it and a randomly
// initialised LL model saved in a folder (no correspondence file).
func case3LL(t *testing.T) (*Case, model.Config, string) {
	t.Helper()
	cd, err := CatalogueCase(3)
	if err != nil {
		t.Fatal(err)
	}
	ll, std, err := siit.LLConfig(cd.Compiled.Config, 3, siit.Shape{})
	if err != nil {
		t.Fatal(err)
	}
	n, err := grad.New(ll)
	if err != nil {
		t.Fatal(err)
	}
	n.InitNormal(0, std)
	m, err := n.Model()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "ll")
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	return cd, m.Config(), dir
}

func variable(t *testing.T, gt *features.GroundTruth, name string) features.Variable {
	t.Helper()
	for _, v := range gt.Variables {
		if v.Name == name {
			return v
		}
	}
	t.Fatalf("no variable %s", name)
	return features.Variable{}
}

// TestLLAvailability: on case 3's LL model, a variable is available from
// the LL node the correspondence puts it at (is_x_3 from the layer-0 MLP,
// frac_prevs_1 from layer 1's head 2), never before it nor in other heads.
func TestLLAvailability(t *testing.T) {
	cd, ll, dir := case3LL(t)
	w, err := Open(cd, dir)
	if err != nil {
		t.Fatal(err)
	}
	if w.Kind != KindInterpBench || w.Corr == nil {
		t.Fatalf("kind %q, correspondence %v", w.Kind, w.Corr)
	}
	gt, err := w.GroundTruth()
	if err != nil {
		t.Fatal(err)
	}
	if ll.DModel != 12 {
		t.Fatalf("LL d_model %d, want 12", ll.DModel)
	}
	out := cd.Program.Label()
	tests := []struct {
		variable, hook string
		want           bool
	}{
		{"is_x_3", "blocks.0.hook_resid_pre", false},
		{"is_x_3", "blocks.0.hook_attn_out", false},
		{"is_x_3", "blocks.0.mlp.hook_post", true},
		{"is_x_3", "blocks.0.hook_mlp_out", true},
		{"is_x_3", "blocks.1.hook_resid_pre", true},
		{"frac_prevs_1", "blocks.1.hook_resid_pre", false},
		{"frac_prevs_1", "blocks.1.attn.hook_result[2]", true},
		{"frac_prevs_1", "blocks.1.attn.hook_z[2]", true},
		{"frac_prevs_1", "blocks.1.attn.hook_result[0]", false},
		{"frac_prevs_1", "blocks.1.attn.hook_z[0]", false},
		{"frac_prevs_1", "blocks.1.hook_attn_out", true},
		{"frac_prevs_1", "blocks.1.hook_resid_post", true},
		{out, "blocks.1.hook_resid_post", true},
		{out, "blocks.0.hook_resid_pre", false},
	}
	for _, tc := range tests {
		got, err := gt.Available(variable(t, gt, tc.variable), tc.hook)
		if err != nil {
			t.Fatalf("%s at %s: %v", tc.variable, tc.hook, err)
		}
		if got != tc.want {
			t.Errorf("%s at %s: available %v, want %v", tc.variable, tc.hook, got, tc.want)
		}
	}
	// The expected labels follow: frac_prevs_1 is expected at head 2's
	// result, not at head 0's.
	for _, tc := range []struct {
		hook string
		want bool
	}{{"blocks.1.attn.hook_result[2]", true}, {"blocks.1.attn.hook_result[0]", false}, {"blocks.1.hook_attn_out", true}} {
		_, exp, err := gt.Candidates(tc.hook)
		if err != nil {
			t.Fatal(err)
		}
		if got := contains(exp, "frac_prevs_1"); got != tc.want {
			t.Errorf("%s: frac_prevs_1 expected %v, want %v (expected %v)", tc.hook, got, tc.want, exp)
		}
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// TestLLCorrespondenceFile: a folder's correspondence.json replaces the
// default; a broken one is an error naming the file.
func TestLLCorrespondenceFile(t *testing.T) {
	cd, ll, dir := case3LL(t)
	h := 3
	entries := []siit.Entry{{HL: siit.HLNode{Label: "frac_prevs_1", Hook: "blocks.1.attn.hook_result", Head: new(int)}, LL: []siit.LLNode{{Hook: "blocks.1.attn.hook_result", Head: &h}}}}
	c, err := siit.NewCorrespondence(cd.Compiled, ll, entries)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Save(filepath.Join(dir, siit.CorrespondenceFile)); err != nil {
		t.Fatal(err)
	}
	w, err := Open(cd, dir)
	if err != nil {
		t.Fatal(err)
	}
	gt, err := w.GroundTruth()
	if err != nil {
		t.Fatal(err)
	}
	v := variable(t, gt, "frac_prevs_1")
	for hook, want := range map[string]bool{"blocks.1.attn.hook_result[3]": true, "blocks.1.attn.hook_result[2]": false} {
		if got, _ := gt.Available(v, hook); got != want {
			t.Errorf("with the file, frac_prevs_1 at %s: %v, want %v", hook, got, want)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, siit.CorrespondenceFile), []byte(`{"x":1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(cd, dir); err == nil || !strings.Contains(err.Error(), siit.CorrespondenceFile) {
		t.Errorf("broken correspondence file: %v", err)
	}
}

// TestModelRef: a run's model reference matches the same weights from
// another folder and refuses other weights or another kind, naming both.
func TestModelRef(t *testing.T) {
	cd, _, dir := case3LL(t)
	w, err := Open(cd, dir)
	if err != nil {
		t.Fatal(err)
	}
	ref := w.Ref()
	if ref.Kind != KindInterpBench || len(ref.Hash) != 64 || !filepath.IsAbs(ref.Path) {
		t.Fatalf("ref %+v", ref)
	}
	if err := ref.Check(w); err != nil {
		t.Errorf("same model: %v", err)
	}
	compiled, err := Open(cd, "")
	if err != nil {
		t.Fatal(err)
	}
	if compiled.Ref().Kind != KindCompiled {
		t.Errorf("compiled kind %q", compiled.Ref().Kind)
	}
	if err := ref.Check(compiled); err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "compiled") {
		t.Errorf("compiled instead of the folder: %v", err)
	}
	other := ref
	other.Hash = strings.Repeat("0", 64)
	if err := other.Check(w); err == nil || !strings.Contains(err.Error(), "other weights") {
		t.Errorf("hash mismatch: %v", err)
	}
	if p, err := ref.Resolve("runs/x"); err != nil || p != ref.Path {
		t.Errorf("resolve: %q %v", p, err)
	}
	gone := ModelRef{Path: filepath.Join(t.TempDir(), "gone"), Kind: KindSIIT, Hash: ref.Hash}
	if _, err := gone.Resolve("runs/x"); err == nil || !strings.Contains(err.Error(), "gone") || !strings.Contains(err.Error(), "runs/x") {
		t.Errorf("missing folder: %v", err)
	}
}

// TestCompiledHeadAvailability: on the compiled model the alignment's head
// decides the same way (case 3: frac_prevs_1 is head 0's result).
func TestCompiledHeadAvailability(t *testing.T) {
	cd, err := CatalogueCase(3)
	if err != nil {
		t.Fatal(err)
	}
	w, err := Open(cd, "")
	if err != nil {
		t.Fatal(err)
	}
	gt, err := w.GroundTruth()
	if err != nil {
		t.Fatal(err)
	}
	v := variable(t, gt, "frac_prevs_1")
	for hook, want := range map[string]bool{"blocks.1.attn.hook_z[0]": true, "blocks.1.attn.hook_result[0]": true, "blocks.1.attn.hook_z": true, "blocks.0.hook_mlp_out": false} {
		if got, err := gt.Available(v, hook); err != nil || got != want {
			t.Errorf("compiled: frac_prevs_1 at %s: %v (%v), want %v", hook, got, err, want)
		}
	}
	// A variable whose hook names no head is in every head.
	whole := features.Variable{Name: "v", Hooks: []string{"blocks.1.attn.hook_result"}}
	if got, _ := gt.Available(whole, "blocks.1.attn.hook_z[0]"); !got {
		t.Error("a headless hook is not available at head 0")
	}
}
