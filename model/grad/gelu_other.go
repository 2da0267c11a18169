//go:build !amd64 || noasm

package grad

func geluRowsAVX2(dst, src *float32, n int, coef *float64) {
	panic("grad: no assembly kernels in this build")
}

func geluGradRowsAVX2(dst, grad, src *float32, n int, coef *float64) {
	panic("grad: no assembly kernels in this build")
}
