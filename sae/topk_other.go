//go:build !amd64 || noasm

package sae

// The kernels of topk_amd64.s in pure Go (kernels_generic.go).

func dot4AVX2(w, x0, x1, x2, x3 *float32, n int, out *[4]float32) {
	dot4Go(w, x0, x1, x2, x3, n, out)
}

func firstAboveAVX2(v *float32, n int, t float32) int {
	return firstAboveGo(v, n, t)
}
