//go:build !amd64 || noasm

package grad

var useAVX2 = false

func sgemmColAVX2(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int) {
	panic("grad: no assembly kernels in this build")
}

func sgemmCol2AVX2(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int) {
	panic("grad: no assembly kernels in this build")
}

func sgemmColBiasAVX2(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, bias *float32) {
	panic("grad: no assembly kernels in this build")
}

func sgemmCol2BiasAVX2(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, bias *float32) {
	panic("grad: no assembly kernels in this build")
}

func sgemmColXBiasAVX2(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, x, bias *float32) {
	panic("grad: no assembly kernels in this build")
}

func sgemmCol2XBiasAVX2(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, x, bias *float32) {
	panic("grad: no assembly kernels in this build")
}
