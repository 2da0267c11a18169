package bench

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// countingRun wraps fakeRun and counts the calls per cell ID.
type countingRun struct {
	mu    sync.Mutex
	calls map[string]int
}

func (c *countingRun) run(ctx context.Context, cell Cell) (map[string]float64, error) {
	c.mu.Lock()
	if c.calls == nil {
		c.calls = map[string]int{}
	}
	c.calls[cell.ID()]++
	c.mu.Unlock()
	return fakeRun(ctx, cell)
}

// checkComplete asserts that dir's results hold every cell exactly once,
// with the expected outcome.
func checkComplete(t *testing.T, dir string, cells []Cell) []Result {
	t.Helper()
	rs, partial, err := ReadResults(dir)
	if err != nil {
		t.Fatal(err)
	}
	if partial != 0 {
		t.Errorf("%d bytes of partial line left in %s", partial, dir)
	}
	byID := map[string]Result{}
	for _, r := range rs {
		if _, dup := byID[r.ID]; dup {
			t.Errorf("cell %s recorded twice", r.Key)
		}
		byID[r.ID] = r
	}
	if len(byID) != len(cells) {
		t.Errorf("%d cells recorded, want %d", len(byID), len(cells))
	}
	for _, c := range cells {
		r, ok := byID[c.ID()]
		if !ok {
			t.Errorf("cell %s lost", c.Key())
			continue
		}
		switch {
		case c.Case == 13:
			if r.OK() || !strings.Contains(r.Error, "numerical aggregate with a non-mean selector") {
				t.Errorf("cell %s: want the compile error, got %+v", c.Key(), r)
			}
		case c.Case == 66 && c.Seed == 7:
			if r.OK() || !strings.HasPrefix(r.Error, "panic: fake panic in "+c.Key()) {
				t.Errorf("cell %s: want the panic recorded, got status %s error %q", c.Key(), r.Status, r.Error)
			}
		default:
			if !r.OK() || !maps.Equal(r.Metrics, fakeMetrics(c)) {
				t.Errorf("cell %s: got %+v, want metrics %v", c.Key(), r, fakeMetrics(c))
			}
		}
	}
	return rs
}

func sweepGrid(t *testing.T) []Cell {
	t.Helper()
	cells, err := Expand(Spec{
		Cases: []int{3, 13, 66, 5}, Hooks: []string{"residual", "mlp"}, Archs: []string{"standard", "topk"},
		L1: []float64{0.1, 1}, K: []int{4}, Seeds: []int64{42, 7}, TrainingTokens: 1000,
	}, layersOf)
	if err != nil {
		t.Fatal(err)
	}
	return cells
}

func TestSweepRecordsEveryCell(t *testing.T) {
	cells := sweepGrid(t)
	dir := t.TempDir()
	var cr countingRun
	var last Progress
	sum, err := Sweep(context.Background(), cells, cr.run, Options{Dir: dir, Jobs: 3, Progress: func(p Progress) { last = p }})
	if err != nil {
		t.Fatal(err)
	}
	checkComplete(t, dir, cells)
	nFail := 0
	for _, c := range cells {
		if c.Case == 13 || (c.Case == 66 && c.Seed == 7) {
			nFail++
		}
	}
	if sum.Total != len(cells) || sum.OK != len(cells)-nFail || sum.Failed != nFail || sum.Remaining != 0 || sum.Skipped != 0 {
		t.Errorf("summary %+v; want total %d, failed %d", sum, len(cells), nFail)
	}
	if last.Done != len(cells) || last.Remaining() != 0 {
		t.Errorf("last progress %+v", last)
	}
	// Cells of case 13 never reach the runner: the case did not compile.
	for _, c := range cells {
		if want := 1; c.Case == 13 {
			want = 0
			if cr.calls[c.ID()] != want {
				t.Errorf("%s: runner called %d times, want %d", c.Key(), cr.calls[c.ID()], want)
			}
		} else if cr.calls[c.ID()] != want {
			t.Errorf("%s: runner called %d times, want %d", c.Key(), cr.calls[c.ID()], want)
		}
	}
	// A second run finds everything done and runs nothing.
	var again countingRun
	sum, err = Sweep(context.Background(), cells, again.run, Options{Dir: dir, Jobs: 2})
	if err != nil || sum.Skipped != len(cells) || len(again.calls) != 0 {
		t.Errorf("rerun: %+v, %v, %d calls", sum, err, len(again.calls))
	}
	checkComplete(t, dir, cells)
}

