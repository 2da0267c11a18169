//go:build amd64 && !noasm

package grad

import "golang.org/x/sys/cpu"

// hasAVX512 reports whether the CPU (and OS) run the AVX-512 product
// kernels; useAVX512 selects them (tests turn it off to compare the AVX2
// path bit for bit).
var (
	hasAVX512 = useAVX2 && cpu.X86.HasAVX512F
	useAVX512 = hasAVX512
)

// The AVX-512 kernels below each take a block of w zmm columns (w in the
// name, 16·w floats) whose last zmm holds the columns set in mask, and
// accumulate C += A·B over k (k ≥ 1) for m rows with sgemm's strides:
// C's contents, the bias row (…Bias…) or x's row plus the bias row
// (…XBias…, x with C's row stride) as the starting value. Each output
// element is the same chain of fused multiply-adds in increasing i as in
// the AVX2 kernels.

// sgemmZ1AVX512 is the product for a block of one zmm column.
//
//go:noescape
func sgemmZ1AVX512(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, mask uint16)

// sgemmZ2AVX512 is the product for a block of two zmm columns.
//
//go:noescape
func sgemmZ2AVX512(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, mask uint16)

// sgemmZ3AVX512 is the product for a block of three zmm columns.
//
//go:noescape
func sgemmZ3AVX512(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, mask uint16)

// sgemmZ4AVX512 is the product for a block of four zmm columns.
//
//go:noescape
func sgemmZ4AVX512(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, mask uint16)

// sgemmZ1BiasAVX512 is sgemmZ1AVX512 starting every row of C from bias.
//
//go:noescape
func sgemmZ1BiasAVX512(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, mask uint16, bias *float32)

// sgemmZ2BiasAVX512 is sgemmZ2AVX512 starting every row of C from bias.
//
//go:noescape
func sgemmZ2BiasAVX512(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, mask uint16, bias *float32)

// sgemmZ3BiasAVX512 is sgemmZ3AVX512 starting every row of C from bias.
//
//go:noescape
func sgemmZ3BiasAVX512(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, mask uint16, bias *float32)

// sgemmZ4BiasAVX512 is sgemmZ4AVX512 starting every row of C from bias.
//
//go:noescape
func sgemmZ4BiasAVX512(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, mask uint16, bias *float32)

// sgemmZ1XBiasAVX512 is sgemmZ1AVX512 starting row r of C from x's row r
// plus bias.
//
//go:noescape
func sgemmZ1XBiasAVX512(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, mask uint16, x, bias *float32)

// sgemmZ2XBiasAVX512 is sgemmZ2AVX512 starting row r of C from x's row r
// plus bias.
//
//go:noescape
func sgemmZ2XBiasAVX512(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, mask uint16, x, bias *float32)

// sgemmZ3XBiasAVX512 is sgemmZ3AVX512 starting row r of C from x's row r
// plus bias.
//
//go:noescape
func sgemmZ3XBiasAVX512(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, mask uint16, x, bias *float32)

// sgemmZ4XBiasAVX512 is sgemmZ4AVX512 starting row r of C from x's row r
// plus bias.
//
//go:noescape
func sgemmZ4XBiasAVX512(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, mask uint16, x, bias *float32)

// The …H… kernels below are the same products for a block whose last
// vector is a ymm of eight columns (16·w − 8 floats, no mask): widths ≡ 8
// (mod 16) end with one, which on Zen 4 (512-bit operations run as two
// 256-bit halves) costs half a masked zmm.

// sgemmZ1HAVX512 is sgemmZ1AVX512 for 8 columns, the last eight in a ymm.
//
//go:noescape
func sgemmZ1HAVX512(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int)

// sgemmZ2HAVX512 is sgemmZ2AVX512 for 24 columns, the last eight in a ymm.
//
//go:noescape
func sgemmZ2HAVX512(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int)

// sgemmZ3HAVX512 is sgemmZ3AVX512 for 40 columns, the last eight in a ymm.
//
//go:noescape
func sgemmZ3HAVX512(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int)

// sgemmZ4HAVX512 is sgemmZ4AVX512 for 56 columns, the last eight in a ymm.
//
//go:noescape
func sgemmZ4HAVX512(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int)

// sgemmZ1HBiasAVX512 is sgemmZ1HAVX512 starting every row of C from bias.
//
//go:noescape
func sgemmZ1HBiasAVX512(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, bias *float32)

// sgemmZ2HBiasAVX512 is sgemmZ2HAVX512 starting every row of C from bias.
//
//go:noescape
func sgemmZ2HBiasAVX512(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, bias *float32)

// sgemmZ3HBiasAVX512 is sgemmZ3HAVX512 starting every row of C from bias.
//
//go:noescape
func sgemmZ3HBiasAVX512(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, bias *float32)

// sgemmZ4HBiasAVX512 is sgemmZ4HAVX512 starting every row of C from bias.
//
//go:noescape
func sgemmZ4HBiasAVX512(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, bias *float32)

// sgemmZ1HXBiasAVX512 is sgemmZ1HAVX512 starting row r of C from x's row
// r plus bias.
//
//go:noescape
func sgemmZ1HXBiasAVX512(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, x, bias *float32)

// sgemmZ2HXBiasAVX512 is sgemmZ2HAVX512 starting row r of C from x's row
// r plus bias.
//
//go:noescape
func sgemmZ2HXBiasAVX512(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, x, bias *float32)

// sgemmZ3HXBiasAVX512 is sgemmZ3HAVX512 starting row r of C from x's row
// r plus bias.
//
//go:noescape
func sgemmZ3HXBiasAVX512(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, x, bias *float32)

// sgemmZ4HXBiasAVX512 is sgemmZ4HAVX512 starting row r of C from x's row
// r plus bias.
//
//go:noescape
func sgemmZ4HXBiasAVX512(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, x, bias *float32)
