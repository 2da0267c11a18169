package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

func modelKernel() {
	// Y0..Y7 hold the 4×8 tile (two YMM of 4 doubles per row); per k the two
	// weight vectors are loaded once and used for the four rows.
	TEXT("dgemm4x8AVX2", NOSPLIT, "func(c *[32]float64, x, w *float64, n, ldx int)")
	MOVQ(NewParamAddr("c", 0), RDI)
	MOVQ(NewParamAddr("x", 8), RSI)
	MOVQ(NewParamAddr("w", 16), RDX)
	MOVQ(NewParamAddr("n", 24), RCX)
	MOVQ(NewParamAddr("ldx", 32), R8)
	SHLQ(Imm(3), R8)
	LEAQ(Mem{Base: RSI, Index: R8, Scale: 1}, R9)
	LEAQ(Mem{Base: RSI, Index: R8, Scale: 2}, R10)
	LEAQ(Mem{Base: R9, Index: R8, Scale: 2}, R11)
	VXORPD(Y0, Y0, Y0)
	VXORPD(Y1, Y1, Y1)
	VXORPD(Y2, Y2, Y2)
	VXORPD(Y3, Y3, Y3)
	VXORPD(Y4, Y4, Y4)
	VXORPD(Y5, Y5, Y5)
	VXORPD(Y6, Y6, Y6)
	VXORPD(Y7, Y7, Y7)
	XORQ(RBX, RBX)
	TESTQ(RCX, RCX)
	JLE(LabelRef("dgemm4x8_store"))

	Label("dgemm4x8_loop")
	VMOVUPD(Mem{Base: RDX}, Y8)
	VMOVUPD(Mem{Base: RDX, Disp: 32}, Y9)
	VBROADCASTSD(Mem{Base: RSI, Index: RBX, Scale: 8}, Y10)
	VFMADD231PD(Y8, Y10, Y0)
	VFMADD231PD(Y9, Y10, Y1)
	VBROADCASTSD(Mem{Base: R9, Index: RBX, Scale: 8}, Y11)
	VFMADD231PD(Y8, Y11, Y2)
	VFMADD231PD(Y9, Y11, Y3)
	VBROADCASTSD(Mem{Base: R10, Index: RBX, Scale: 8}, Y12)
	VFMADD231PD(Y8, Y12, Y4)
	VFMADD231PD(Y9, Y12, Y5)
	VBROADCASTSD(Mem{Base: R11, Index: RBX, Scale: 8}, Y13)
	VFMADD231PD(Y8, Y13, Y6)
	VFMADD231PD(Y9, Y13, Y7)
	ADDQ(Imm(64), RDX)
	INCQ(RBX)
	CMPQ(RBX, RCX)
	JLT(LabelRef("dgemm4x8_loop"))

	Label("dgemm4x8_store")
	VMOVUPD(Y0, Mem{Base: RDI})
	VMOVUPD(Y1, Mem{Base: RDI, Disp: 32})
	VMOVUPD(Y2, Mem{Base: RDI, Disp: 64})
	VMOVUPD(Y3, Mem{Base: RDI, Disp: 96})
	VMOVUPD(Y4, Mem{Base: RDI, Disp: 128})
	VMOVUPD(Y5, Mem{Base: RDI, Disp: 160})
	VMOVUPD(Y6, Mem{Base: RDI, Disp: 192})
	VMOVUPD(Y7, Mem{Base: RDI, Disp: 224})
	VZEROUPPER()
	RET()

}
