//go:build amd64 && !noasm

package sae

// Kernels of small_amd64.s (used when useAVX2).

//go:noescape
func sumSqAVX2(x *float32, n int) float32

//go:noescape
func adamScaleZeroAVX2(param, grad, m1, m2 *float32, n int, gs, b1, omb1, b2, omb2, stepSize, eps float32)

//go:noescape
func scaleAVX2(x *float32, n int, c float32)

//go:noescape
func transpose8AVX2(dst *float32, ldd int, src *float32, lds int, nblk int)

//go:noescape
func reluCountMultAVX2(f, pre *float32, cc *int32, n int, m int32) int

//go:noescape
func normalizeRows4AVX(w *float32, rows, d int)

//go:noescape
func removeParallel4AVX(wdec, gdec *float32, rows, d int)

//go:noescape
func copyRowsAVX(dst *float32, ldd int, src *float32, lds int, rows, d int)

//go:noescape
func transpose8x4AVX(dst *float32, ldd int, src *float32, lds int)
