//go:build !amd64 || noasm

package sae

var useAVX2 = false

func gemmAccAVX2(out, a, w *float32, rows, d, s, s8 int) {
	panic("sae: no assembly kernels in this build")
}

func gemmTNAccAVX2(out, a, w *float32, n, m, p, p8 int) {
	panic("sae: no assembly kernels in this build")
}

func axpyAVX2(a float32, x, y *float32, n int) {
	panic("sae: no assembly kernels in this build")
}

func dotAVX2(x, y *float32, n int) float32 { panic("sae: no assembly kernels in this build") }

func gemm4x16AVX2(out, a, w *float32, rows4, d, s, ws int) {
	panic("sae: no assembly kernels in this build")
}

func reluCountAVX2(f, pre *float32, cc *int32, n int) int {
	panic("sae: no assembly kernels in this build")
}

func l1FusedAVX2(df, f, cs *float32, lam float32, n int) float32 {
	panic("sae: no assembly kernels in this build")
}

func gemmTN4x16AVX2(out, a, w *float32, n, m4, p, lda int) {
	panic("sae: no assembly kernels in this build")
}

func gaxpyAVX2(out, w *float32, ks *int32, xs *float32, nnz, ld, n int) {
	panic("sae: no assembly kernels in this build")
}
