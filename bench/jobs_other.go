//go:build !linux

package bench

// affinityCPUs is unknown off Linux: GOMAXPROCS alone decides.
func affinityCPUs() int { return 0 }
