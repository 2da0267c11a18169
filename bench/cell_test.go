package bench

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestSelectHooks(t *testing.T) {
	two := StandardHooks(2)
	attnOnly := []string{"hook_embed", "blocks.0.hook_resid_pre", "blocks.0.hook_attn_out", "blocks.0.hook_resid_post"}
	tests := []struct {
		sel   string
		hooks []string
		want  []string
		err   string
	}{
		{SelectResidual, two, []string{"blocks.0.hook_resid_pre", "blocks.1.hook_resid_pre", "blocks.1.hook_resid_post"}, ""},
		{SelectMLP, two, []string{"blocks.0.hook_mlp_out", "blocks.1.hook_mlp_out"}, ""},
		{SelectAttn, two, []string{"blocks.0.hook_attn_out", "blocks.1.hook_attn_out"}, ""},
		{SelectAll, two, []string{
			"blocks.0.hook_resid_pre", "blocks.0.hook_attn_out", "blocks.0.hook_mlp_out",
			"blocks.1.hook_resid_pre", "blocks.1.hook_attn_out", "blocks.1.hook_mlp_out", "blocks.1.hook_resid_post"}, ""},
		{"blocks.1.hook_resid_mid", two, []string{"blocks.1.hook_resid_mid"}, ""},
		{"blocks.7.hook_mlp_out", two, nil, `hook "blocks.7.hook_mlp_out" is not a hook of the model`},
		{SelectMLP, attnOnly, nil, `selector "mlp" matches no hook`},
		{SelectResidual, attnOnly, []string{"blocks.0.hook_resid_pre", "blocks.0.hook_resid_post"}, ""},
		{"residual:last", two, []string{"blocks.1.hook_resid_post"}, ""},
		{"mlp:last", two, []string{"blocks.1.hook_mlp_out"}, ""},
		{"attn:last", two, []string{"blocks.1.hook_attn_out"}, ""},
		{"residual:last", StandardHooks(1), []string{"blocks.0.hook_resid_post"}, ""},
		{"mlp:last", attnOnly, nil, `selector "mlp:last" matches no hook`},
		{"all:last", two, nil, `works with residual, mlp or attn`},
		{"blocks.1.hook_mlp_out:last", two, nil, `works with residual, mlp or attn`},
	}
	for _, tc := range tests {
		got, err := SelectHooks(tc.sel, tc.hooks)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("SelectHooks(%q): error %v, want %q", tc.sel, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("SelectHooks(%q) = %v, %v; want %v", tc.sel, got, err, tc.want)
		}
	}
}

func TestExpandOrderAndErrors(t *testing.T) {
	spec := Spec{
		Cases: []int{5, 13, 5}, Hooks: []string{SelectMLP, SelectResidual}, Archs: []string{"topk", "standard"},
		L1: []float64{1, 0.1}, K: []int{4}, Seeds: []int64{2, 1}, TrainingTokens: 1000, Expansion: 2,
	}
	cells, err := Expand(spec, layersOf) // case 5 → 2 layers; case 13 fails
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, c := range cells {
		k := c.Key()
		if c.ExpandErr != "" {
			k += " ERR " + c.ExpandErr
		}
		keys = append(keys, k)
	}
	var want []string
	for _, h := range []string{"blocks.0.hook_resid_pre", "blocks.0.hook_mlp_out", "blocks.1.hook_resid_pre", "blocks.1.hook_mlp_out", "blocks.1.hook_resid_post"} {
		for _, as := range []string{"topk k=4", "standard l1=0.1", "standard l1=1"} {
			arch, sp, _ := strings.Cut(as, " ")
			for _, seed := range []string{"2", "1"} {
				want = append(want, "case=5 hook="+h+" arch="+arch+" "+sp+" seed="+seed+" tokens=1000 expansion=2")
			}
		}
	}
	for _, sel := range []string{"mlp", "residual"} {
		for _, as := range []string{"topk k=4", "standard l1=0.1", "standard l1=1"} {
			arch, sp, _ := strings.Cut(as, " ")
			for _, seed := range []string{"2", "1"} {
				want = append(want, "case=13 hook="+sel+" arch="+arch+" "+sp+" seed="+seed+" tokens=1000 expansion=2"+
					" ERR case 13: numerical aggregate with a non-mean selector")
			}
		}
	}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("Expand keys:\n%s\nwant:\n%s", strings.Join(keys, "\n"), strings.Join(want, "\n"))
	}
	// Expansion is deterministic.
	again, _ := Expand(spec, layersOf)
	if !reflect.DeepEqual(cells, again) {
		t.Error("Expand is not deterministic")
	}
}

func TestExpandDefaultsAndUnmatchedSelector(t *testing.T) {
	cells, err := Expand(Spec{Cases: []int{4}, Hooks: []string{"blocks.3.hook_mlp_out"}, Archs: []string{"gated"}, L1: []float64{0.5}}, layersOf)
	if err != nil {
		t.Fatal(err)
	}
	if len(cells) != 1 {
		t.Fatalf("got %d cells, want 1", len(cells))
	}
	c := cells[0]
	if c.Seed != DefaultSeed || c.TrainingTokens != DefaultTrainingTokens || c.Expansion != DefaultExpansion {
		t.Errorf("defaults not applied: %+v", c)
	}
	if !strings.Contains(c.ExpandErr, `case 4: hook "blocks.3.hook_mlp_out" is not a hook`) {
		t.Errorf("ExpandErr = %q", c.ExpandErr)
	}
}

