package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// gradSgemm emits model/grad/sgemm_amd64.s: the float32 product of the
// trainable transformer, one block of 8 or 16 output columns at a time.
// C[r, cols] += Σ_i A(r,i)·B[i, cols] with one VFMADD231PS per (r, i) in
// increasing i, four rows of C in registers while the B row is loaded once.
func gradSgemm() {
	sgemmCols("sgemmColAVX2", "sc1", 1)
	sgemmCols("sgemmCol2AVX2", "sc2", 2)
}

// sgemmCols emits one kernel for a block of 8·w columns (w = 1 or 2).
// Arguments: c *float32, ldc int, a *float32, sar, sak int, b *float32,
// ldb int, m, k int (strides in elements).
func sgemmCols(name, lbl string, w int) {
	TEXT(name, NOSPLIT, "func(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int)")
	MOVQ(NewParamAddr("c", 0), RDI)
	MOVQ(NewParamAddr("ldc", 8), R8)
	SHLQ(Imm(2), R8)
	MOVQ(NewParamAddr("a", 16), RSI)
	MOVQ(NewParamAddr("sar", 24), R9)
	SHLQ(Imm(2), R9)
	MOVQ(NewParamAddr("sak", 32), R10)
	SHLQ(Imm(2), R10)
	MOVQ(NewParamAddr("b", 40), RDX)
	MOVQ(NewParamAddr("ldb", 48), R11)
	SHLQ(Imm(2), R11)
	MOVQ(NewParamAddr("m", 56), R12)
	MOVQ(NewParamAddr("k", 64), R13)
	IMULQ(R11, R13)
	ADDQ(RDX, R13)                                       // R13: end of B
	LEAQ(Mem{Base: R9, Index: R9, Scale: 2}, RBX)        // RBX: 3·sar bytes
	acc := []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7} // row q, half h: acc[q*w+h]
	bv := []VecPhysical{Y8, Y9}
	av := []VecPhysical{Y10, Y11, Y12, Y13}
	rowOff := func(base Register, q int) Mem {
		switch q {
		case 0:
			return Mem{Base: base}
		case 1:
			return Mem{Base: base, Index: R8, Scale: 1}
		case 2:
			return Mem{Base: base, Index: R8, Scale: 2}
		}
		return Mem{Base: base, Index: RAX, Scale: 1}
	}
	aOff := func(q int) Mem {
		switch q {
		case 0:
			return Mem{Base: RAX}
		case 1:
			return Mem{Base: RAX, Index: R9, Scale: 1}
		case 2:
			return Mem{Base: RAX, Index: R9, Scale: 2}
		}
		return Mem{Base: RAX, Index: RBX, Scale: 1}
	}

	Label(lbl + "_rows4")
	CMPQ(R12, Imm(4))
	JLT(LabelRef(lbl + "_rows1"))
	LEAQ(Mem{Base: R8, Index: R8, Scale: 2}, RAX)
	for q := 0; q < 4; q++ {
		for h := 0; h < w; h++ {
			VMOVUPS(rowOff(RDI, q).Offset(32*h), acc[q*w+h])
		}
	}
	MOVQ(RSI, RAX)
	MOVQ(RDX, RCX)
	Label(lbl + "_loop4")
	for h := 0; h < w; h++ {
		VMOVUPS(Mem{Base: RCX, Disp: 32 * h}, bv[h])
	}
	for q := 0; q < 4; q++ {
		VBROADCASTSS(aOff(q), av[q])
		for h := 0; h < w; h++ {
			VFMADD231PS(bv[h], av[q], acc[q*w+h])
		}
	}
	ADDQ(R10, RAX)
	ADDQ(R11, RCX)
	CMPQ(RCX, R13)
	JLT(LabelRef(lbl + "_loop4"))
	LEAQ(Mem{Base: R8, Index: R8, Scale: 2}, RAX)
	for q := 0; q < 4; q++ {
		for h := 0; h < w; h++ {
			VMOVUPS(acc[q*w+h], rowOff(RDI, q).Offset(32*h))
		}
	}
	LEAQ(Mem{Base: RDI, Index: R8, Scale: 4}, RDI)
	LEAQ(Mem{Base: RSI, Index: R9, Scale: 4}, RSI)
	SUBQ(Imm(4), R12)
	JMP(LabelRef(lbl + "_rows4"))

	Label(lbl + "_rows1")
	TESTQ(R12, R12)
	JLE(LabelRef(lbl + "_done"))
	for h := 0; h < w; h++ {
		VMOVUPS(Mem{Base: RDI, Disp: 32 * h}, acc[h])
	}
	MOVQ(RSI, RAX)
	MOVQ(RDX, RCX)
	Label(lbl + "_loop1")
	for h := 0; h < w; h++ {
		VMOVUPS(Mem{Base: RCX, Disp: 32 * h}, bv[h])
	}
	VBROADCASTSS(Mem{Base: RAX}, av[0])
	for h := 0; h < w; h++ {
		VFMADD231PS(bv[h], av[0], acc[h])
	}
	ADDQ(R10, RAX)
	ADDQ(R11, RCX)
	CMPQ(RCX, R13)
	JLT(LabelRef(lbl + "_loop1"))
	for h := 0; h < w; h++ {
		VMOVUPS(acc[h], Mem{Base: RDI, Disp: 32 * h})
	}
	ADDQ(R8, RDI)
	ADDQ(R9, RSI)
	DECQ(R12)
	JMP(LabelRef(lbl + "_rows1"))

	Label(lbl + "_done")
	VZEROUPPER()
	RET()
}
