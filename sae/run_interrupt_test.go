package sae

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// afterChecks is a context whose Err turns non-nil on its n-th call: Run
// polls it every 32 steps, so a test can stop a run at a known step.
type afterChecks struct {
	context.Context
	n int
}

func (c *afterChecks) Err() error {
	if c.n--; c.n < 0 {
		return context.Canceled
	}
	return nil
}

func (c *afterChecks) Done() <-chan struct{}       { return nil }
func (c *afterChecks) Deadline() (time.Time, bool) { return time.Time{}, false }

// TestInterruptWritesCheckpointAndResumes: Ctrl-C (the Context ending)
// before the first regular checkpoint writes one at the current step, and
// resuming from it finishes with the weights and metrics.jsonl of an
// uninterrupted run (issue 15, item 6).
func TestInterruptWritesCheckpointAndResumes(t *testing.T) {
	data := sparseData(300, 8, 10, 5)
	cfg := smallConfig(ArchStandard)
	cfg.TrainingTokens = 64 * 300
	r, err := cfg.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	full := filepath.Join(t.TempDir(), "full")
	tr, err := NewTrainer(r, newCycleSource(data, 8, 1))
	if err != nil {
		t.Fatal(err)
	}
	tr.RunDir = full
	if err := tr.Run(); err != nil {
		t.Fatal(err)
	}
	part := filepath.Join(t.TempDir(), "part")
	tr2, err := NewTrainer(r, newCycleSource(data, 8, 1))
	if err != nil {
		t.Fatal(err)
	}
	tr2.RunDir = part
	tr2.Context = &afterChecks{Context: context.Background(), n: 2} // stop at step 64
	if len(tr2.thresholds) == 0 || tr2.thresholds[0] <= 64*64 {
		t.Fatalf("the first regular checkpoint (%v) must come after step 64 for this test", tr2.thresholds)
	}
	err = tr2.Run()
	if !errors.Is(err, ErrInterrupted) || !strings.Contains(err.Error(), "checkpoint") {
		t.Fatalf("interrupted run: %v, want ErrInterrupted naming its checkpoint", err)
	}
	if ck, _ := LatestCheckpoint(part); ck == "" {
		t.Fatal("no checkpoint written on interrupt")
	}
	os.MkdirAll(filepath.Join(part, CheckpointsDir, ".tmp-999"), 0o755) // a killed writer's leftover
	tr3, err := Resume(part, newCycleSource(data, 8, 1))
	if err != nil {
		t.Fatal(err)
	}
	if tr3.StepN != 64 {
		t.Fatalf("resumed at step %d, want 64", tr3.StepN)
	}
	if err := tr3.Run(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(part, CheckpointsDir, ".tmp-999")); !os.IsNotExist(err) {
		t.Error("a .tmp- leftover survived the resumed run")
	}
	a, _ := Load(filepath.Join(full, FinalDir))
	b, err := Load(filepath.Join(part, FinalDir))
	if err != nil {
		t.Fatal(err)
	}
	for k, p := range a.params() {
		q := b.params()[k]
		for i := range p {
			if p[i] != q[i] {
				t.Fatalf("param %s[%d]: resumed %v, uninterrupted %v", a.paramNames()[k], i, q[i], p[i])
			}
		}
	}
	ma, _ := os.ReadFile(filepath.Join(full, MetricsFile))
	mb, _ := os.ReadFile(filepath.Join(part, MetricsFile))
	if string(ma) != string(mb) {
		t.Errorf("metrics.jsonl differ after the interrupted run resumed (%d vs %d bytes)", len(ma), len(mb))
	}
}

// TestResumeWithoutCheckpointRestarts: a run killed before any checkpoint
// (config.json and part of metrics.jsonl only) resumes from its config and
// ends as an uninterrupted run does.
func TestResumeWithoutCheckpointRestarts(t *testing.T) {
	data := sparseData(200, 8, 10, 2)
	cfg := smallConfig(ArchStandard)
	cfg.TrainingTokens = 64 * 50
	r, err := cfg.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "run")
	if err := os.MkdirAll(filepath.Join(dir, CheckpointsDir), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteRunConfig(dir, r.Config); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, MetricsFile), []byte(`{"step":9,"losses/mse_loss":1}`+"\n{\"step\":19,"), 0o644); err != nil {
		t.Fatal(err)
	}
	tr, err := Resume(dir, newCycleSource(data, 8, 1))
	if err != nil {
		t.Fatalf("resume without a checkpoint: %v", err)
	}
	if tr.StepN != 0 {
		t.Fatalf("restarted at step %d, want 0", tr.StepN)
	}
	if err := tr.Run(); err != nil {
		t.Fatal(err)
	}
	recs, err := ReadMetrics(filepath.Join(dir, MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(tr.Metrics()) || (len(recs) > 0 && recs[0].Step == 9 && recs[0].Values["losses/mse_loss"] == 1) {
		t.Errorf("metrics.jsonl kept the killed run's lines: %d records, trainer logged %d", len(recs), len(tr.Metrics()))
	}
}

// TestMetricsAppendedLive: metrics.jsonl grows while the run trains (one
// line per logged record), not only at checkpoints (issue 15, item 7).
func TestMetricsAppendedLive(t *testing.T) {
	data := sparseData(200, 8, 10, 2)
	cfg := smallConfig(ArchStandard)
	cfg.TrainingTokens = 64 * 400
	cfg.NCheckpoints = 0
	r, err := cfg.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "run")
	tr, err := NewTrainer(r, newCycleSource(data, 8, 1))
	if err != nil {
		t.Fatal(err)
	}
	tr.RunDir = dir
	checked := 0
	tr.OnProgress = func(p Progress) {
		if p.Final || p.Stopped {
			return
		}
		recs, err := ReadMetrics(filepath.Join(dir, MetricsFile))
		if err != nil {
			t.Errorf("read while training: %v", err)
			return
		}
		if len(recs) != len(tr.Metrics()) || len(recs) == 0 {
			t.Errorf("step %d: metrics.jsonl has %d records, the trainer logged %d", tr.StepN, len(recs), len(tr.Metrics()))
		}
		checked++
	}
	if err := tr.Run(); err != nil {
		t.Fatal(err)
	}
	if checked == 0 {
		t.Fatal("no progress callback during the run")
	}
}
