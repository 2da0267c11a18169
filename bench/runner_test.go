package bench

import (
	"context"
	"maps"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/glassbox-interp/glassbox/features"
)

// TestRealRunnerCase3 runs real cells on case 3 (compile → activations →
// train → label → splice) with a short training budget.
func TestRealRunnerCase3(t *testing.T) {
	r := NewRunner(RunnerOptions{})
	hooks, err := r.Hooks(3)
	if err != nil {
		t.Fatal(err)
	}
	res, err := SelectHooks(SelectResidual, hooks)
	if err != nil || strings.Join(res, " ") != "blocks.0.hook_resid_pre blocks.1.hook_resid_pre blocks.1.hook_resid_post" {
		t.Fatalf("case 3 residual hooks %v, %v", res, err)
	}
	cell := Cell{Case: 3, Hook: "blocks.0.hook_mlp_out", Arch: "topk", Param: ParamK, Value: 2, Seed: 42, TrainingTokens: 120_000, Expansion: 4}
	m, err := r.Run(context.Background(), cell)
	if err != nil {
		t.Fatal(err)
	}
	// The compiled case-3 model is exact on its dataset; zero-ablating
	// is_x_3 breaks it; blocks.0.hook_mlp_out carries only is_x_3, which
	// a 2-sparse SAE can represent.
	for _, name := range LeaderboardMetrics {
		v, ok := m[name]
		if !ok {
			t.Errorf("metric %s missing: %v", name, m)
			continue
		}
		if name != MetricL0 && (v < 0 || v > 1+1e-9) {
			t.Errorf("%s = %v, want a fraction", name, v)
		}
	}
	if m["clean_accuracy"] != 1 {
		t.Errorf("clean accuracy %v, want 1 (tracr compiles case 3 exactly)", m["clean_accuracy"])
	}
	if m["zero_accuracy"] >= 1 {
		t.Errorf("zero-ablating blocks.0.hook_mlp_out should hurt: accuracy %v", m["zero_accuracy"])
	}
	if m[MetricL0] <= 0 || m[MetricL0] > 2+1e-9 {
		t.Errorf("topk k=2: L0 %v, want in (0, 2]", m[MetricL0])
	}
	if m["input_variance"] <= 0 {
		t.Errorf("input variance %v at a hook carrying is_x_3", m["input_variance"])
	}
	if m[MetricExplainedVariance] < 0.9 {
		t.Errorf("explained variance %v on a one-variable hook", m[MetricExplainedVariance])
	}
	// Every expected candidate has its best score; coverage is the share
	// of them at or above the clean score.
	_, best := splitBestF1(maps.Clone(m))
	if len(best) == 0 {
		t.Fatalf("no best_f1 entries in %v", m)
	}
	found := 0
	for label, v := range best {
		if !strings.HasPrefix(label, "is_x_3") || v < 0 || v > 1 {
			t.Errorf("best_f1 %q = %v at blocks.0.hook_mlp_out", label, v)
		}
		if v >= features.CleanScore {
			found++
		}
	}
	if got := float64(found) / float64(len(best)); math.Abs(got-m[MetricCoverage]) > 1e-12 {
		t.Errorf("coverage %v, but %d of %d candidates at ≥ %v", m[MetricCoverage], found, len(best), features.CleanScore)
	}
	// Deterministic: the same cell gives the same metrics (resume and
	// merge rely on it).
	again, err := NewRunner(RunnerOptions{}).Run(context.Background(), cell)
	if err != nil || !maps.Equal(m, again) {
		t.Errorf("second run differs:\n%v\n%v (%v)", m, again, err)
	}
	// Cost follows d_model² (case 3: 13; case 2 is wider).
	if c3, c2 := r.Cost(cell), r.Cost(Cell{Case: 2, TrainingTokens: cell.TrainingTokens, Expansion: 4}); !(c3 > 0 && c2 > c3) {
		t.Errorf("cost case 3 %v, case 2 %v", c3, c2)
	}
	if r.Cost(Cell{Case: 16, TrainingTokens: 1, Expansion: 1}) != 0 {
		t.Error("a case that does not compile should cost nothing")
	}
	// Cancelling stops training promptly with the context's error.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	long := cell
	long.TrainingTokens = 1 << 36 // hours of training
	done := make(chan error, 1)
	go func() { _, err := r.Run(ctx, long); done <- err }()
	select {
	case err := <-done:
		if err != context.DeadlineExceeded {
			t.Errorf("cancelled cell: %v, want context.DeadlineExceeded", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("training did not stop within 60 s of the cancellation")
	}
	// An empty MLP layer (case 3 computes nothing in layer 1's MLP): no
	// coverage to report, nothing to reconstruct.
	empty, err := r.Run(context.Background(), Cell{Case: 3, Hook: "blocks.1.hook_mlp_out", Arch: "standard", Param: ParamL1, Value: 0.1, Seed: 1, TrainingTokens: 8000, Expansion: 2})
	if err != nil {
		t.Fatal(err)
	}
	_, hasCov := empty[MetricCoverage]
	_, hasEV := empty[MetricExplainedVariance]
	if hasCov || hasEV || empty[MetricDeadFraction] != 1 || empty["input_variance"] != 0 {
		t.Errorf("empty hook: %v", empty)
	}
	for k, v := range empty {
		if math.IsNaN(v) {
			t.Errorf("%s is NaN", k)
		}
	}
}

func TestRealRunnerUnknownCaseIsRecorded(t *testing.T) {
	r := NewRunner(RunnerOptions{})
	cells, err := Expand(Spec{Cases: []int{16}, Hooks: []string{"residual"}, Archs: []string{"topk"}, K: []int{2}}, r.Hooks)
	if err != nil {
		t.Fatal(err)
	}
	if len(cells) != 1 || !strings.Contains(cells[0].ExpandErr, "case 16: no such case") {
		t.Fatalf("cells %+v", cells)
	}
	dir := t.TempDir()
	sum, err := Sweep(context.Background(), cells, r.Run, Options{Dir: dir})
	if err != nil || sum.Failed != 1 {
		t.Fatalf("sweep %+v, %v", sum, err)
	}
	if _, err := r.Run(context.Background(), Cell{Case: 3, Hook: "blocks.0.attn.hook_pattern", Arch: "topk", Param: ParamK, Value: 2, Seed: 1, TrainingTokens: 800, Expansion: 1}); err == nil ||
		!strings.Contains(err.Error(), "give a head index") {
		t.Errorf("4-d hook: %v", err)
	}
}

func TestRunnerCaseCacheEvicts(t *testing.T) {
	r := NewRunner(RunnerOptions{})
	builds := map[int]int{}
	r.build = func(s Subject) (*caseData, error) {
		builds[s.Case]++
		return &caseData{tokens: [][]int{{s.Case}}}, nil
	}
	order := []int{3, 4, 7, 8, 11, 3, 11}
	for _, id := range order {
		d, err := r.dataset(Subject{Case: id})
		if err != nil || d.tokens[0][0] != id {
			t.Fatalf("dataset(%d) = %v, %v", id, d, err)
		}
	}
	if len(r.data) != maxCachedCases {
		t.Errorf("%d datasets cached, want %d", len(r.data), maxCachedCases)
	}
	// 3 was the least recently used when 11 arrived: evicted, then rebuilt;
	// 11 stayed cached.
	if builds[3] != 2 || builds[11] != 1 || builds[4] != 1 {
		t.Errorf("builds %v", builds)
	}
	if _, ok := r.data[Subject{Case: 4}]; ok {
		t.Error("case 4 should have been evicted by the second use of 3")
	}
}

// TestRunnerTolerance: the runner scores numerical programs with the
// tolerance of its options (InterpBench's 0.05 by default) and records
// the fraction of clean accuracy retained (issue 15, 2).
func TestRunnerTolerance(t *testing.T) {
	if got := (RunnerOptions{}).WithDefaults().ATol; got != 0.05 {
		t.Errorf("default atol %v, want 0.05", got)
	}
	cell := Cell{Case: 3, Hook: "blocks.1.hook_resid_post", Arch: "topk", Param: ParamK, Value: 4, Seed: 1, TrainingTokens: 800, Expansion: 1}
	for _, tc := range []struct {
		atol float64
		min  float64
	}{{0, 0}, {1e9, 1}} {
		m, err := NewRunner(RunnerOptions{ATol: tc.atol}).Run(context.Background(), cell)
		if err != nil {
			t.Fatal(err)
		}
		r, ok := m[MetricAccuracyRetained]
		if !ok || r < tc.min || math.Abs(r-m[MetricSplicedAccuracy]/m["clean_accuracy"]) > 1e-12 {
			t.Errorf("atol %v: accuracy_retained %v (present %v), spliced %v, clean %v", tc.atol, r, ok, m[MetricSplicedAccuracy], m["clean_accuracy"])
		}
	}
}
