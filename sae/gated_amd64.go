//go:build amd64 && !noasm

package sae

// Kernels of gated_amd64.s (the gated step; used when useAVX2).

//go:noescape
func gatedDotsAVX2(w, dvia, dy *float32, rows *int32, nrows, ld, n8 int, outP, outF *float32)

//go:noescape
func gaxpy2AVX2(y, v, w *float32, ks *int32, xf, xp *float32, nnz, ld, n8 int)
