package siit

import (
	"github.com/glassbox-interp/glassbox/model"
	"github.com/glassbox-interp/glassbox/tracr"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// defaultCorrespondence compiles a case and gives its default LL config
// and correspondence.
func defaultCorrespondence(t *testing.T, id int) (*tracr.Compiled, model.Config, *Correspondence) {
	t.Helper()
	comp := compileCase(t, id)
	ll, _, err := LLConfig(comp.Config, id, Shape{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := DefaultCorrespondence(comp, ll, id)
	if err != nil {
		t.Fatal(err)
	}
	return comp, ll, c
}

func TestDefaultCorrespondenceCase3(t *testing.T) {
	_, _, c := defaultCorrespondence(t, 3)
	got := map[string]string{}
	for _, e := range c.Entries {
		if len(e.LL) != 1 {
			t.Fatalf("%s: %d LL nodes", e.HL.Label, len(e.LL))
		}
		got[e.HL.Label+" "+e.HL.Node().String()] = e.LL[0].String()
	}
	want := map[string]string{
		"is_x_3 blocks.0.mlp.hook_post":             "blocks.0.mlp.hook_post",
		"frac_prevs_1 blocks.1.attn.hook_result[0]": "blocks.1.attn.hook_result[2]",
	}
	if len(got) != len(want) {
		t.Fatalf("entries %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s → %q, want %q", k, got[k], v)
		}
	}
	var nc []string
	for _, n := range c.NonCircuit {
		nc = append(nc, n.String())
	}
	wantNC := "blocks.0.attn.hook_result[0] blocks.0.attn.hook_result[1] blocks.0.attn.hook_result[2] blocks.0.attn.hook_result[3] " +
		"blocks.1.attn.hook_result[0] blocks.1.attn.hook_result[1] blocks.1.attn.hook_result[3] blocks.1.mlp.hook_post"
	if strings.Join(nc, " ") != wantNC {
		t.Errorf("non-circuit nodes\n%s\nwant\n%s", strings.Join(nc, " "), wantNC)
	}
}

func TestCorrespondenceFileRoundTrip(t *testing.T) {
	comp, ll, c := defaultCorrespondence(t, 4) // two heads and a two-output MLP
	if len(c.Entries) != 5 {
		t.Fatalf("%d entries, want 5 (two outputs of the L0 MLP, two heads, the L1 MLP)", len(c.Entries))
	}
	// Move closes_3 to LL head 3 of layer 1.
	for i, e := range c.Entries {
		if e.HL.Label == "closes_3" {
			c.Entries[i].LL = []LLNode{{Hook: "blocks.1.attn.hook_result", Head: headPtr(3)}}
		}
	}
	path := filepath.Join(t.TempDir(), CorrespondenceFile)
	if err := c.Save(path); err != nil {
		t.Fatal(err)
	}
	entries, err := ReadEntries(path)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := NewCorrespondence(comp, ll, entries)
	if err != nil {
		t.Fatal(err)
	}
	b1, _ := c.MarshalJSON()
	b2, _ := c2.MarshalJSON()
	if string(b1) != string(b2) {
		t.Errorf("round trip changed the correspondence:\n%s\n%s", b1, b2)
	}
	for _, n := range c2.NonCircuit {
		if n.String() == "blocks.1.attn.hook_result[3]" {
			t.Error("a node of the circuit is listed as non-circuit")
		}
	}
}

func TestCorrespondenceErrors(t *testing.T) {
	comp := compileCase(t, 3)
	ll, _, err := LLConfig(comp.Config, 3, Shape{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, file, want string
	}{
		{"unknown hook", `[{"hl": {"label": "is_x_3", "hook": "blocks.0.mlp.hook_post", "head": null}, "ll": [{"hook": "blocks.7.mlp.hook_post", "head": null}]}]`, "blocks.7"},
		{"head out of range", `[{"hl": {"label": "frac_prevs_1", "hook": "blocks.1.attn.hook_result", "head": 0}, "ll": [{"hook": "blocks.1.attn.hook_result", "head": 9}]}]`, "9"},
		{"unknown HL node", `[{"hl": {"label": "nope", "hook": "blocks.0.mlp.hook_post", "head": null}, "ll": [{"hook": "blocks.0.mlp.hook_post", "head": null}]}]`, "not a node of the compiled program"},
		{"attention without head", `[{"hl": {"label": "frac_prevs_1", "hook": "blocks.1.attn.hook_result", "head": 0}, "ll": [{"hook": "blocks.1.attn.hook_result", "head": null}]}]`, "needs a head"},
		{"shared LL node", `[{"hl": {"label": "frac_prevs_1", "hook": "blocks.1.attn.hook_result", "head": 0}, "ll": [{"hook": "blocks.0.mlp.hook_post", "head": null}]}]`, "serves both"},
		{"empty ll", `[{"hl": {"label": "frac_prevs_1", "hook": "blocks.1.attn.hook_result", "head": 0}, "ll": []}]`, "empty"},
		{"not a list", `{"hl": 1}`, "JSON list"},
		{"unknown field", `[{"hl": {"label": "is_x_3", "hook": "blocks.0.mlp.hook_post", "head": null}, "lo": []}]`, "unknown field"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.json")
			if err := os.WriteFile(path, []byte(tc.file), 0o644); err != nil {
				t.Fatal(err)
			}
			entries, err := ReadEntries(path)
			if err == nil {
				_, err = NewCorrespondence(comp, ll, entries)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}
