//go:build !amd64 || noasm

package sae

// useAVX512 is false: the kernels below are the pure-Go tiles
// (kernels512_generic.go) under the assembly kernels' names.
var useAVX512 = false

func gemm12x32AVX512(out, a, w *float32, tiles, kc, s, lda, ws, wp int) {
	gemmTileGo(out, a, w, 12*tiles, 32, kc, s, lda, ws, wp)
}

func gemm12x16AVX512(out, a, w *float32, tiles, kc, s, lda, ws, wp int) {
	gemmTileGo(out, a, w, 12*tiles, 16, kc, s, lda, ws, wp)
}

func gatedOpenAVX512(u, bGate *float32, n int) int {
	return gatedOpenGo(u, bGate, n)
}

func gatedActsAVX512(u, bGate, bMag, e, wdn, f, v, q, ps *float32, cc *int32, n int, m float32, mi int32) int {
	return gatedActsGo(u, bGate, bMag, e, wdn, f, v, q, ps, cc, n, m, mi)
}

func gatedGradsAVX512(u, bGate, dotP, f, dd, wdn, e, sBG, sBM, sRM, dpSum *float32, n int, lamM float32) {
	gatedGradsGo(u, bGate, dotP, f, dd, wdn, e, sBG, sBM, sRM, dpSum, n, lamM)
}

func jumpActsAVX512(pre, th, f *float32, cc *int32, n int, mi int32) int {
	return jumpActsGo(pre, th, f, cc, n, mi)
}

func jumpGradsAVX512(pre, th, dd, gBEnc, dpSum *float32, near *uint16, n int, bw float32) int {
	return jumpGradsGo(pre, th, dd, gBEnc, dpSum, near, n, bw)
}
