package bench

import (
	"reflect"
	"strings"
	"testing"
)

func testGrid(t *testing.T) []Cell {
	t.Helper()
	cells, err := Expand(Spec{
		Cases: []int{2, 3, 4, 7, 13}, Hooks: []string{"residual", "mlp"}, Archs: []string{"standard", "gated", "topk"},
		L1: []float64{0.01, 0.1, 1}, K: []int{2, 8}, Seeds: []int64{42}, TrainingTokens: 1000,
	}, layersOf)
	if err != nil {
		t.Fatal(err)
	}
	return cells
}

func TestShardDisjointAndCovering(t *testing.T) {
	cells := testGrid(t)
	for n := 1; n <= 9; n++ {
		seen := map[string]int{}
		min, max := len(cells), 0
		for i := 0; i < n; i++ {
			part := Shard{Index: i, Count: n}.Select(cells)
			if len(part) < min {
				min = len(part)
			}
			if len(part) > max {
				max = len(part)
			}
			for _, c := range part {
				seen[c.ID()]++
			}
			// Deterministic: selecting again gives the same cells.
			if again := (Shard{Index: i, Count: n}).Select(cells); !reflect.DeepEqual(part, again) {
				t.Errorf("shard %d/%d not deterministic", i, n)
			}
		}
		if len(seen) != len(cells) {
			t.Errorf("n=%d: shards cover %d of %d cells", n, len(seen), len(cells))
		}
		for id, k := range seen {
			if k != 1 {
				t.Errorf("n=%d: cell %s in %d shards", n, id, k)
			}
		}
		if max-min > 1 {
			t.Errorf("n=%d: shard sizes %d..%d differ by more than one", n, min, max)
		}
	}
}

func TestParseShard(t *testing.T) {
	tests := []struct {
		in   string
		want Shard
		err  string
	}{
		{"0/4", Shard{0, 4}, ""},
		{" 3 / 4 ", Shard{3, 4}, ""},
		{"0/1", Shard{0, 1}, ""},
		{"4/4", Shard{}, "expected 0 <= index < count"},
		{"-1/4", Shard{}, "expected 0 <= index < count"},
		{"1/0", Shard{}, "count must be at least 1"},
		{"1", Shard{}, "expected i/n"},
		{"a/b", Shard{}, "expected two integers"},
	}
	for _, tc := range tests {
		got, err := ParseShard(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseShard(%q): error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseShard(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

// TestShardFromEnv: the shard count is the one the user declared
// (--shards, or GLASSBOX_SHARD_COUNT), never the size of the array that
// runs this task, so a resubmitted index (sbatch --array=1, seen as a
// 1-task array) resumes its own shard and --array=0,2 works (issue 15, 21).
func TestShardFromEnv(t *testing.T) {
	tests := []struct {
		env    map[string]string
		shards int
		want   Shard
		found  bool
		err    string
	}{
		{map[string]string{}, 0, Shard{}, false, ""},
		{map[string]string{}, 4, Shard{}, false, ""},
		{map[string]string{EnvSlurmTaskID: "1", EnvSlurmTaskCount: "2", EnvSlurmTaskMin: "0", EnvSlurmTaskMax: "1"}, 2, Shard{1, 2}, true, ""},
		// resubmitting index 1 alone: a 1-task array whose min is 1
		{map[string]string{EnvSlurmTaskID: "1", EnvSlurmTaskCount: "1", EnvSlurmTaskMin: "1", EnvSlurmTaskMax: "1"}, 2, Shard{1, 2}, true, ""},
		// --array=0,2 of a 3-shard grid
		{map[string]string{EnvSlurmTaskID: "2", EnvSlurmTaskCount: "2", EnvSlurmTaskMin: "0", EnvSlurmTaskMax: "2"}, 3, Shard{2, 3}, true, ""},
		{map[string]string{EnvSlurmTaskID: "2", EnvShardCount: "5"}, 0, Shard{2, 5}, true, ""},
		{map[string]string{EnvSlurmTaskID: "2", EnvSlurmTaskCount: "5"}, 0, Shard{}, true, "--shards N"},
		{map[string]string{EnvSlurmTaskID: "5", EnvSlurmTaskCount: "5"}, 5, Shard{}, true, "--array=0-4"},
		{map[string]string{EnvK8sIndex: "0", EnvShardCount: "3"}, 0, Shard{0, 3}, true, ""},
		{map[string]string{EnvK8sIndex: "0"}, 3, Shard{0, 3}, true, ""},
		{map[string]string{EnvK8sIndex: "1"}, 0, Shard{}, true, "GLASSBOX_SHARD_COUNT"},
		{map[string]string{EnvK8sIndex: "x", EnvShardCount: "3"}, 0, Shard{}, true, `JOB_COMPLETION_INDEX="x": expected an integer`},
	}
	for i, tc := range tests {
		got, found, err := ShardFromEnv(func(k string) string { return tc.env[k] }, tc.shards)
		if found != tc.found {
			t.Errorf("%d: found = %v, want %v", i, found, tc.found)
		}
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%d: error %v, want %q", i, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%d: got %v, %v; want %v", i, got, err, tc.want)
		}
	}
}

func TestParseLists(t *testing.T) {
	ints, err := ParseIntList("3, 4,10-12")
	if err != nil || !reflect.DeepEqual(ints, []int{3, 4, 10, 11, 12}) {
		t.Errorf("ParseIntList = %v, %v", ints, err)
	}
	fl, err := ParseFloatList("0.01,0.1,1")
	if err != nil || !reflect.DeepEqual(fl, []float64{0.01, 0.1, 1}) {
		t.Errorf("ParseFloatList = %v, %v", fl, err)
	}
	seeds, err := ParseInt64List("42,-1")
	if err != nil || !reflect.DeepEqual(seeds, []int64{42, -1}) {
		t.Errorf("ParseInt64List = %v, %v", seeds, err)
	}
	for _, bad := range []string{"", "3,x", "5-2", "1-"} {
		if _, err := ParseIntList(bad); err == nil {
			t.Errorf("ParseIntList(%q): no error", bad)
		}
	}
	for _, bad := range []string{"", "0.1,inf", "NaN", "abc"} {
		if _, err := ParseFloatList(bad); err == nil {
			t.Errorf("ParseFloatList(%q): no error", bad)
		}
	}
}
