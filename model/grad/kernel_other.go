//go:build !amd64 || noasm

package grad

var useAVX2 = false

func sgemmColAVX2(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int) {
	panic("grad: no assembly kernels in this build")
}

func sgemmCol2AVX2(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int) {
	panic("grad: no assembly kernels in this build")
}
