package bench

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Shard selects part of a grid: the cells at positions p with
// p % Count == Index. Index is 0-based. The zero Shard means "everything".
type Shard struct {
	Index int
	Count int
}

// String prints the shard as "i/n" ("0/1" for the zero shard).
func (s Shard) String() string {
	if s.Count == 0 {
		return "0/1"
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

// Whole reports whether the shard selects the whole grid.
func (s Shard) Whole() bool { return s.Count <= 1 }

// Validate checks 0 <= Index < Count (the zero Shard is valid).
func (s Shard) Validate() error {
	if s.Count == 0 && s.Index == 0 {
		return nil
	}
	if s.Count < 1 || s.Index < 0 || s.Index >= s.Count {
		return fmt.Errorf("shard %d/%d: expected 0 <= index < count (index is 0-based)", s.Index, s.Count)
	}
	return nil
}

// Select returns the cells of this shard, keeping their order.
func (s Shard) Select(cells []Cell) []Cell {
	if s.Whole() {
		return cells
	}
	var out []Cell
	for p, c := range cells {
		if p%s.Count == s.Index {
			out = append(out, c)
		}
	}
	return out
}

// ParseShard parses "i/n" with a 0-based index i, e.g. "0/4" … "3/4".
func ParseShard(text string) (Shard, error) {
	i, n, ok := strings.Cut(strings.TrimSpace(text), "/")
	if !ok {
		return Shard{}, fmt.Errorf("shard %q: expected i/n, e.g. 0/4 (0-based index)", text)
	}
	idx, err1 := strconv.Atoi(strings.TrimSpace(i))
	cnt, err2 := strconv.Atoi(strings.TrimSpace(n))
	if err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("shard %q: expected two integers i/n, e.g. 0/4", text)
	}
	s := Shard{Index: idx, Count: cnt}
	if cnt == 0 {
		return Shard{}, fmt.Errorf("shard %q: count must be at least 1", text)
	}
	if err := s.Validate(); err != nil {
		return Shard{}, err
	}
	return s, nil
}

// Environment variables ShardFromEnv reads.
const (
	EnvSlurmTaskID    = "SLURM_ARRAY_TASK_ID"    // Slurm array index: the shard index (use --array=0-(n-1))
	EnvSlurmTaskCount = "SLURM_ARRAY_TASK_COUNT" // Slurm array size (not used for the shard count: a resubmission changes it)
	EnvSlurmTaskMin   = "SLURM_ARRAY_TASK_MIN"   // Slurm's lowest array index (likewise)
	EnvSlurmTaskMax   = "SLURM_ARRAY_TASK_MAX"   // Slurm's highest array index (likewise)
	EnvK8sIndex       = "JOB_COMPLETION_INDEX"   // Kubernetes indexed Job
	EnvShardCount     = "GLASSBOX_SHARD_COUNT"   // the shard count, when --shards is not given
)

// ShardFromEnv builds a shard from a scheduler's environment, using
// getenv (os.Getenv when nil). The index is SLURM_ARRAY_TASK_ID (Slurm) or
// JOB_COMPLETION_INDEX (Kubernetes indexed Job), 0-based. The count is the
// one the user declared, shards (--shards N) or else GLASSBOX_SHARD_COUNT,
// never the size of the array running this task: resubmitting one index
// (sbatch --array=3) makes a 1-task array, and it must still run shard
// 3/N into OUT/shard-3-of-N/, resuming it. Any subset of the indices may
// run (--array=0,2). found is false when no index variable is set.
func ShardFromEnv(getenv func(string) string, shards int) (s Shard, found bool, err error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	num := func(name string) (int, error) {
		v := strings.TrimSpace(getenv(name))
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, fmt.Errorf("environment %s=%q: expected an integer", name, v)
		}
		return n, nil
	}
	var idxVar string
	switch {
	case getenv(EnvSlurmTaskID) != "":
		idxVar = EnvSlurmTaskID
	case getenv(EnvK8sIndex) != "":
		idxVar = EnvK8sIndex
	default:
		return Shard{}, false, nil
	}
	idx, err := num(idxVar)
	if err != nil {
		return Shard{}, true, err
	}
	cnt := shards
	if cnt <= 0 {
		if getenv(EnvShardCount) == "" {
			if idxVar == EnvSlurmTaskID {
				return Shard{}, true, fmt.Errorf("environment %s is set: give --shards N, the number of shards of the whole grid (submit --array=0-(N-1)), or set %s; "+
					"the array's own size is not used, since resubmitting one index makes a 1-task array", EnvSlurmTaskID, EnvShardCount)
			}
			return Shard{}, true, fmt.Errorf("environment %s is set but neither --shards nor %s (the Job's completions) is", EnvK8sIndex, EnvShardCount)
		}
		if cnt, err = num(EnvShardCount); err != nil {
			return Shard{}, true, err
		}
	}
	if cnt < 1 {
		return Shard{}, true, fmt.Errorf("shard count %d: expected at least 1", cnt)
	}
	s = Shard{Index: idx, Count: cnt}
	if idx < 0 || idx >= cnt {
		return Shard{}, true, fmt.Errorf("environment %s=%d is not a shard of %d (0-based: submit --array=0-%d, or a subset of those indices)", idxVar, idx, cnt, cnt-1)
	}
	return s, true, nil
}
