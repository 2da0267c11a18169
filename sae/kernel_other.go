//go:build !amd64

package sae

var useAVX2 = false

func gemmAccAVX2(out, a, w *float32, rows, d, s, s8 int) {
	panic("sae: no assembly kernels on this architecture")
}

func gemmTNAccAVX2(out, a, w *float32, n, m, p, p8 int) {
	panic("sae: no assembly kernels on this architecture")
}
