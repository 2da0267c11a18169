//go:build !amd64 || noasm

package sae

func dot4AVX2(w, x0, x1, x2, x3 *float32, n int, out *[4]float32) {
	panic("sae: no assembly kernels in this build")
}

func firstAboveAVX2(v *float32, n int, t float32) int {
	panic("sae: no assembly kernels in this build")
}
