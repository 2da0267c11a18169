//go:build amd64 && !noasm

#include "textflag.h"

// func gatedDotsAVX2(w, dvia, dy *float32, rows *int32, nrows, ld, n8 int, outP, outF *float32)
// For t < nrows, r = rows[t]: outP[t] = Σ_{j<n8} dvia[r*ld+j]·w[j] and
// outF[t] = Σ_{j<n8} dy[r*ld+j]·w[j] (n8 a multiple of 8): both dot
// products of a row pair against one decoder row, which is loaded once.
TEXT ·gatedDotsAVX2(SB), NOSPLIT, $0-72
	MOVQ w+0(FP), SI
	MOVQ dvia+8(FP), R8
	MOVQ dy+16(FP), R9
	MOVQ rows+24(FP), R10
	MOVQ nrows+32(FP), R11
	MOVQ ld+40(FP), R12
	SHLQ $2, R12
	MOVQ n8+48(FP), R13
	MOVQ outP+56(FP), DI
	XORQ BX, BX
gd_row:
	CMPQ BX, R11
	JGE gd_done
	MOVLQSX (R10)(BX*4), AX
	IMULQ R12, AX
	LEAQ (R8)(AX*1), R14
	LEAQ (R9)(AX*1), AX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	XORQ CX, CX
gd_16:
	MOVQ R13, DX
	SUBQ CX, DX
	CMPQ DX, $16
	JLT gd_8
	VMOVUPS 0(SI)(CX*4), Y4
	VMOVUPS 32(SI)(CX*4), Y5
	VFMADD231PS 0(R14)(CX*4), Y4, Y0
	VFMADD231PS 32(R14)(CX*4), Y5, Y1
	VFMADD231PS 0(AX)(CX*4), Y4, Y2
	VFMADD231PS 32(AX)(CX*4), Y5, Y3
	ADDQ $16, CX
	JMP gd_16
gd_8:
	CMPQ DX, $8
	JLT gd_sum
	VMOVUPS 0(SI)(CX*4), Y4
	VFMADD231PS 0(R14)(CX*4), Y4, Y0
	VFMADD231PS 0(AX)(CX*4), Y4, Y2
gd_sum:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
	MOVSS X0, (DI)(BX*4)
	VEXTRACTF128 $1, Y2, X3
	VADDPS X3, X2, X2
	VHADDPS X2, X2, X2
	VHADDPS X2, X2, X2
	MOVQ outF+64(FP), DX
	MOVSS X2, (DX)(BX*4)
	INCQ BX
	JMP gd_row
gd_done:
	VZEROUPPER
	RET

// func gaxpy2AVX2(y, v, w *float32, ks *int32, xf, xp *float32, nnz, ld, n8 int)
// For j < n8 (a multiple of 8): y[j] += Σ_t xf[t]·w[ks[t]*ld+j] and
// v[j] += Σ_t xp[t]·w[ks[t]*ld+j], each summed in t order: two gathered
// axpys over the same rows of w, each row loaded once.
TEXT ·gaxpy2AVX2(SB), NOSPLIT, $0-72
	MOVQ y+0(FP), DI
	MOVQ v+8(FP), DX
	MOVQ w+16(FP), SI
	MOVQ ks+24(FP), R8
	MOVQ xf+32(FP), R9
	MOVQ xp+40(FP), R10
	MOVQ nnz+48(FP), R11
	MOVQ ld+56(FP), R12
	SHLQ $2, R12
	MOVQ n8+64(FP), R13
	XORQ BX, BX
	TESTQ R11, R11
	JZ g2_done
g2_b32:
	MOVQ R13, AX
	SUBQ BX, AX
	CMPQ AX, $32
	JLT g2_b8
	VMOVUPS 0(DI)(BX*4), Y0
	VMOVUPS 32(DI)(BX*4), Y1
	VMOVUPS 64(DI)(BX*4), Y2
	VMOVUPS 96(DI)(BX*4), Y3
	VMOVUPS 0(DX)(BX*4), Y4
	VMOVUPS 32(DX)(BX*4), Y5
	VMOVUPS 64(DX)(BX*4), Y6
	VMOVUPS 96(DX)(BX*4), Y7
	LEAQ (SI)(BX*4), R14
	XORQ CX, CX
g2_t32:
	MOVLQSX (R8)(CX*4), AX
	IMULQ R12, AX
	ADDQ R14, AX
	VBROADCASTSS (R9)(CX*4), Y8
	VBROADCASTSS (R10)(CX*4), Y9
	VMOVUPS 0(AX), Y10
	VMOVUPS 32(AX), Y11
	VMOVUPS 64(AX), Y12
	VMOVUPS 96(AX), Y13
	VFMADD231PS Y10, Y8, Y0
	VFMADD231PS Y11, Y8, Y1
	VFMADD231PS Y12, Y8, Y2
	VFMADD231PS Y13, Y8, Y3
	VFMADD231PS Y10, Y9, Y4
	VFMADD231PS Y11, Y9, Y5
	VFMADD231PS Y12, Y9, Y6
	VFMADD231PS Y13, Y9, Y7
	INCQ CX
	CMPQ CX, R11
	JLT g2_t32
	VMOVUPS Y0, 0(DI)(BX*4)
	VMOVUPS Y1, 32(DI)(BX*4)
	VMOVUPS Y2, 64(DI)(BX*4)
	VMOVUPS Y3, 96(DI)(BX*4)
	VMOVUPS Y4, 0(DX)(BX*4)
	VMOVUPS Y5, 32(DX)(BX*4)
	VMOVUPS Y6, 64(DX)(BX*4)
	VMOVUPS Y7, 96(DX)(BX*4)
	ADDQ $32, BX
	JMP g2_b32
g2_b8:
	MOVQ R13, AX
	SUBQ BX, AX
	CMPQ AX, $8
	JLT g2_done
	VMOVUPS 0(DI)(BX*4), Y0
	VMOVUPS 0(DX)(BX*4), Y4
	LEAQ (SI)(BX*4), R14
	XORQ CX, CX
g2_t8:
	MOVLQSX (R8)(CX*4), AX
	IMULQ R12, AX
	ADDQ R14, AX
	VBROADCASTSS (R9)(CX*4), Y8
	VBROADCASTSS (R10)(CX*4), Y9
	VMOVUPS 0(AX), Y10
	VFMADD231PS Y10, Y8, Y0
	VFMADD231PS Y10, Y9, Y4
	INCQ CX
	CMPQ CX, R11
	JLT g2_t8
	VMOVUPS Y0, 0(DI)(BX*4)
	VMOVUPS Y4, 0(DX)(BX*4)
	ADDQ $8, BX
	JMP g2_b8
g2_done:
	VZEROUPPER
	RET
