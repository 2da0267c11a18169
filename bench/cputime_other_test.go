//go:build !unix

package bench

import "time"

// cpuTime is unknown off unix: tokens/cpu-s is then not reported.
func cpuTime() time.Duration { return 0 }
