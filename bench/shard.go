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
	EnvSlurmTaskID    = "SLURM_ARRAY_TASK_ID"    // Slurm array index (use --array=0-(n-1))
	EnvSlurmTaskCount = "SLURM_ARRAY_TASK_COUNT" // Slurm array size
	EnvSlurmTaskMin   = "SLURM_ARRAY_TASK_MIN"   // Slurm's lowest array index (subtracted)
	EnvK8sIndex       = "JOB_COMPLETION_INDEX"   // Kubernetes indexed Job
	EnvShardCount     = "GLASSBOX_SHARD_COUNT"   // shard count for an indexed Job (its .spec.completions)
)

// ShardFromEnv builds a shard from a scheduler's environment, using
// getenv (os.Getenv when nil). Slurm: SLURM_ARRAY_TASK_ID minus
// SLURM_ARRAY_TASK_MIN (so --array=1-n works too) out of
// SLURM_ARRAY_TASK_COUNT. Kubernetes indexed Job: JOB_COMPLETION_INDEX out of
// GLASSBOX_SHARD_COUNT (Kubernetes does not export the completion count, so
// set it in the pod template). found is false when neither is set.
func ShardFromEnv(getenv func(string) string) (s Shard, found bool, err error) {
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
	var idx, cnt int
	switch {
	case getenv(EnvSlurmTaskID) != "":
		if idx, err = num(EnvSlurmTaskID); err != nil {
			return Shard{}, true, err
		}
		if getenv(EnvSlurmTaskMin) != "" {
			min, err := num(EnvSlurmTaskMin)
			if err != nil {
				return Shard{}, true, err
			}
			idx -= min
		}
		if getenv(EnvSlurmTaskCount) == "" {
			return Shard{}, true, fmt.Errorf("environment %s is set but %s is not", EnvSlurmTaskID, EnvSlurmTaskCount)
		}
		if cnt, err = num(EnvSlurmTaskCount); err != nil {
			return Shard{}, true, err
		}
	case getenv(EnvK8sIndex) != "":
		if idx, err = num(EnvK8sIndex); err != nil {
			return Shard{}, true, err
		}
		if getenv(EnvShardCount) == "" {
			return Shard{}, true, fmt.Errorf("environment %s is set but %s (the Job's completions) is not", EnvK8sIndex, EnvShardCount)
		}
		if cnt, err = num(EnvShardCount); err != nil {
			return Shard{}, true, err
		}
	default:
		return Shard{}, false, nil
	}
	s = Shard{Index: idx, Count: cnt}
	if cnt < 1 {
		return Shard{}, true, fmt.Errorf("shard from environment %d/%d: count must be at least 1", idx, cnt)
	}
	return s, true, s.Validate()
}
