//go:build !amd64 || noasm

package sae

// useAVX2 is false: the kernels below are the pure-Go ones
// (kernels_generic.go), under the assembly kernels' names.
var useAVX2 = false

func gemmAccAVX2(out, a, w *float32, rows, d, s, s8 int) {
	gemmAccGo(out, a, w, rows, d, s, s8)
}

func gemmTNAccAVX2(out, a, w *float32, n, m, p, p8 int) {
	gemmTNAccGo(out, a, w, n, m, p, p8)
}

func axpyAVX2(a float32, x, y *float32, n int) {
	axpyGo(a, x, y, n)
}

func dotAVX2(x, y *float32, n int) float32 {
	return dotGo(x, y, n)
}

func gemm4x16AVX2(out, a, w *float32, rows4, d, s, ws int) {
	gemm4x16Go(out, a, w, rows4, d, s, ws)
}

func gemm6x16AVX2(out, a, w *float32, tiles, d, s, ws int) {
	gemm4x16Go(out, a, w, 6*tiles, d, s, ws)
}

func reluCountAVX2(f, pre *float32, cc *int32, n int) int {
	return reluCountGo(f, pre, cc, n)
}

func l1FusedAVX2(df, f, cs *float32, lam float32, n int) float32 {
	return l1FusedGo(df, f, cs, lam, n)
}

func gemmTN4x16AVX2(out, a, w *float32, n, m4, p, lda int) {
	gemmTN4x16Go(out, a, w, n, m4, p, lda)
}

func gaxpyAVX2(out, w *float32, ks *int32, xs *float32, nnz, ld, n int) {
	gaxpyGo(out, w, ks, xs, nnz, ld, n)
}

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

func copyRowsMaskAVX(dst *float32, ldd int, src *float32, lds int, rows, d int, _ *int32) {
	copyRowsGo(dst, ldd, src, lds, rows, d)
}

func copyRowsBlendAVX(dst *float32, ldd int, src *float32, lds int, rows, d int, _ *int32) {
	copyRowsGo(dst, ldd, src, lds, rows, d)
}

func transpose8x4AVX(dst *float32, ldd int, src *float32, lds int) {
	transpose8x4Go(dst, ldd, src, lds)
}

func gatedDotsAVX2(w, dvia, dy *float32, rows *int32, nrows, ld, n8 int, outP, outF *float32) {
	gatedDotsGo(w, dvia, dy, rows, nrows, ld, n8, outP, outF)
}

func gaxpy2AVX2(y, v, w *float32, ks *int32, xf, xp *float32, nnz, ld, n8 int) {
	gaxpy2Go(y, v, w, ks, xf, xp, nnz, ld, n8)
}

func dot4AVX2(w, x0, x1, x2, x3 *float32, n int, out *[4]float32) {
	dot4Go(w, x0, x1, x2, x3, n, out)
}

func firstAboveAVX2(v *float32, n int, t float32) int {
	return firstAboveGo(v, n, t)
}
