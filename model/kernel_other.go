//go:build !amd64 || noasm

package model

var useAVX2 = false

func dgemm4x8AVX2(c *[32]float64, x, w *float64, n, ldx int) {
	panic("model: no assembly kernels in this build")
}
