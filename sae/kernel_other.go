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
