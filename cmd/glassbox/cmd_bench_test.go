package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glassbox-interp/glassbox/bench"
)

// runBenchCLI runs the CLI with args and returns stdout and the error.
func runBenchCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	rootCmd.SetOut(&out)
	rootCmd.SetErr(&errOut)
	rootCmd.SetArgs(args)
	defer rootCmd.SetArgs(nil)
	err := rootCmd.Execute()
	return out.String(), err
}

func TestBenchMergeAndLeaderboardCommands(t *testing.T) {
	cells, err := bench.Expand(bench.Spec{
		Cases: []int{3, 4}, Hooks: []string{"residual"}, Archs: []string{"standard", "topk"},
		L1: []float64{0.1, 1}, K: []int{4},
	}, func(int) ([]string, error) { return bench.StandardHooks(1), nil })
	if err != nil {
		t.Fatal(err)
	}
	// A runner with known metrics: coverage 0.5 for standard, 0.8 for topk.
	run := func(ctx context.Context, c bench.Cell) (map[string]float64, error) {
		cov := 0.5
		if c.Arch == "topk" {
			cov = 0.8
		}
		return map[string]float64{bench.MetricCoverage: cov, bench.MetricL0: 3}, nil
	}
	out := t.TempDir()
	for i := 0; i < 2; i++ {
		s := bench.Shard{Index: i, Count: 2}
		if _, err := bench.Sweep(context.Background(), cells, run, bench.Options{Dir: bench.ShardDir(out, s), Shard: s}); err != nil {
			t.Fatal(err)
		}
	}
	merged := filepath.Join(t.TempDir(), "merged")
	stdout, err := runBenchCLI(t, "bench", "merge", merged+"/", out)
	if err != nil {
		t.Fatal(err)
	}
	if want := "merged 2 files: 12 lines → 12 cells (12 ok, 0 failed)"; !strings.Contains(stdout, want) {
		t.Errorf("merge output %q lacks %q", stdout, want)
	}
	stdout, err = runBenchCLI(t, "bench", "leaderboard", merged)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| 1 | topk | 0.800 |", "| 2 | standard | 0.500 |"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("leaderboard output lacks %q:\n%s", want, stdout)
		}
	}
	for _, f := range []string{bench.LeaderboardMarkdown, bench.LeaderboardHTML, bench.FrontierPlot} {
		if _, err := os.Stat(filepath.Join(merged, f)); err != nil {
			t.Error(err)
		}
	}
	if _, err := runBenchCLI(t, "bench", "merge", merged); err == nil {
		t.Error("merge with no input: no error")
	}
	if _, err := runBenchCLI(t, "bench", "leaderboard", filepath.Join(out, "nope")); err == nil {
		t.Error("leaderboard of a missing directory: no error")
	}
	if _, err := runBenchCLI(t, "bench", "--shard", "2/2"); err == nil || !strings.Contains(err.Error(), "0-based") {
		t.Errorf("bad shard: %v", err)
	}
}

// TestBenchLeaderboardBesideResultsFile: "bench leaderboard DIR/x.jsonl"
// writes its files into DIR, not into the working directory (issue 15, 15).
func TestBenchLeaderboardBesideResultsFile(t *testing.T) {
	cells, err := bench.Expand(bench.Spec{Cases: []int{3}, Hooks: []string{"residual"}, Archs: []string{"topk"}, K: []int{4}},
		func(int) ([]string, error) { return bench.StandardHooks(1), nil })
	if err != nil {
		t.Fatal(err)
	}
	run := func(ctx context.Context, c bench.Cell) (map[string]float64, error) {
		return map[string]float64{bench.MetricCoverage: 0.5, bench.MetricL0: 3}, nil
	}
	in := t.TempDir()
	if _, err := bench.Sweep(context.Background(), cells, run, bench.Options{Dir: in}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "all.jsonl")
	if _, err := runBenchCLI(t, "bench", "merge", file, in); err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	if _, err := runBenchCLI(t, "bench", "leaderboard", file); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, bench.LeaderboardMarkdown)); err != nil {
		t.Errorf("leaderboard not beside the results file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(wd, bench.LeaderboardMarkdown)); err == nil {
		os.Remove(filepath.Join(wd, bench.LeaderboardMarkdown))
		t.Error("leaderboard written into the working directory")
	}
}
