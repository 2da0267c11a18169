//go:build !amd64 || noasm

package sae

func gatedDotsAVX2(w, dvia, dy *float32, rows *int32, nrows, ld, n8 int, outP, outF *float32) {
	panic("sae: no assembly kernels in this build")
}

func gaxpy2AVX2(y, v, w *float32, ks *int32, xf, xp *float32, nnz, ld, n8 int) {
	panic("sae: no assembly kernels in this build")
}
