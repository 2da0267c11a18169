//go:build amd64 && !noasm

package sae

import "golang.org/x/sys/cpu"

// useAVX512 selects the AVX-512 register tiles of gemm512_amd64.s for the
// dense products when the CPU has AVX-512F (and the AVX2 kernels they sit
// beside). They give the AVX2 tiles' values bit for bit (each element's
// terms in k order, one FMA each, from the loaded output), so the switch
// changes speed only; tests flip it to compare the two paths.
var useAVX512 = useAVX2 && cpu.X86.HasAVX512F

// Kernels of gemm512_amd64.s: AVX-512 register tiles of the dense products.

// gemm12x32AVX512 out[r*s+j] += Σ_{k<kc} a[r*lda+k]·w[k*ws+j] for
// r < 12·tiles and j < 32, w's columns 16-31 starting wp floats after w
// (wp = 16: w itself; d·16: the next packed panel).
//
//go:noescape
func gemm12x32AVX512(out, a, w *float32, tiles, kc, s, lda, ws, wp int)

// gemm12x16AVX512 is gemm12x32AVX512 for columns j < 16 (wp unused).
//
//go:noescape
func gemm12x16AVX512(out, a, w *float32, tiles, kc, s, lda, ws, wp int)
