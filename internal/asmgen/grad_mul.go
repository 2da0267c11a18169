package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// gradMul emits model/grad/mul_amd64.s: dst[i] *= src[i] (the backward
// pass's dpost ⊙ act'(pre)) and dst[i] += src[i] (the sum of the chunks'
// gradient partials) over float32 slices, 32 elements per iteration, then
// 8 at a time. One rounded operation per element, as in Go.
func gradMul() {
	elementwise("mulRowsAVX2", "mul", "mulRowsAVX2 sets dst[i] *= src[i] for i < n (n a multiple of 8).", VMULPS)
	elementwise("addRowsAVX2", "add", "addRowsAVX2 sets dst[i] += src[i] for i < n (n a multiple of 8).", VADDPS)
}

// elementwise emits dst[i] = op(dst[i], src[i]) for i < n.
func elementwise(name, lbl, doc string, op func(ops ...Op)) {
	TEXT(name, NOSPLIT, "func(dst, src *float32, n int)")
	Doc(doc)
	MOVQ(NewParamAddr("dst", 0), RDI)
	MOVQ(NewParamAddr("src", 8), RSI)
	MOVQ(NewParamAddr("n", 16), RCX)
	Label(lbl + "_32")
	CMPQ(RCX, Imm(32))
	JLT(LabelRef(lbl + "_8"))
	ys := []VecPhysical{Y0, Y1, Y2, Y3}
	for u, y := range ys {
		VMOVUPS(Mem{Base: RDI, Disp: 32 * u}, y)
	}
	for u, y := range ys {
		op(Mem{Base: RSI, Disp: 32 * u}, y, y)
	}
	for u, y := range ys {
		VMOVUPS(y, Mem{Base: RDI, Disp: 32 * u})
	}
	ADDQ(Imm(128), RDI)
	ADDQ(Imm(128), RSI)
	SUBQ(Imm(32), RCX)
	JMP(LabelRef(lbl + "_32"))
	Label(lbl + "_8")
	CMPQ(RCX, Imm(8))
	JLT(LabelRef(lbl + "_done"))
	VMOVUPS(Mem{Base: RDI}, Y0)
	op(Mem{Base: RSI}, Y0, Y0)
	VMOVUPS(Y0, Mem{Base: RDI})
	ADDQ(Imm(32), RDI)
	ADDQ(Imm(32), RSI)
	SUBQ(Imm(8), RCX)
	JMP(LabelRef(lbl + "_8"))
	Label(lbl + "_done")
	VZEROUPPER()
	RET()
}
