//go:build amd64 && !noasm

#include "textflag.h"

// Hand-written AVX2+FMA kernels for the per-step O(parameters) passes of the
// SAE trainer (the Go fallbacks are in optim.go).

// func sumSqAVX2(x *float32, n int) float32
// Σ x[i]² over n (a multiple of 8) values, in four 8-lane accumulators.
TEXT ·sumSqAVX2(SB), NOSPLIT, $0-20
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	MOVQ CX, DX
	SHRQ $5, DX
	JZ ss_tail
ss_loop32:
	VMOVUPS (SI), Y4
	VMOVUPS 32(SI), Y5
	VMOVUPS 64(SI), Y6
	VMOVUPS 96(SI), Y7
	VFMADD231PS Y4, Y4, Y0
	VFMADD231PS Y5, Y5, Y1
	VFMADD231PS Y6, Y6, Y2
	VFMADD231PS Y7, Y7, Y3
	ADDQ $128, SI
	DECQ DX
	JNZ ss_loop32
ss_tail:
	ANDQ $31, CX
	SHRQ $3, CX
	JZ ss_sum
ss_loop8:
	VMOVUPS (SI), Y4
	VFMADD231PS Y4, Y4, Y0
	ADDQ $32, SI
	DECQ CX
	JNZ ss_loop8
ss_sum:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
	VZEROUPPER
	MOVSS X0, ret+16(FP)
	RET

// func adamScaleZeroAVX2(param, grad, m1, m2 *float32, n int, gs, b1, omb1, b2, omb2, stepSize, eps float32)
// Adam on n (a multiple of 8) elements of a gradient scaled by gs, which is
// then cleared; the operation order of the scalar code (stepSize and eps
// carry the bias correction of the second moment, see adam.update):
// g' = g·gs; m = b1·m + omb1·g'; v = b2·v + (omb2·g')·g';
// p -= (stepSize·m) / (sqrt(v) + eps); g = 0.
TEXT ·adamScaleZeroAVX2(SB), NOSPLIT, $0-68
	MOVQ param+0(FP), DI
	MOVQ grad+8(FP), SI
	MOVQ m1+16(FP), DX
	MOVQ m2+24(FP), R8
	MOVQ n+32(FP), CX
	SHRQ $3, CX
	VBROADCASTSS gs+40(FP), Y15
	VBROADCASTSS b1+44(FP), Y0
	VBROADCASTSS omb1+48(FP), Y1
	VBROADCASTSS b2+52(FP), Y2
	VBROADCASTSS omb2+56(FP), Y3
	VBROADCASTSS stepSize+60(FP), Y4
	VBROADCASTSS eps+64(FP), Y6
	VXORPS Y14, Y14, Y14
	TESTQ CX, CX
	JZ asz_done
asz_loop:
	VMOVUPS (SI), Y7
	VMULPS Y15, Y7, Y7
	VMOVUPS Y14, (SI)
	VMOVUPS (DX), Y8
	VMULPS Y8, Y0, Y9
	VMULPS Y7, Y1, Y10
	VADDPS Y10, Y9, Y9
	VMOVUPS Y9, (DX)
	VMOVUPS (R8), Y11
	VMULPS Y11, Y2, Y12
	VMULPS Y7, Y3, Y10
	VMULPS Y7, Y10, Y10
	VADDPS Y10, Y12, Y12
	VMOVUPS Y12, (R8)
	VSQRTPS Y12, Y10
	VADDPS Y6, Y10, Y10
	VMULPS Y9, Y4, Y13
	VDIVPS Y10, Y13, Y13
	VMOVUPS (DI), Y8
	VSUBPS Y13, Y8, Y8
	VMOVUPS Y8, (DI)
	ADDQ $32, DI
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, R8
	DECQ CX
	JNZ asz_loop
asz_done:
	VZEROUPPER
	RET

// func scaleAVX2(x *float32, n int, c float32)
// x[i] *= c for n (a multiple of 8) values.
TEXT ·scaleAVX2(SB), NOSPLIT, $0-20
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	SHRQ $3, CX
	VBROADCASTSS c+16(FP), Y0
	TESTQ CX, CX
	JZ sc_done
