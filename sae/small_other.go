//go:build !amd64 || noasm

package sae

// The kernels of small_amd64.s in pure Go (kernels_generic.go).

func sumSqAVX2(x *float32, n int) float32 {
	return sumSqGo(x, n)
}

func adamScaleZeroAVX2(param, grad, m1, m2 *float32, n int, gs, b1, omb1, b2, omb2, stepSize, eps float32) {
	adamScaleZeroGo(param, grad, m1, m2, n, gs, b1, omb1, b2, omb2, stepSize, eps)
}

func scaleAVX2(x *float32, n int, c float32) {
	scaleGo(x, n, c)
}

func transpose8AVX2(dst *float32, ldd int, src *float32, lds int, nblk int) {
	transpose8Go(dst, ldd, src, lds, nblk)
}

func reluCountMultAVX2(f, pre *float32, cc *int32, n int, m int32) int {
	return reluCountMultGo(f, pre, cc, n, m)
}

func normalizeRows4AVX(w *float32, rows, d int) {
	normalizeRows4Go(w, rows, d)
}

func removeParallel4AVX(wdec, gdec *float32, rows, d int) {
	removeParallel4Go(wdec, gdec, rows, d)
}

func copyRowsAVX(dst *float32, ldd int, src *float32, lds int, rows, d int) {
	copyRowsGo(dst, ldd, src, lds, rows, d)
}

func transpose8x4AVX(dst *float32, ldd int, src *float32, lds int) {
	transpose8x4Go(dst, ldd, src, lds)
}
