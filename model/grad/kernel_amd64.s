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

// func sgemmCol2AVX2(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int)
// sgemmColAVX2 for a block of 16 columns: Y0..Y7 hold four rows of C (two
// registers each), so eight independent FMA chains run per step of i.
TEXT ·sgemmCol2AVX2(SB), NOSPLIT, $0-72
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

c2rows4:
	CMPQ R12, $4
	JLT c2rows1
	LEAQ (R8)(R8*2), AX
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS (DI)(R8*1), Y2
	VMOVUPS 32(DI)(R8*1), Y3
	VMOVUPS (DI)(R8*2), Y4
	VMOVUPS 32(DI)(R8*2), Y5
	VMOVUPS (DI)(AX*1), Y6
	VMOVUPS 32(DI)(AX*1), Y7
	MOVQ SI, AX
	MOVQ DX, CX

c2loop4:
	VMOVUPS (CX), Y8
	VMOVUPS 32(CX), Y9
	VBROADCASTSS (AX), Y10
	VFMADD231PS Y8, Y10, Y0
	VFMADD231PS Y9, Y10, Y1
	VBROADCASTSS (AX)(R9*1), Y11
	VFMADD231PS Y8, Y11, Y2
	VFMADD231PS Y9, Y11, Y3
	VBROADCASTSS (AX)(R9*2), Y12
	VFMADD231PS Y8, Y12, Y4
	VFMADD231PS Y9, Y12, Y5
	VBROADCASTSS (AX)(BX*1), Y13
	VFMADD231PS Y8, Y13, Y6
	VFMADD231PS Y9, Y13, Y7
	ADDQ R10, AX
	ADDQ R11, CX
	CMPQ CX, R13
	JLT c2loop4

	LEAQ (R8)(R8*2), AX
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, (DI)(R8*1)
	VMOVUPS Y3, 32(DI)(R8*1)
	VMOVUPS Y4, (DI)(R8*2)
	VMOVUPS Y5, 32(DI)(R8*2)
	VMOVUPS Y6, (DI)(AX*1)
	VMOVUPS Y7, 32(DI)(AX*1)
	LEAQ (DI)(R8*4), DI
	LEAQ (SI)(R9*4), SI
	SUBQ $4, R12
	JMP c2rows4

c2rows1:
	TESTQ R12, R12
	JLE c2done
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	MOVQ SI, AX
	MOVQ DX, CX

c2loop1:
	VMOVUPS (CX), Y8
	VMOVUPS 32(CX), Y9
	VBROADCASTSS (AX), Y10
	VFMADD231PS Y8, Y10, Y0
	VFMADD231PS Y9, Y10, Y1
	ADDQ R10, AX
	ADDQ R11, CX
	CMPQ CX, R13
	JLT c2loop1

	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ R8, DI
	ADDQ R9, SI
	DECQ R12
	JMP c2rows1

c2done:
	VZEROUPPER
	RET