sc_loop:
	VMULPS (SI), Y0, Y1
	VMOVUPS Y1, (SI)
	ADDQ $32, SI
	DECQ CX
	JNZ sc_loop
sc_done:
	VZEROUPPER
	RET

// func transpose8AVX2(dst *float32, ldd int, src *float32, lds int, nblk int)
// Transposes nblk 8×8 blocks side by side: for b < nblk, i, j < 8:
// dst[(8b+j)*ldd + i] = src[i*lds + 8b + j] (ldd, lds in elements).
TEXT ·transpose8AVX2(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ ldd+8(FP), R8
	SHLQ $2, R8
	MOVQ src+16(FP), SI
	MOVQ lds+24(FP), R9
	SHLQ $2, R9
	MOVQ nblk+32(FP), CX
	TESTQ CX, CX
	JZ tr_done
	LEAQ (R9)(R9*2), R10    // 3·lds
	LEAQ (R8)(R8*2), R11    // 3·ldd
tr_loop:
	MOVQ SI, AX
	VMOVUPS (AX), Y0
	VMOVUPS (AX)(R9*1), Y1
	VMOVUPS (AX)(R9*2), Y2
	VMOVUPS (AX)(R10*1), Y3
	LEAQ (AX)(R9*4), AX
	VMOVUPS (AX), Y4
	VMOVUPS (AX)(R9*1), Y5
	VMOVUPS (AX)(R9*2), Y6
	VMOVUPS (AX)(R10*1), Y7
	VUNPCKLPS Y1, Y0, Y8
	VUNPCKHPS Y1, Y0, Y9
	VUNPCKLPS Y3, Y2, Y10
	VUNPCKHPS Y3, Y2, Y11
	VUNPCKLPS Y5, Y4, Y12
	VUNPCKHPS Y5, Y4, Y13
	VUNPCKLPS Y7, Y6, Y14
	VUNPCKHPS Y7, Y6, Y15
	VSHUFPS $0x44, Y10, Y8, Y0
	VSHUFPS $0xEE, Y10, Y8, Y1
	VSHUFPS $0x44, Y11, Y9, Y2
	VSHUFPS $0xEE, Y11, Y9, Y3
	VSHUFPS $0x44, Y14, Y12, Y4
	VSHUFPS $0xEE, Y14, Y12, Y5
	VSHUFPS $0x44, Y15, Y13, Y6
	VSHUFPS $0xEE, Y15, Y13, Y7
	VPERM2F128 $0x20, Y4, Y0, Y8
	VPERM2F128 $0x20, Y5, Y1, Y9
	VPERM2F128 $0x20, Y6, Y2, Y10
	VPERM2F128 $0x20, Y7, Y3, Y11
	VPERM2F128 $0x31, Y4, Y0, Y12
	VPERM2F128 $0x31, Y5, Y1, Y13
	VPERM2F128 $0x31, Y6, Y2, Y14
	VPERM2F128 $0x31, Y7, Y3, Y15
	MOVQ DI, BX
	VMOVUPS Y8, (BX)
	VMOVUPS Y9, (BX)(R8*1)
	VMOVUPS Y10, (BX)(R8*2)
	VMOVUPS Y11, (BX)(R11*1)
	LEAQ (BX)(R8*4), BX
	VMOVUPS Y12, (BX)
	VMOVUPS Y13, (BX)(R8*1)
	VMOVUPS Y14, (BX)(R8*2)
	VMOVUPS Y15, (BX)(R11*1)
	ADDQ $32, SI
	LEAQ (DI)(R8*8), DI
	DECQ CX
	JNZ tr_loop
tr_done:
	VZEROUPPER
	RET

// func reluCountMultAVX2(f, pre *float32, cc *int32, n int, m int32) int
// f = max(pre, +0); cc[i] += m where pre[i] > 0; returns the number of
// positives. n must be a multiple of 8.
TEXT ·reluCountMultAVX2(SB), NOSPLIT, $0-48
	MOVQ f+0(FP), DI
	MOVQ pre+8(FP), SI
	MOVQ cc+16(FP), DX
	MOVQ n+24(FP), CX
	MOVL m+32(FP), AX
	VMOVD AX, X14
	VPBROADCASTD X14, Y14
	SHRQ $3, CX
	XORQ R8, R8
	VXORPS Y15, Y15, Y15
	TESTQ CX, CX
	JZ rm_done
rm_loop:
	VMOVUPS (SI), Y0
	VMAXPS Y15, Y0, Y1
	VMOVUPS Y1, (DI)
	VCMPPS $14, Y15, Y0, Y2
	VPAND Y14, Y2, Y4
	VMOVDQU (DX), Y3
	VPADDD Y4, Y3, Y3
	VMOVDQU Y3, (DX)
	VMOVMSKPS Y2, AX
	POPCNTL AX, AX
	ADDQ AX, R8
	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $32, DX
	DECQ CX
	JNZ rm_loop
rm_done:
	VZEROUPPER
	MOVQ R8, ret+40(FP)
	RET

// func normalizeRows4AVX(w *float32, rows, d int)
// normalizeRows for narrow rows with d a multiple of 4: the row's sum of
// squares in the four lanes dotNarrow uses (lane l sums columns ≡ l mod 4,
// multiply then add), combined as (s0+s1)+(s2+s3); then 1/sqrt and a scale.
TEXT ·normalizeRows4AVX(SB), NOSPLIT, $0-24
	MOVQ w+0(FP), SI
	MOVQ rows+8(FP), CX
	MOVQ d+16(FP), DX
	SHRQ $2, DX
	TESTQ CX, CX
	JZ nr_done
	TESTQ DX, DX
	JZ nr_done
	MOVL $0x3f800000, AX
	VMOVD AX, X7
nr_row:
	VXORPS X0, X0, X0
	MOVQ DX, BX
	MOVQ SI, DI
nr_sum:
	VMOVUPS (DI), X1
	VMULPS X1, X1, X1
	VADDPS X1, X0, X0
	ADDQ $16, DI
	DECQ BX
	JNZ nr_sum
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
	VSQRTSS X0, X0, X0
	VDIVSS X0, X7, X1
	VBROADCASTSS X1, X1
	MOVQ DX, BX
nr_scale:
	VMOVUPS (SI), X2
	VMULPS X1, X2, X2
	VMOVUPS X2, (SI)
	ADDQ $16, SI
	DECQ BX
	JNZ nr_scale
	DECQ CX
	JNZ nr_row
nr_done:
	RET

// func removeParallel4AVX(wdec, gdec *float32, rows, d int)
// removeParallelDecoderGrad for narrow rows with d a multiple of 4:
// p = Σ g·w in dotNarrow's four lanes, (s0+s1)+(s2+s3); when p != 0
// (or NaN), g -= p·w.
TEXT ·removeParallel4AVX(SB), NOSPLIT, $0-32
	MOVQ wdec+0(FP), SI
	MOVQ gdec+8(FP), DI
	MOVQ rows+16(FP), CX
	MOVQ d+24(FP), DX
	SHRQ $2, DX
	TESTQ CX, CX
	JZ rp_done
	TESTQ DX, DX
	JZ rp_done
	MOVQ DX, R8
	SHLQ $4, R8
	VXORPS X6, X6, X6
rp_row:
	VXORPS X0, X0, X0
	MOVQ DX, BX
	XORQ AX, AX
rp_sum:
	VMOVUPS (DI)(AX*1), X1
	VMOVUPS (SI)(AX*1), X2
	VMULPS X2, X1, X1
	VADDPS X1, X0, X0
	ADDQ $16, AX
	DECQ BX
	JNZ rp_sum
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
	VUCOMISS X6, X0
	JNE rp_do
	JPS rp_do
	JMP rp_next
rp_do:
	VBROADCASTSS X0, X1
	MOVQ DX, BX
	XORQ AX, AX
rp_sub:
	VMOVUPS (SI)(AX*1), X2
	VMULPS X1, X2, X2
	VMOVUPS (DI)(AX*1), X3
	VSUBPS X2, X3, X3
	VMOVUPS X3, (DI)(AX*1)
	ADDQ $16, AX
	DECQ BX
	JNZ rp_sub
rp_next:
	ADDQ R8, SI
	ADDQ R8, DI
	DECQ CX
	JNZ rp_row
rp_done:
	RET

// func copyRowsAVX(dst *float32, ldd int, src *float32, lds int, rows, d int)
// Copies rows rows of d values (d a multiple of 4) between matrices with
// row strides ldd and lds (in elements): 32-byte moves, then one 16-byte.
TEXT ·copyRowsAVX(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ ldd+8(FP), R8
	SHLQ $2, R8
	MOVQ src+16(FP), SI
	MOVQ lds+24(FP), R9
	SHLQ $2, R9
	MOVQ rows+32(FP), CX
	MOVQ d+40(FP), DX
	TESTQ CX, CX
	JZ cr_done
cr_row:
	XORQ AX, AX
	MOVQ DX, BX
cr_8:
	CMPQ BX, $8
	JLT cr_4
	VMOVUPS (SI)(AX*1), Y0
	VMOVUPS Y0, (DI)(AX*1)
	ADDQ $32, AX
	SUBQ $8, BX
	JMP cr_8
cr_4:
	TESTQ BX, BX
	JZ cr_next
	VMOVUPS (SI)(AX*1), X0
	VMOVUPS X0, (DI)(AX*1)
cr_next:
	ADDQ R8, DI
	ADDQ R9, SI
	DECQ CX
	JNZ cr_row
cr_done:
	VZEROUPPER
	RET

// func transpose8x4AVX(dst *float32, ldd int, src *float32, lds int)
// One 8-row × 4-column block: dst[c*ldd + i] = src[i*lds + c] for c < 4,
// i < 8 (ldd, lds in elements): two 4×4 transposes, joined per column.
TEXT ·transpose8x4AVX(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ ldd+8(FP), R8
	SHLQ $2, R8
	MOVQ src+16(FP), SI
	MOVQ lds+24(FP), R9
	SHLQ $2, R9
	LEAQ (R9)(R9*2), R10
	VMOVUPS (SI), X0
	VMOVUPS (SI)(R9*1), X1
	VMOVUPS (SI)(R9*2), X2
	VMOVUPS (SI)(R10*1), X3
	LEAQ (SI)(R9*4), SI
	VMOVUPS (SI), X4
	VMOVUPS (SI)(R9*1), X5
	VMOVUPS (SI)(R9*2), X6
	VMOVUPS (SI)(R10*1), X7
	VUNPCKLPS X1, X0, X8
	VUNPCKHPS X1, X0, X9
	VUNPCKLPS X3, X2, X10
	VUNPCKHPS X3, X2, X11
	VUNPCKLPS X5, X4, X12
	VUNPCKHPS X5, X4, X13
	VUNPCKLPS X7, X6, X14
	VUNPCKHPS X7, X6, X15
	VSHUFPS $0x44, X10, X8, X0
	VSHUFPS $0xEE, X10, X8, X1
	VSHUFPS $0x44, X11, X9, X2
	VSHUFPS $0xEE, X11, X9, X3
	VSHUFPS $0x44, X14, X12, X4
	VSHUFPS $0xEE, X14, X12, X5
	VSHUFPS $0x44, X15, X13, X6
	VSHUFPS $0xEE, X15, X13, X7
	VINSERTF128 $1, X4, Y0, Y0
	VINSERTF128 $1, X5, Y1, Y1
	VINSERTF128 $1, X6, Y2, Y2
	VINSERTF128 $1, X7, Y3, Y3
	LEAQ (R8)(R8*2), R11
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, (DI)(R8*1)
	VMOVUPS Y2, (DI)(R8*2)
	VMOVUPS Y3, (DI)(R11*1)
	VZEROUPPER
	RET
