//go:build !amd64 || noasm

package sae

// The kernels of gated_amd64.s in pure Go (kernels_generic.go).

func gatedDotsAVX2(w, dvia, dy *float32, rows *int32, nrows, ld, n8 int, outP, outF *float32) {
	gatedDotsGo(w, dvia, dy, rows, nrows, ld, n8, outP, outF)
}

func gaxpy2AVX2(y, v, w *float32, ks *int32, xf, xp *float32, nnz, ld, n8 int) {
	gaxpy2Go(y, v, w, ks, xf, xp, nnz, ld, n8)
}
