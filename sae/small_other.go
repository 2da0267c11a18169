//go:build !amd64 || noasm

package sae

func sumSqAVX2(x *float32, n int) float32 { panic("sae: no assembly kernels in this build") }

func adamScaleZeroAVX2(param, grad, m1, m2 *float32, n int, gs, b1, omb1, b2, omb2, stepSize, eps float32) {
	panic("sae: no assembly kernels in this build")
}

func scaleAVX2(x *float32, n int, c float32) { panic("sae: no assembly kernels in this build") }

func transpose8AVX2(dst *float32, ldd int, src *float32, lds int, nblk int) {
	panic("sae: no assembly kernels in this build")
}

func reluCountMultAVX2(f, pre *float32, cc *int32, n int, m int32) int {
	panic("sae: no assembly kernels in this build")
}

func normalizeRows4AVX(w *float32, rows, d int) { panic("sae: no assembly kernels in this build") }

func removeParallel4AVX(wdec, gdec *float32, rows, d int) {
	panic("sae: no assembly kernels in this build")
}

func copyRowsAVX(dst *float32, ldd int, src *float32, lds int, rows, d int) {
	panic("sae: no assembly kernels in this build")
}

func transpose8x4AVX(dst *float32, ldd int, src *float32, lds int) {
	panic("sae: no assembly kernels in this build")
}
