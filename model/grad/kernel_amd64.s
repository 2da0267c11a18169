//go:build amd64 && !noasm

#include "textflag.h"

// func sgemmColAVX2(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int)
// C[r, 0:8] += Σ_i A(r,i)·B[i, 0:8], one VFMADD231PS per (r, i) in
// increasing i. Y0..Y3 hold four rows of C; per i the B row is loaded once
// and used for the four rows.
TEXT ·sgemmColAVX2(SB), NOSPLIT, $0-72
	MOVQ c+0(FP), DI
	MOVQ ldc+8(FP), R8
	SHLQ $2, R8
	MOVQ a+16(FP), SI
	MOVQ sar+24(FP), R9
	SHLQ $2, R9
	MOVQ sak+32(FP), R10
	SHLQ $2, R10
	MOVQ b+40(FP), DX
	MOVQ ldb+48(FP), R11
	SHLQ $2, R11
	MOVQ m+56(FP), R12
	MOVQ k+64(FP), R13
	IMULQ R11, R13
	ADDQ DX, R13            // R13: end of B
	LEAQ (R9)(R9*2), BX     // BX: 3·sar bytes

rows4:
	CMPQ R12, $4
	JLT rows1
	LEAQ (R8)(R8*2), AX
	VMOVUPS (DI), Y0
	VMOVUPS (DI)(R8*1), Y1
	VMOVUPS (DI)(R8*2), Y2
	VMOVUPS (DI)(AX*1), Y3
	MOVQ SI, AX
	MOVQ DX, CX

loop4:
	VMOVUPS (CX), Y4
	VBROADCASTSS (AX), Y5
	VFMADD231PS Y4, Y5, Y0
	VBROADCASTSS (AX)(R9*1), Y6
	VFMADD231PS Y4, Y6, Y1
	VBROADCASTSS (AX)(R9*2), Y7
	VFMADD231PS Y4, Y7, Y2
	VBROADCASTSS (AX)(BX*1), Y8
	VFMADD231PS Y4, Y8, Y3
	ADDQ R10, AX
	ADDQ R11, CX
	CMPQ CX, R13
	JLT loop4

	LEAQ (R8)(R8*2), AX
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, (DI)(R8*1)
	VMOVUPS Y2, (DI)(R8*2)
	VMOVUPS Y3, (DI)(AX*1)
	LEAQ (DI)(R8*4), DI
	LEAQ (SI)(R9*4), SI
	SUBQ $4, R12
	JMP rows4

rows1:
	TESTQ R12, R12
	JLE done
	VMOVUPS (DI), Y0
	MOVQ SI, AX
	MOVQ DX, CX

loop1:
	VMOVUPS (CX), Y4
	VBROADCASTSS (AX), Y5
	VFMADD231PS Y4, Y5, Y0
	ADDQ R10, AX
	ADDQ R11, CX
	CMPQ CX, R13
	JLT loop1

	VMOVUPS Y0, (DI)
	ADDQ R8, DI
	ADDQ R9, SI
	DECQ R12
	JMP rows1

done:
	VZEROUPPER
	RET
