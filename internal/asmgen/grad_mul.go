package main

import (
	"fmt"

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
	colSums()
}

// colSums emits colSumsAVX2: c[j] += b[0,j] + b[1,j] + … + b[k-1,j], added
// in that order (the bias gradients: the chain an sgemm with a row of ones
// makes, 1·x being exact), 64 columns at a time in eight accumulators so
// that the additions of one row do not wait on each other, then 32, 16
// and 8.
func colSums() {
	TEXT("colSumsAVX2", NOSPLIT, "func(c, b *float32, ldb, k, n int)")
	Doc("colSumsAVX2 sets c[j] += Σ_{i<k} b[i*ldb+j], in increasing i, for j < n (n a multiple of 8).")
	MOVQ(NewParamAddr("c", 0), RDI)
	MOVQ(NewParamAddr("b", 8), RSI)
	MOVQ(NewParamAddr("ldb", 16), RDX)
	MOVQ(NewParamAddr("k", 24), R8)
	MOVQ(NewParamAddr("n", 32), RCX)
	SHLQ(Imm(2), RDX) // row stride in bytes
	acc := []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7}
	for _, w := range []int{8, 4, 2, 1} {
		lbl := fmt.Sprintf("cs%d", w)
		Label(lbl)
		CMPQ(RCX, Imm(uint64(8*w)))
		JLT(LabelRef(lbl + "_end"))
		for u := 0; u < w; u++ {
			VMOVUPS(Mem{Base: RDI, Disp: 32 * u}, acc[u])
		}
		MOVQ(RSI, RAX) // row pointer
		MOVQ(R8, R9)   // rows left
		TESTQ(R9, R9)
		JZ(LabelRef(lbl + "_store"))
		Label(lbl + "_row")
		for u := 0; u < w; u++ {
			VADDPS(Mem{Base: RAX, Disp: 32 * u}, acc[u], acc[u])
		}
		ADDQ(RDX, RAX)
		DECQ(R9)
		JNZ(LabelRef(lbl + "_row"))
		Label(lbl + "_store")
		for u := 0; u < w; u++ {
			VMOVUPS(acc[u], Mem{Base: RDI, Disp: 32 * u})
		}
		ADDQ(U32(32*w), RDI)
		ADDQ(U32(32*w), RSI)
		SUBQ(Imm(uint64(8*w)), RCX)
		JMP(LabelRef(lbl))
		Label(lbl + "_end")
	}
	VZEROUPPER()
	RET()
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
