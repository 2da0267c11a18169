//go:build amd64 && !noasm

package sae

import "golang.org/x/sys/cpu"

// useAVX512 selects the AVX-512 kernels (*512_amd64.s) when the CPU has
// AVX-512F (and POPCNT, and the AVX2 kernels they sit beside): the
// register tiles of the dense products and the dense steps' masked
// per-entry passes. They give the AVX2 tiles' and the Go loops' values bit
// for bit (each product element's terms in k order, one FMA each, from
// the loaded output; each pass the loop's float32 operations), so the
// switch changes speed only; tests flip it to compare the two paths.
var useAVX512 = useAVX2 && cpu.X86.HasAVX512F && cpu.X86.HasPOPCNT

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

// Kernels of gated512_amd64.s: the dense gated step's element-wise passes.

// gatedOpenAVX512 returns the number of i < n with u[i]+bGate[i] > 0
// (NaN not counted): the gated step's open gates in a row.
//
//go:noescape
func gatedOpenAVX512(u, bGate *float32, n int) int

// gatedActsAVX512 is the dense gated step's activation pass over n
// features of a row: with π = u+bGate, where π > 0: v = π, q = π·wdn,
// ps += π·m, and where also mg = u·e + bMag > 0: f = mg, cc += mi; +0 in
// v, q and f elsewhere. It returns the number of f > 0.
//
//go:noescape
func gatedActsAVX512(u, bGate, bMag, e, wdn, f, v, q, ps *float32, cc *int32, n int, m float32, mi int32) int

// gatedGradsAVX512 is the dense gated step's gradient pass over n features
// of a row: where !(u+bGate <= 0), with dpg = dotP + lamM·wdn and dpm = dd
// where f > 0 (else +0): sBG += dpg, sBM += dpm, sRM += dpm·u·e, d = dpg +
// dpm·e, dd = d, dpSum += d; dd = +0 elsewhere.
//
//go:noescape
func gatedGradsAVX512(u, bGate, dotP, f, dd, wdn, e, sBG, sBM, sRM, dpSum *float32, n int, lamM float32)

// Kernels of jumprelu512_amd64.s: the dense jumprelu step's element-wise
// passes.

// jumpActsAVX512 writes f = pre where pre > th, else +0, adds mi to cc
// there and returns how many, over n features of a row.
//
//go:noescape
func jumpActsAVX512(pre, th, f *float32, cc *int32, n int, mi int32) int

// jumpGradsAVX512 is the dense jumprelu step's gradient pass over n
// features of a row, except the entries near the threshold (|(pre−th)/bw|
// < 1/2), whose lanes it sets in near (one 16-bit mask per 16 entries)
// and whose dd it leaves: where pre > th, gBEnc += dd and dpSum += dd;
// where neither, dd = +0. It returns the number with pre > th.
//
//go:noescape
func jumpGradsAVX512(pre, th, dd, gBEnc, dpSum *float32, near *uint16, n int, bw float32) int