func TestCellIDStable(t *testing.T) {
	c := Cell{Case: 3, Hook: "blocks.0.hook_resid_pre", Arch: "standard", Param: ParamL1, Value: 0.1, Seed: 42, TrainingTokens: 300000, Expansion: 4}
	if got, want := c.Key(), "case=3 hook=blocks.0.hook_resid_pre arch=standard l1=0.1 seed=42 tokens=300000 expansion=4"; got != want {
		t.Errorf("Key = %q, want %q", got, want)
	}
	// SHA-256 of the key above, first 8 bytes (computed with sha256sum).
	if got, want := c.ID(), "b034cd3a076518c1"; got != want {
		t.Errorf("ID = %q, want %q", got, want)
	}
	// The same cell from two different grids has the same ID; every
	// parameter changes it.
	a, _ := Expand(Spec{Cases: []int{3}, Hooks: []string{"residual"}, Archs: []string{"standard"}, L1: []float64{0.1}}, layersOf)
	b, _ := Expand(Spec{Cases: []int{2, 3}, Hooks: []string{"all"}, Archs: []string{"topk", "standard"}, L1: []float64{1, 0.1}, K: []int{2}, Seeds: []int64{42, 1}}, layersOf)
	ids := map[string]bool{}
	for _, x := range b {
		if ids[x.ID()] {
			t.Errorf("duplicate ID %s in one grid", x.ID())
		}
		ids[x.ID()] = true
	}
	for _, x := range a {
		if !ids[x.ID()] {
			t.Errorf("cell %s (%s) of grid a not found in grid b", x.ID(), x.Key())
		}
	}
	variants := []Cell{c, c, c, c, c, c, c}
	variants[0].Case = 4
	variants[1].Hook = "blocks.0.hook_mlp_out"
	variants[2].Arch = "gated"
	variants[3].Value = 0.01
	variants[4].Seed = 1
	variants[5].TrainingTokens = 1
	variants[6].Expansion = 8
	for _, v := range variants {
		if v.ID() == c.ID() {
			t.Errorf("changing a parameter kept the ID: %s", v.Key())
		}
	}
}

func TestNormalizeErrors(t *testing.T) {
	ok := Spec{Cases: []int{3}, Hooks: []string{"residual"}, Archs: []string{"standard", "topk"}, L1: []float64{0.1}, K: []int{4}}
	tests := []struct {
		name string
		mod  func(*Spec)
		err  string
	}{
		{"no cases", func(s *Spec) { s.Cases = nil }, "no cases"},
		{"no hooks", func(s *Spec) { s.Hooks = nil }, "no hook selectors"},
		{"no archs", func(s *Spec) { s.Archs = nil }, "no architectures"},
		{"unknown arch", func(s *Spec) { s.Archs = []string{"sparse"} }, `unknown SAE architecture "sparse"`},
		{"l1 missing", func(s *Spec) { s.L1 = nil }, "need l1 values"},
		{"k missing", func(s *Spec) { s.K = nil }, "need k values"},
		{"bad k", func(s *Spec) { s.K = []int{0} }, "k 0: expected a positive integer"},
		{"bad l1", func(s *Spec) { s.L1 = []float64{-1} }, "l1 -1"},
		{"bad tokens", func(s *Spec) { s.TrainingTokens = -5 }, "training tokens -5"},
		{"empty hook", func(s *Spec) { s.Hooks = []string{" "} }, "empty hook selector"},
	}
	for _, tc := range tests {
		s := ok
		tc.mod(&s)
		_, err := Expand(s, layersOf)
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.err)
		}
	}
	if _, err := Expand(ok, nil); err == nil {
		t.Error("Expand with a nil HookLister: no error")
	}
	if _, err := Expand(ok, func(int) ([]string, error) { return nil, errors.New("x") }); err != nil {
		t.Errorf("a failing HookLister must give failed cells, not an error: %v", err)
	}
}

// A lister whose error already names the case (cases.Get does) is not
// prefixed a second time.
func TestExpandNamesTheCaseOnce(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{errors.New("case 999: no such case"), "case 999: no such case"},
		{errors.New("no such case"), "case 999: no such case"},
		{errors.New("case 99: other case"), "case 999: case 99: other case"},
	} {
		cells, err := Expand(Spec{Cases: []int{999}, Hooks: DefaultHooks, Archs: []string{"topk"}, K: []int{4}},
			func(int) ([]string, error) { return nil, tc.err })
		if err != nil {
			t.Fatal(err)
		}
		if len(cells) != 2 {
			t.Fatalf("%d cells, want one per selector", len(cells))
		}
		for _, c := range cells {
			if c.ExpandErr != tc.want {
				t.Errorf("lister error %q: ExpandErr %q, want %q", tc.err, c.ExpandErr, tc.want)
			}
		}
	}
}
