//go:build amd64 && !noasm

package sae

import "golang.org/x/sys/cpu"

// useAVX2 selects the AVX2+FMA assembly kernels when the CPU has them (pure
// Go otherwise). Build with -tags noasm for the pure-Go kernels everywhere,
// as with gonum.
// The .s files are generated with avo (see generate.go).
var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func gemmAccAVX2(out, a, w *float32, rows, d, s, s8 int)

//go:noescape
func gemmTNAccAVX2(out, a, w *float32, n, m, p, p8 int)

//go:noescape
func axpyAVX2(a float32, x, y *float32, n int)

//go:noescape
func dotAVX2(x, y *float32, n int) float32

//go:noescape
func gemm4x16AVX2(out, a, w *float32, rows4, d, s, ws int)

//go:noescape
func reluCountAVX2(f, pre *float32, cc *int32, n int) int

//go:noescape
func l1FusedAVX2(df, f, cs *float32, lam float32, n int) float32

//go:noescape
func gemmTN4x16AVX2(out, a, w *float32, n, m4, p, lda int)

//go:noescape
func gaxpyAVX2(out, w *float32, ks *int32, xs *float32, nnz, ld, n int)