func TestSweepResumesAfterCrash(t *testing.T) {
	cells := sweepGrid(t)
	dir := t.TempDir()
	if _, err := Sweep(context.Background(), cells, fakeRun, Options{Dir: dir, Jobs: 2}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, ResultsFile)
	data, _ := os.ReadFile(path)
	lines := strings.SplitAfter(string(data), "\n")
	lines = lines[:len(lines)-1] // trailing ""
	// Crash: the last 4 lines never made it, and the 5th from last is half written.
	keep := len(lines) - 5
	half := lines[keep][:len(lines[keep])/2]
	crashed := strings.Join(lines[:keep], "") + half
	if err := os.WriteFile(path, []byte(crashed), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, partial, err := ReadResults(path); err != nil || partial != int64(len(half)) {
		t.Fatalf("ReadResults of crashed file: partial %d, err %v; want %d", partial, err, len(half))
	}
	var cr countingRun
	sum, err := Sweep(context.Background(), cells, cr.run, Options{Dir: dir, Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Dropped != int64(len(half)) || sum.Skipped != keep || sum.OK+sum.Failed != 5 {
		t.Errorf("summary %+v; want dropped %d, skipped %d, 5 run", sum, len(half), keep)
	}
	// Only the 5 lost cells ran again (minus any that never reach the runner).
	for id, n := range cr.calls {
		if n != 1 {
			t.Errorf("cell %s run %d times", id, n)
		}
	}
	if len(cr.calls) > 5 {
		t.Errorf("%d cells re-run, want at most 5", len(cr.calls))
	}
	checkComplete(t, dir, cells)
}

func TestSweepInterruptedByCancel(t *testing.T) {
	cells := sweepGrid(t)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	var started atomic.Int32
	stopAfter := int32(len(cells) / 3)
	run := func(ctx context.Context, c Cell) (map[string]float64, error) {
		if started.Add(1) > stopAfter {
			cancel()
			<-ctx.Done() // a long cell that notices the cancellation
			return nil, ctx.Err()
		}
		return fakeRun(ctx, c)
	}
	sum, err := Sweep(ctx, cells, run, Options{Dir: dir, Jobs: 2})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted sweep: err %v, want context.Canceled", err)
	}
	if sum.Remaining == 0 || sum.OK+sum.Failed+sum.Remaining != len(cells) {
		t.Errorf("summary %+v does not add up to %d cells", sum, len(cells))
	}
	rs, partial, err := ReadResults(dir)
	if err != nil || partial != 0 {
		t.Fatalf("results after cancel: %v, partial %d", err, partial)
	}
	for _, r := range rs {
		if strings.Contains(r.Error, "context canceled") {
			t.Errorf("interrupted cell %s recorded as failed", r.Key)
		}
	}
	recorded := len(rs)
	var cr countingRun
	sum, err = Sweep(context.Background(), cells, cr.run, Options{Dir: dir, Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Skipped != recorded || sum.OK+sum.Failed != len(cells)-recorded {
		t.Errorf("resume summary %+v; %d were recorded of %d", sum, recorded, len(cells))
	}
	for id, n := range cr.calls {
		if n != 1 {
			t.Errorf("cell %s run %d times on resume", id, n)
		}
	}
	checkComplete(t, dir, cells)
}

func TestSweepRetryFailed(t *testing.T) {
	cells, _ := Expand(Spec{Cases: []int{3}, Hooks: []string{"mlp"}, Archs: []string{"topk"}, K: []int{2, 4}}, layersOf)
	dir := t.TempDir()
	flaky := func(ctx context.Context, c Cell) (map[string]float64, error) {
		if c.K() == 4 {
			return nil, errors.New("out of memory")
		}
		return fakeRun(ctx, c)
	}
	if _, err := Sweep(context.Background(), cells, flaky, Options{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	sum, _ := Sweep(context.Background(), cells, fakeRun, Options{Dir: dir})
	if sum.Skipped != len(cells) {
		t.Errorf("without RetryFailed, recorded errors must be skipped: %+v", sum)
	}
	sum, err := Sweep(context.Background(), cells, fakeRun, Options{Dir: dir, RetryFailed: true})
	if err != nil || sum.OK != len(cells)/2 || sum.Skipped != len(cells)/2 {
		t.Errorf("RetryFailed: %+v, %v", sum, err)
	}
	rs, _, _ := ReadResults(dir)
	latest := Latest(rs)
	if len(rs) != len(cells)*3/2 || len(latest) != len(cells) {
		t.Fatalf("%d lines, %d latest; want %d, %d", len(rs), len(latest), len(cells)*3/2, len(cells))
	}
	for _, r := range latest {
		if !r.OK() {
			t.Errorf("%s: the retried success must supersede the error", r.Key)
		}
	}
}

func TestSweepNonFiniteMetricIsAnError(t *testing.T) {
	cells, _ := Expand(Spec{Cases: []int{3}, Hooks: []string{"blocks.0.hook_mlp_out"}, Archs: []string{"standard"}, L1: []float64{1}}, layersOf)
	dir := t.TempDir()
	nan := func(ctx context.Context, c Cell) (map[string]float64, error) {
		m := fakeMetrics(c)
		m[MetricExplainedVariance] = m[MetricExplainedVariance] / 0 * 0
		return m, nil
	}
	if _, err := Sweep(context.Background(), cells, nan, Options{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	rs, _, err := ReadResults(dir)
	if err != nil || len(rs) != 1 || rs[0].OK() || !strings.Contains(rs[0].Error, "explained_variance = NaN") {
		t.Errorf("got %+v, %v", rs, err)
	}
}

func TestSweepDirLocked(t *testing.T) {
	cells := sweepGrid(t)
	dir := t.TempDir()
	release := make(chan struct{})
	running := make(chan struct{}, 1)
	slow := func(ctx context.Context, c Cell) (map[string]float64, error) {
		select {
		case running <- struct{}{}:
		default:
		}
		<-release
		return fakeRun(ctx, c)
	}
	done := make(chan error)
	go func() {
		_, err := Sweep(context.Background(), cells, slow, Options{Dir: dir, Jobs: 1})
		done <- err
	}()
	<-running
	_, err := Sweep(context.Background(), cells, fakeRun, Options{Dir: dir})
	close(release)
	if err == nil || !strings.Contains(err.Error(), "in use by another sweep") {
		t.Errorf("second sweep on a busy directory: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestSweepBadOptions(t *testing.T) {
	cells := sweepGrid(t)
	if _, err := Sweep(context.Background(), cells, nil, Options{Dir: t.TempDir()}); err == nil {
		t.Error("nil RunFunc: no error")
	}
	if _, err := Sweep(context.Background(), cells, fakeRun, Options{}); err == nil {
		t.Error("no directory: no error")
	}
	if _, err := Sweep(context.Background(), cells, fakeRun, Options{Dir: t.TempDir(), Shard: Shard{3, 2}}); err == nil {
		t.Error("bad shard: no error")
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, ResultsFile), []byte("{\"id\":\"x\"}\nnot json\n"), 0o644)
	_, err := Sweep(context.Background(), cells, fakeRun, Options{Dir: dir})
	if err == nil || !strings.Contains(err.Error(), ResultsFile+":1") {
		t.Errorf("corrupt results file: %v, want an error naming line 1", err)
	}
}

func TestWriteSpecRefusesOtherRunnerSettings(t *testing.T) {
	dir := t.TempDir()
	spec := Spec{Cases: []int{3}, Hooks: []string{"mlp"}, Archs: []string{"topk"}, K: []int{2}}
	a := SweepInfo{Spec: spec, Shard: "0/1", Runner: RunnerOptions{}.WithDefaults()}
	if err := WriteSpec(dir, a); err != nil {
		t.Fatal(err)
	}
	b := a
	b.Spec.K = []int{2, 4} // a bigger grid in the same directory is fine
	if err := WriteSpec(dir, b); err != nil {
		t.Errorf("changed spec: %v", err)
	}
	c := a
	c.Runner.LR = 1e-3
	if err := WriteSpec(dir, c); err == nil || !strings.Contains(err.Error(), "use a new output directory") {
		t.Errorf("changed runner settings: %v", err)
	}
	data, _ := os.ReadFile(filepath.Join(dir, SpecFile))
	if !strings.Contains(string(data), `"train_batch_size_tokens": 80`) || !strings.Contains(string(data), `"k": [`) {
		t.Errorf("spec.json:\n%s", data)
	}
}

func TestSweepRunsExpensiveCellsFirst(t *testing.T) {
	cells, _ := Expand(Spec{Cases: []int{3}, Hooks: []string{"blocks.0.hook_mlp_out"}, Archs: []string{"topk"}, K: []int{1, 8, 2, 4}}, layersOf)
	var mu sync.Mutex
	var order []int
	run := func(ctx context.Context, c Cell) (map[string]float64, error) {
		mu.Lock()
		order = append(order, c.K())
		mu.Unlock()
		return fakeRun(ctx, c)
	}
	cost := func(c Cell) float64 { return c.Value }
	if _, err := Sweep(context.Background(), cells, run, Options{Dir: t.TempDir(), Jobs: 1, Cost: cost}); err != nil {
		t.Fatal(err)
	}
	if want := []int{8, 4, 2, 1}; !reflect.DeepEqual(order, want) {
		t.Errorf("run order %v, want %v (most expensive first)", order, want)
	}
}
