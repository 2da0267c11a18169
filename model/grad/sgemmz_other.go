//go:build !amd64 || noasm

package grad

import "math/bits"

// hasAVX512 and useAVX512 are false: the kernels below are the pure-Go
// twins of the AVX-512 kernels under their names (sgemm never calls them
// here; they run only if a caller reaches a kernel by name).
var (
	hasAVX512 = false
	useAVX512 = false
)

// zWidth is the column count of a block of w zmm whose last holds the
// columns set in mask (its low bits).
func zWidth(w int, mask uint16) int { return 16*(w-1) + bits.Len16(mask) }

func sgemmZ1AVX512(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, mask uint16) {
	sgemmBlock(c, ldc, a, sar, sak, b, ldb, m, k, zWidth(1, mask))
}

func sgemmZ2AVX512(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, mask uint16) {
	sgemmBlock(c, ldc, a, sar, sak, b, ldb, m, k, zWidth(2, mask))
}

func sgemmZ3AVX512(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, mask uint16) {
	sgemmBlock(c, ldc, a, sar, sak, b, ldb, m, k, zWidth(3, mask))
}

func sgemmZ4AVX512(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, mask uint16) {
	sgemmBlock(c, ldc, a, sar, sak, b, ldb, m, k, zWidth(4, mask))
}

func sgemmZ1BiasAVX512(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, mask uint16, bias *float32) {
	startBlock(c, ldc, m, zWidth(1, mask), nil, bias)
	sgemmBlock(c, ldc, a, sar, sak, b, ldb, m, k, zWidth(1, mask))
}

func sgemmZ2BiasAVX512(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, mask uint16, bias *float32) {
	startBlock(c, ldc, m, zWidth(2, mask), nil, bias)
	sgemmBlock(c, ldc, a, sar, sak, b, ldb, m, k, zWidth(2, mask))
}

func sgemmZ3BiasAVX512(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, mask uint16, bias *float32) {
	startBlock(c, ldc, m, zWidth(3, mask), nil, bias)
	sgemmBlock(c, ldc, a, sar, sak, b, ldb, m, k, zWidth(3, mask))
}

func sgemmZ4BiasAVX512(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, mask uint16, bias *float32) {
	startBlock(c, ldc, m, zWidth(4, mask), nil, bias)
	sgemmBlock(c, ldc, a, sar, sak, b, ldb, m, k, zWidth(4, mask))
}

func sgemmZ1XBiasAVX512(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, mask uint16, x, bias *float32) {
	startBlock(c, ldc, m, zWidth(1, mask), x, bias)
	sgemmBlock(c, ldc, a, sar, sak, b, ldb, m, k, zWidth(1, mask))
}

func sgemmZ2XBiasAVX512(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, mask uint16, x, bias *float32) {
	startBlock(c, ldc, m, zWidth(2, mask), x, bias)
	sgemmBlock(c, ldc, a, sar, sak, b, ldb, m, k, zWidth(2, mask))
}

func sgemmZ3XBiasAVX512(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, mask uint16, x, bias *float32) {
	startBlock(c, ldc, m, zWidth(3, mask), x, bias)
	sgemmBlock(c, ldc, a, sar, sak, b, ldb, m, k, zWidth(3, mask))
}

func sgemmZ4XBiasAVX512(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, mask uint16, x, bias *float32) {
	startBlock(c, ldc, m, zWidth(4, mask), x, bias)
	sgemmBlock(c, ldc, a, sar, sak, b, ldb, m, k, zWidth(4, mask))
}

// zHalfWidth is the column count of a block of w zmm whose last is a ymm
// (the …H… kernels).
func zHalfWidth(w int) int { return 16*w - 8 }

func sgemmZ1HAVX512(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int) {
	sgemmBlock(c, ldc, a, sar, sak, b, ldb, m, k, zHalfWidth(1))
}

func sgemmZ2HAVX512(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int) {
	sgemmBlock(c, ldc, a, sar, sak, b, ldb, m, k, zHalfWidth(2))
}

func sgemmZ3HAVX512(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int) {
	sgemmBlock(c, ldc, a, sar, sak, b, ldb, m, k, zHalfWidth(3))
}

func sgemmZ4HAVX512(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int) {
	sgemmBlock(c, ldc, a, sar, sak, b, ldb, m, k, zHalfWidth(4))
}

func sgemmZ1HBiasAVX512(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, bias *float32) {
	startBlock(c, ldc, m, zHalfWidth(1), nil, bias)
	sgemmBlock(c, ldc, a, sar, sak, b, ldb, m, k, zHalfWidth(1))
}

func sgemmZ2HBiasAVX512(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, bias *float32) {
	startBlock(c, ldc, m, zHalfWidth(2), nil, bias)
	sgemmBlock(c, ldc, a, sar, sak, b, ldb, m, k, zHalfWidth(2))
}

func sgemmZ3HBiasAVX512(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, bias *float32) {
	startBlock(c, ldc, m, zHalfWidth(3), nil, bias)
	sgemmBlock(c, ldc, a, sar, sak, b, ldb, m, k, zHalfWidth(3))
}

func sgemmZ4HBiasAVX512(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, bias *float32) {
	startBlock(c, ldc, m, zHalfWidth(4), nil, bias)
	sgemmBlock(c, ldc, a, sar, sak, b, ldb, m, k, zHalfWidth(4))
}

func sgemmZ1HXBiasAVX512(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, x, bias *float32) {
	startBlock(c, ldc, m, zHalfWidth(1), x, bias)
	sgemmBlock(c, ldc, a, sar, sak, b, ldb, m, k, zHalfWidth(1))
}

func sgemmZ2HXBiasAVX512(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, x, bias *float32) {
	startBlock(c, ldc, m, zHalfWidth(2), x, bias)
	sgemmBlock(c, ldc, a, sar, sak, b, ldb, m, k, zHalfWidth(2))
}

func sgemmZ3HXBiasAVX512(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, x, bias *float32) {
	startBlock(c, ldc, m, zHalfWidth(3), x, bias)
	sgemmBlock(c, ldc, a, sar, sak, b, ldb, m, k, zHalfWidth(3))
}

func sgemmZ4HXBiasAVX512(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, x, bias *float32) {
	startBlock(c, ldc, m, zHalfWidth(4), x, bias)
	sgemmBlock(c, ldc, a, sar, sak, b, ldb, m, k, zHalfWidth(4))
}
