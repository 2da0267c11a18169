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

// sgemmColBiasAVX2 is sgemmColAVX2 starting every row of C from bias.
//
//go:noescape
func sgemmColBiasAVX2(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, bias *float32)

// sgemmCol2BiasAVX2 is sgemmColBiasAVX2 for a block of 16 columns.
//
//go:noescape
func sgemmCol2BiasAVX2(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, bias *float32)

// sgemmColXBiasAVX2 is sgemmColAVX2 starting row r of C from x's row r
// (row stride ldc) plus bias.
//
//go:noescape
func sgemmColXBiasAVX2(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, x, bias *float32)

// sgemmCol2XBiasAVX2 is sgemmColXBiasAVX2 for a block of 16 columns.
//
//go:noescape
func sgemmCol2XBiasAVX2(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, x, bias *float32)

// sgemm6Col2AVX2 is sgemmCol2AVX2 for a row count m that is a multiple of
// 6, six rows of C at a time (12 accumulators); bit-identical to it.
//
//go:noescape
func sgemm6Col2AVX2(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int)

// sgemm6Col2BiasAVX2 is sgemmCol2BiasAVX2 six rows at a time (m a
// multiple of 6).
//
//go:noescape
func sgemm6Col2BiasAVX2(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, bias *float32)

// sgemm6Col2XBiasAVX2 is sgemmCol2XBiasAVX2 six rows at a time (m a
// multiple of 6).
//
//go:noescape
func sgemm6Col2XBiasAVX2(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, x, bias *float32)

// sgemm4Col3AVX2 is sgemmColAVX2 for a block of 24 columns and a row count
// m that is a multiple of 4, four rows of C at a time (12 accumulators);
// bit-identical to it.
//
//go:noescape
func sgemm4Col3AVX2(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int)

// sgemm4Col3BiasAVX2 is sgemm4Col3AVX2 starting every row of C from bias.
//
//go:noescape
func sgemm4Col3BiasAVX2(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, bias *float32)

// sgemm4Col3XBiasAVX2 is sgemm4Col3AVX2 starting row r of C from x's row r
// (row stride ldc) plus bias.
//
//go:noescape
func sgemm4Col3XBiasAVX2(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, x, bias *float32)

// pack6AVX2 sets dst[6*i+q] = a[i*sak+q] for i < k, q < 6: one six-row
// panel of packPanels.
//
//go:noescape
func pack6AVX2(dst, a *float32, sak, k int)
