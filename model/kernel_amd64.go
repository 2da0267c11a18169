//go:build amd64 && !noasm

package model

import "golang.org/x/sys/cpu"

// useAVX2 selects the AVX2+FMA tile kernel when the CPU has it (portable Go
// otherwise). Build with -tags noasm for the portable kernel everywhere.
var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// dgemm4x8AVX2 sets c[r*8+j] = Σ_{k<n} x[r*ldx+k]·w[k*8+j] for r < 4,
// j < 8, one fused multiply-add per k in increasing k.
//
//go:noescape
func dgemm4x8AVX2(c *[32]float64, x, w *float64, n, ldx int)
