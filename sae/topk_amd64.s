//go:build amd64 && !noasm

#include "textflag.h"

// func dot4AVX2(w, x0, x1, x2, x3 *float32, n int, out *[4]float32)
// Four dot products sharing w: 16 floats a step, two accumulators a row.
TEXT ·dot4AVX2(SB), NOSPLIT, $0-56
	MOVQ w+0(FP), SI
	MOVQ x0+8(FP), R8
	MOVQ x1+16(FP), R9
	MOVQ x2+24(FP), R10
	MOVQ x3+32(FP), R11
	MOVQ n+40(FP), CX
	MOVQ out+48(FP), DI
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	XORQ AX, AX
	SHLQ $2, CX
d4_loop:
	CMPQ AX, CX
	JGE d4_sum
	VMOVUPS 0(SI)(AX*1), Y8
	VMOVUPS 32(SI)(AX*1), Y9
	VFMADD231PS 0(R8)(AX*1), Y8, Y0
	VFMADD231PS 32(R8)(AX*1), Y9, Y1
	VFMADD231PS 0(R9)(AX*1), Y8, Y2
	VFMADD231PS 32(R9)(AX*1), Y9, Y3
	VFMADD231PS 0(R10)(AX*1), Y8, Y4
	VFMADD231PS 32(R10)(AX*1), Y9, Y5
	VFMADD231PS 0(R11)(AX*1), Y8, Y6
	VFMADD231PS 32(R11)(AX*1), Y9, Y7
	ADDQ $64, AX
	JMP d4_loop
d4_sum:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y5, Y4, Y4
	VADDPS Y7, Y6, Y6
	// transpose-add: lanes of Y0,Y2,Y4,Y6 → one sum each
	VHADDPS Y2, Y0, Y0
	VHADDPS Y6, Y4, Y4
	VHADDPS Y4, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VMOVUPS X0, 0(DI)
	VZEROUPPER
	RET

// func firstAboveAVX2(v *float32, n int, t float32) int
// Smallest i < n with v[i] > t (n a multiple of 8), or n: 32 floats a step
// (predicate LT_OQ on (t, v): false for NaN, as v > t is)
// while none is above t.
TEXT ·firstAboveAVX2(SB), NOSPLIT, $0-32
	MOVQ v+0(FP), SI
	MOVQ n+8(FP), CX
	VBROADCASTSS t+16(FP), Y8
	XORQ AX, AX
fa_loop32:
	MOVQ CX, DX
	SUBQ AX, DX
	CMPQ DX, $32
	JLT fa_loop8
	VCMPPS $0x11, 0(SI)(AX*4), Y8, Y0
	VCMPPS $0x11, 32(SI)(AX*4), Y8, Y1
	VCMPPS $0x11, 64(SI)(AX*4), Y8, Y2
	VCMPPS $0x11, 96(SI)(AX*4), Y8, Y3
	VORPS Y1, Y0, Y4
	VORPS Y3, Y2, Y5
	VORPS Y5, Y4, Y4
	VMOVMSKPS Y4, DX
	TESTL DX, DX
	JNZ fa_loop8
	ADDQ $32, AX
	JMP fa_loop32
fa_loop8:
	CMPQ AX, CX
	JGE fa_none
	VCMPPS $0x11, 0(SI)(AX*4), Y8, Y0
	VMOVMSKPS Y0, DX
	TESTL DX, DX
	JNZ fa_found
	ADDQ $8, AX
	JMP fa_loop8
fa_found:
	BSFL DX, DX
	ADDQ DX, AX
	VZEROUPPER
	MOVQ AX, ret+24(FP)
	RET
fa_none:
	VZEROUPPER
	MOVQ CX, ret+24(FP)
	RET
