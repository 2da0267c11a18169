//go:build amd64 && !noasm

package grad

import "golang.org/x/sys/cpu"

// useAVX2 selects the AVX2+FMA kernel when the CPU has it (the pure-Go twin
// otherwise). Build with -tags noasm for the pure-Go kernel everywhere.
var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// sgemmColAVX2 is sgemm for one block of 8 columns: c, b point at the
// block's first column; rows go four at a time, then one at a time.
//
//go:noescape
func sgemmColAVX2(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int)

// sgemmCol2AVX2 is sgemmColAVX2 for a block of 16 columns.
//
//go:noescape
func sgemmCol2AVX2(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int)
