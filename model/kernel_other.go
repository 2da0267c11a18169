//go:build !amd64 || noasm

package model

// useAVX2 is false: dgemm4x8AVX2 is the pure-Go kernel (kernel_generic.go).
var useAVX2 = false

func dgemm4x8AVX2(c *[32]float64, x, w *float64, n, ldx int) { dgemm4x8Go(c, x, w, n, ldx) }
