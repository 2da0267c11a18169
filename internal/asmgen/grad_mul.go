package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// gradMul emits model/grad/mul_amd64.s: dst[i] *= src[i] over float32
// slices (the backward pass's dpost ⊙ act'(pre)), 32 elements per
// iteration, then 8 at a time. One rounded multiply per element, as in Go.
func gradMul() {
	TEXT("mulRowsAVX2", NOSPLIT, "func(dst, src *float32, n int)")
	Doc("mulRowsAVX2 sets dst[i] *= src[i] for i < n (n a multiple of 8).")
	MOVQ(NewParamAddr("dst", 0), RDI)
	MOVQ(NewParamAddr("src", 8), RSI)
	MOVQ(NewParamAddr("n", 16), RCX)
	Label("mul32")
	CMPQ(RCX, Imm(32))
	JLT(LabelRef("mul8"))
	ys := []VecPhysical{Y0, Y1, Y2, Y3}
	for u, y := range ys {
		VMOVUPS(Mem{Base: RDI, Disp: 32 * u}, y)
	}
	for u, y := range ys {
		VMULPS(Mem{Base: RSI, Disp: 32 * u}, y, y)
	}
	for u, y := range ys {
		VMOVUPS(y, Mem{Base: RDI, Disp: 32 * u})
	}
	ADDQ(Imm(128), RDI)
	ADDQ(Imm(128), RSI)
	SUBQ(Imm(32), RCX)
	JMP(LabelRef("mul32"))
	Label("mul8")
	CMPQ(RCX, Imm(8))
	JLT(LabelRef("done"))
	VMOVUPS(Mem{Base: RDI}, Y0)
	VMULPS(Mem{Base: RSI}, Y0, Y0)
	VMOVUPS(Y0, Mem{Base: RDI})
	ADDQ(Imm(32), RDI)
	ADDQ(Imm(32), RSI)
	SUBQ(Imm(8), RCX)
	JMP(LabelRef("mul8"))
	Label("done")
	VZEROUPPER()
	RET()
}
