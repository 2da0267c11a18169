//go:build linux

package bench

import "golang.org/x/sys/unix"

// affinityCPUs returns the CPUs in this process's affinity mask (0 if it
// cannot be read).
func affinityCPUs() int {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return 0
	}
	return set.Count()
}
