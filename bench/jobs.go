package bench

import (
	"os"
	"runtime"
	"strconv"
	"strings"
)

// EnvSlurmCPUs is the CPUs Slurm gives each task (--cpus-per-task).
const EnvSlurmCPUs = "SLURM_CPUS_PER_TASK"

// DefaultJobs returns the number of cells to run at once when --jobs is
// not given: the CPUs this process may use, the least of GOMAXPROCS, the
// CPUs in its affinity mask (taskset, cgroup cpusets; Linux) and
// SLURM_CPUS_PER_TASK when set (read with getenv, os.Getenv when nil), so
// that a --cpus-per-task=1 array task runs one cell, not one per core of
// the node. It is at least 1.
func DefaultJobs(getenv func(string) string) int {
	if getenv == nil {
		getenv = os.Getenv
	}
	n := runtime.GOMAXPROCS(0)
	if a := affinityCPUs(); a > 0 && a < n {
		n = a
	}
	if v := strings.TrimSpace(getenv(EnvSlurmCPUs)); v != "" {
		if c, err := strconv.Atoi(v); err == nil && c > 0 && c < n {
			n = c
		}
	}
	if n < 1 {
		n = 1
	}
	return n
}
