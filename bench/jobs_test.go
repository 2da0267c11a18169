package bench

import (
	"runtime"
	"testing"
)

// TestDefaultJobsHonoursSlurm: inside a --cpus-per-task=1 task the default
// is one job, not GOMAXPROCS (issue 15, 22); a larger or bad value does
// not raise it past the CPUs the process has.
func TestDefaultJobsHonoursSlurm(t *testing.T) {
	max := DefaultJobs(func(string) string { return "" })
	if max < 1 || max > runtime.GOMAXPROCS(0) {
		t.Fatalf("DefaultJobs() = %d with GOMAXPROCS %d", max, runtime.GOMAXPROCS(0))
	}
	for _, tc := range []struct {
		cpus string
		want int
	}{
		{"1", 1},
		{"1000", max},
		{"0", max},
		{"x", max},
	} {
		got := DefaultJobs(func(k string) string {
			if k == EnvSlurmCPUs {
				return tc.cpus
			}
			return ""
		})
		if got != tc.want {
			t.Errorf("SLURM_CPUS_PER_TASK=%s: %d jobs, want %d", tc.cpus, got, tc.want)
		}
	}
}
