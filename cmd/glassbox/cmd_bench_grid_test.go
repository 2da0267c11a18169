package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// runFreshBench runs the CLI with the bench flags reset to their defaults
// and returns stdout, stderr and the error.
func runFreshBench(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	benchCmd.Flags().VisitAll(func(f *pflag.Flag) {
		f.Value.Set(f.DefValue)
		f.Changed = false
	})
	var out, errOut bytes.Buffer
	rootCmd.SetOut(&out)
	rootCmd.SetErr(&errOut)
	rootCmd.SetArgs(args)
	defer rootCmd.SetArgs(nil)
	err := rootCmd.Execute()
	return out.String(), errOut.String(), err
}

// TestBenchRefusesInvalidGrid: a grid none of whose cells can run is an
// error before anything runs, not a sweep of recorded failures that exits
// 0 (issue 15, 14); a partly invalid grid warns.
func TestBenchRefusesInvalidGrid(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--cases", "999"}, "no cell of the grid can run"},
		{[]string{"--cases", "3", "--hooks", "residdual"}, `"residdual" is not a hook of the model`},
	} {
		out := filepath.Join(t.TempDir(), "b")
		args := append([]string{"bench", "--archs", "topk", "--k", "2", "--out", out}, tc.args...)
		_, _, err := runFreshBench(t, args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want %q", tc.args, err, tc.want)
		}
		if _, statErr := os.Stat(filepath.Join(out, "results.jsonl")); statErr == nil {
			t.Errorf("%v: the sweep ran", tc.args)
		}
	}
	_, stderr, err := runFreshBench(t, "bench", "--cases", "3,999", "--archs", "topk", "--k", "2", "--dry-run")
	if err != nil || !strings.Contains(stderr, "2 of 4 cells cannot run") {
		t.Errorf("partly invalid grid: %v, stderr %q", err, stderr)
	}
}

// TestBenchShardsFromArrayIndex: with --shards the array index alone
// picks the shard, whatever the size of the array that runs it, so a
// resubmitted index resumes its shard (issue 15, 21).
func TestBenchShardsFromArrayIndex(t *testing.T) {
	t.Setenv("SLURM_ARRAY_TASK_ID", "1")
	t.Setenv("SLURM_ARRAY_TASK_COUNT", "1") // sbatch --array=1: a 1-task array
	t.Setenv("SLURM_ARRAY_TASK_MIN", "1")
	t.Setenv("SLURM_ARRAY_TASK_MAX", "1")
	_, stderr, err := runFreshBench(t, "bench", "--cases", "3", "--archs", "topk", "--k", "2,4", "--shards", "2", "--dry-run")
	if err != nil || !strings.Contains(stderr, "in shard 1/2") {
		t.Errorf("resubmitted index 1 of 2: %v, stderr %q", err, stderr)
	}
	_, _, err = runFreshBench(t, "bench", "--cases", "3", "--archs", "topk", "--k", "2", "--dry-run")
	if err == nil || !strings.Contains(err.Error(), "--shards N") {
		t.Errorf("array task without --shards: %v", err)
	}
}

// TestBenchDefaultHooksSkipEmptyMLP: the repro, case 3 with the
// default hooks, picks the MLP that computes something (blocks.0), not the
// empty last one (issue 15, 1).
func TestBenchDefaultHooksSkipEmptyMLP(t *testing.T) {
	out, _, err := runFreshBench(t, "bench", "--cases", "3", "--archs", "standard", "--l1", "0.1", "--dry-run")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "hook=blocks.0.hook_mlp_out") || strings.Contains(out, "hook=blocks.1.hook_mlp_out") {
		t.Errorf("case 3 default cells:\n%s", out)
	}
}

// TestBenchCaseWithoutComputingMLP: case 24 has no MLP that computes
// anything: the default grid gives it residual cells only, with a note,
// and an mlp-only grid on it is an error, not a sweep of failures.
func TestBenchCaseWithoutComputingMLP(t *testing.T) {
	out, stderr, err := runFreshBench(t, "bench", "--cases", "24", "--archs", "topk", "--k", "2", "--dry-run")
	if err != nil || strings.Count(out, "\n") != 1 || strings.Contains(out, "fails") || !strings.Contains(stderr, `case 24: hook selector "mlp:last"`) {
		t.Errorf("case 24 default grid: %v\nstdout %s\nstderr %s", err, out, stderr)
	}
	_, _, err = runFreshBench(t, "bench", "--cases", "24", "--hooks", "mlp:last", "--archs", "topk", "--k", "2", "--dry-run")
	if err == nil || !strings.Contains(err.Error(), "no cells") {
		t.Errorf("case 24 mlp-only grid: %v", err)
	}
}
