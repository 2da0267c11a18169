package bench

import (
	"reflect"
	"strings"
	"testing"
)

// TestSelectSkipsEmptyHooks: KIND:last and the kind selectors skip the
// hooks of half-layers that compute nothing (tracr's empty MLPs); an exact
// hook name is still allowed.
func TestSelectSkipsEmptyHooks(t *testing.T) {
	two := StandardHooks(2)
	empty := map[string]bool{"blocks.1.hook_mlp_out": true, "blocks.0.hook_attn_out": true}
	allEmpty := map[string]bool{"blocks.0.hook_mlp_out": true, "blocks.1.hook_mlp_out": true}
	for _, tc := range []struct {
		sel   string
		empty map[string]bool
		want  []string
		err   string
	}{
		{"mlp:last", empty, []string{"blocks.0.hook_mlp_out"}, ""},
		{"attn:last", empty, []string{"blocks.1.hook_attn_out"}, ""},
		{"mlp", empty, []string{"blocks.0.hook_mlp_out"}, ""},
		{"all", empty, []string{"blocks.0.hook_resid_pre", "blocks.0.hook_mlp_out",
			"blocks.1.hook_resid_pre", "blocks.1.hook_attn_out", "blocks.1.hook_resid_post"}, ""},
		{"residual:last", empty, []string{"blocks.1.hook_resid_post"}, ""},
		{"blocks.1.hook_mlp_out", empty, []string{"blocks.1.hook_mlp_out"}, ""},
		{"mlp:last", allEmpty, nil, `hook selector "mlp:last": every hook of that kind reads a half-layer that computes nothing`},
		{"mlp:last", nil, []string{"blocks.1.hook_mlp_out"}, ""},
	} {
		got, err := SelectLiveHooks(tc.sel, two, tc.empty)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want %q", tc.sel, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s = %v, %v; want %v", tc.sel, got, err, tc.want)
		}
	}
}

// TestExpandSkipsEmptyHooks: the default sweep's mlp:last picks the last
// MLP that computes something.
func TestExpandSkipsEmptyHooks(t *testing.T) {
	cells, err := ExpandSkipping(Spec{Cases: []int{3}, Hooks: DefaultHooks, Archs: []string{"standard"}, L1: []float64{0.1}},
		layersOf, func(int) map[string]bool { return map[string]bool{"blocks.3.hook_mlp_out": true} })
	if err != nil {
		t.Fatal(err)
	}
	var hooks []string
	for _, c := range cells {
		hooks = append(hooks, c.Hook)
	}
	if want := []string{"blocks.2.hook_mlp_out", "blocks.3.hook_resid_post"}; !reflect.DeepEqual(hooks, want) {
		t.Errorf("hooks %v, want %v", hooks, want)
	}
}

// TestAggregateLeavesOutEmptyHooks: a cell whose activations never vary
// (input_variance 0: an empty half-layer) is counted apart and not
// averaged into the L0, dead and spliced columns.
func TestAggregateLeavesOutEmptyHooks(t *testing.T) {
	live := Result{ID: "a", Status: StatusOK, Cell: Cell{Case: 4, Hook: "blocks.0.hook_mlp_out", Arch: "standard", Param: ParamL1, Value: 0.1},
		Metrics: map[string]float64{MetricL0: 3, MetricDeadFraction: 0.25, MetricSplicedAccuracy: 0.5, "input_variance": 2}}
	empty := Result{ID: "b", Status: StatusOK, Cell: Cell{Case: 3, Hook: "blocks.1.hook_mlp_out", Arch: "standard", Param: ParamL1, Value: 0.1},
		Metrics: map[string]float64{MetricL0: 0, MetricDeadFraction: 1, MetricSplicedAccuracy: 1, "input_variance": 0}}
	lb := Aggregate([]Result{live, empty})
	if lb.Empty != 1 || lb.OK != 1 || lb.Cells != 1 {
		t.Fatalf("cells %d ok %d empty %d, want 1 1 1", lb.Cells, lb.OK, lb.Empty)
	}
	row := lb.Archs[0]
	if got := row.Stat(MetricL0); got.N != 1 || got.Mean != 3 {
		t.Errorf("L0 %+v, want the live cell's 3", got)
	}
	if got := row.Stat(MetricSplicedAccuracy).Mean; got != 0.5 {
		t.Errorf("spliced %v, want 0.5", got)
	}
	if md := string(lb.Markdown()); !strings.Contains(md, "1 cell at hooks that compute nothing") {
		t.Errorf("markdown does not say an empty-hook cell was left out:\n%s", md)
	}
}

// TestRealDefaultHooksSkipEmptyMLP: tracr leaves case 3's last MLP empty,
// so the default sweep's mlp:last is blocks.0.hook_mlp_out (issue 15, 1).
func TestRealDefaultHooksSkipEmptyMLP(t *testing.T) {
	r := NewRunner(RunnerOptions{})
	cells, err := ExpandSkipping(Spec{Cases: []int{3}, Hooks: DefaultHooks, Archs: []string{"standard"}, L1: []float64{0.1}}, r.Hooks, r.Empty)
	if err != nil {
		t.Fatal(err)
	}
	var hooks []string
	for _, c := range cells {
		hooks = append(hooks, c.Hook)
	}
	if want := []string{"blocks.0.hook_mlp_out", "blocks.1.hook_resid_post"}; !reflect.DeepEqual(hooks, want) {
		t.Errorf("case 3 default hooks %v, want %v", hooks, want)
	}
}

// TestLeaderboardSaysTolerance: the leaderboard states the numerical
// tolerance its spliced accuracies used (issue 15, 2).
func TestLeaderboardSaysTolerance(t *testing.T) {
	r := Result{ID: "a", Status: StatusOK, Cell: Cell{Case: 3, Hook: "blocks.0.hook_mlp_out", Arch: "standard", Param: ParamL1, Value: 0.1},
		Metrics: map[string]float64{MetricSplicedAccuracy: 0.9, MetricATol: 0.05, "input_variance": 1}}
	lb := Aggregate([]Result{r})
	if md := string(lb.Markdown()); !strings.Contains(md, "|Δ| < 0.05") {
		t.Errorf("markdown does not state the tolerance:\n%s", md)
	}
	html, err := lb.HTML()
	if err != nil || !strings.Contains(string(html), "|Δ| &lt; 0.05") {
		t.Errorf("html does not state the tolerance (%v)", err)
	}
}

// TestExpandNoMLPComputes: a case none of whose MLPs computes anything
// (InterpBench case 24) gets no mlp:last cell and a note, not a cell
// recorded as failed.
func TestExpandNoMLPComputes(t *testing.T) {
	cells, notes, err := ExpandNotes(Spec{Cases: []int{4}, Hooks: DefaultHooks, Archs: []string{"topk"}, K: []int{2}},
		func(int) ([]string, error) { return StandardHooks(1), nil },
		func(int) map[string]bool { return map[string]bool{"blocks.0.hook_mlp_out": true} })
	if err != nil {
		t.Fatal(err)
	}
	if len(cells) != 1 || cells[0].Hook != "blocks.0.hook_resid_post" || cells[0].ExpandErr != "" {
		t.Errorf("cells %+v, want only the residual one", cells)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], `case 4: hook selector "mlp:last"`) {
		t.Errorf("notes %q", notes)
	}
}
