package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// rowPanelGemm emits gemmAccAVX2 and gemmTNAccAVX2, which share one body:
// for each of R9 output rows (at DI, R13 bytes apart) and each of R10
// terms k (a values at SI, R8 bytes apart; w rows at DX, R13 bytes apart),
// out[j] += a_k · w_k[j] for j < R12 (a multiple of 8). The columns go in
// blocks of 32, 16 and 8; each block keeps its partial sums in two or
// four independent sets of accumulators (k unrolled) so that the FMA
// latency does not serialise the loop, and adds them at the end. setup
// loads the arguments into those registers; nextRow advances SI and DI to
// the next output row.
func rowPanelGemm(name, signature string, setup, nextRow func()) {
	l := func(s string) string { return name + "_" + s }
	TEXT(name, NOSPLIT, signature)
	setup()
	TESTQ(R9, R9)
	JZ(LabelRef(l("done")))
	TESTQ(R10, R10)
	JZ(LabelRef(l("done")))
	Label(l("row"))
	XORQ(RBX, RBX) // column
	out := func(v int) Mem { return Mem{Base: RDI, Index: RBX, Scale: 4, Disp: 32 * v} }
	wRow := func(v int) Mem { return Mem{Base: R14, Disp: 32 * v} }
	ys := []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11}
	// startBlock loads the block's first accumulators from out, zeroes the
	// others from, and points R14 at the w rows, R15 at the a values, CX
	// at the term count.
	startBlock := func(loaded, zeroFrom, zeroTo int) {
		for v := 0; v < loaded; v++ {
			VMOVUPS(out(v), ys[v])
		}
		for v := zeroFrom; v < zeroTo; v++ {
			VXORPS(ys[v], ys[v], ys[v])
		}
		LEAQ(Mem{Base: RDX, Index: RBX, Scale: 4}, R14)
		MOVQ(RSI, R15)
		MOVQ(R10, RCX)
	}
	nextA := func(y VecPhysical) {
		VBROADCASTSS(Mem{Base: R15}, y)
		ADDQ(R8, R15)
	}

	// 32 columns: two sets of four accumulators, two terms a step.
	Label(l("b32"))
	MOVQ(R12, RAX)
	SUBQ(RBX, RAX) // columns left
	CMPQ(RAX, Imm(32))
	JLT(LabelRef(l("b16")))
	startBlock(4, 4, 8)
	Label(l("k32x2"))
	CMPQ(RCX, Imm(2))
	JLT(LabelRef(l("k32x1")))
	nextA(Y8)
	nextA(Y9)
	for v := 0; v < 4; v++ {
		VFMADD231PS(wRow(v), Y8, ys[v])
	}
	ADDQ(R13, R14)
	for v := 0; v < 4; v++ {
		VFMADD231PS(wRow(v), Y9, ys[v+4])
	}
	ADDQ(R13, R14)
	SUBQ(Imm(2), RCX)
	JMP(LabelRef(l("k32x2")))
	Label(l("k32x1"))
	TESTQ(RCX, RCX)
	JZ(LabelRef(l("s32")))
	VBROADCASTSS(Mem{Base: R15}, Y8)
	for v := 0; v < 4; v++ {
		VFMADD231PS(wRow(v), Y8, ys[v])
	}
	Label(l("s32"))
	for v := 0; v < 4; v++ {
		VADDPS(ys[v+4], ys[v], ys[v])
		VMOVUPS(ys[v], out(v))
	}
	ADDQ(Imm(32), RBX)
	JMP(LabelRef(l("b32")))

	// 16 columns: four sets of two accumulators, four terms a step.
	Label(l("b16"))
	CMPQ(RAX, Imm(16))
	JLT(LabelRef(l("b8")))
	startBlock(2, 2, 8)
	Label(l("k16x4"))
	CMPQ(RCX, Imm(4))
	JLT(LabelRef(l("k16x1")))
	for u := 0; u < 4; u++ {
		nextA(ys[8+u])
	}
	for u := 0; u < 4; u++ {
		VFMADD231PS(wRow(0), ys[8+u], ys[2*u])
		VFMADD231PS(wRow(1), ys[8+u], ys[2*u+1])
		ADDQ(R13, R14)
	}
	SUBQ(Imm(4), RCX)
	JMP(LabelRef(l("k16x4")))
	Label(l("k16x1"))
	TESTQ(RCX, RCX)
	JZ(LabelRef(l("s16")))
	nextA(Y8)
	VFMADD231PS(wRow(0), Y8, Y0)
	VFMADD231PS(wRow(1), Y8, Y1)
	ADDQ(R13, R14)
	DECQ(RCX)
	JMP(LabelRef(l("k16x1")))
	Label(l("s16"))
	VADDPS(Y2, Y0, Y0)
	VADDPS(Y4, Y6, Y4)
	VADDPS(Y4, Y0, Y0)
	VADDPS(Y3, Y1, Y1)
	VADDPS(Y5, Y7, Y5)
	VADDPS(Y5, Y1, Y1)
	VMOVUPS(Y0, out(0))
	VMOVUPS(Y1, out(1))
	ADDQ(Imm(16), RBX)
	JMP(LabelRef(l("b32")))

	// 8 columns: four accumulators, four terms a step.
	Label(l("b8"))
	CMPQ(RAX, Imm(8))
	JLT(LabelRef(l("next")))
	startBlock(1, 1, 4)
	Label(l("k8x4"))
	CMPQ(RCX, Imm(4))
	JLT(LabelRef(l("k8x1")))
	for u := 0; u < 4; u++ {
		nextA(ys[8+u])
	}
	for u := 0; u < 4; u++ {
		VFMADD231PS(wRow(0), ys[8+u], ys[u])
		ADDQ(R13, R14)
	}
	SUBQ(Imm(4), RCX)
	JMP(LabelRef(l("k8x4")))
	Label(l("k8x1"))
	TESTQ(RCX, RCX)
	JZ(LabelRef(l("s8")))
	nextA(Y8)
	VFMADD231PS(wRow(0), Y8, Y0)
	ADDQ(R13, R14)
	DECQ(RCX)
	JMP(LabelRef(l("k8x1")))
	Label(l("s8"))
	VADDPS(Y1, Y0, Y0)
	VADDPS(Y2, Y3, Y2)
	VADDPS(Y2, Y0, Y0)
	VMOVUPS(Y0, out(0))
	ADDQ(Imm(8), RBX)
	JMP(LabelRef(l("b32")))

	Label(l("next"))
	nextRow()
	DECQ(R9)
	JNZ(LabelRef(l("row")))
	Label(l("done"))
	VZEROUPPER()
	RET()
}

// gemmAcc emits gemmAccAVX2: for r < rows, j < s8 (a multiple of 8),
// out[r*s+j] += Σ_k a[r*d+k]·w[k*s+j].
func gemmAcc() {
	rowPanelGemm("gemmAccAVX2", "func(out, a, w *float32, rows, d, s, s8 int)", func() {
		MOVQ(NewParamAddr("out", 0), RDI)
		MOVQ(NewParamAddr("a", 8), RSI)
		MOVQ(NewParamAddr("w", 16), RDX)
		MOVQ(NewParamAddr("rows", 24), R9)
		MOVQ(NewParamAddr("d", 32), R10)
		MOVQ(NewParamAddr("s", 40), R11)
		MOVQ(NewParamAddr("s8", 48), R12)
		MOVQ(R11, R13)
		SHLQ(Imm(2), R13) // w and out row stride in bytes
		MOVQ(U32(4), R8)  // a's terms are adjacent
	}, func() {
		LEAQ(Mem{Base: RSI, Index: R10, Scale: 4}, RSI) // next a row
		ADDQ(R13, RDI)
	})
}

// gemmTNAcc emits gemmTNAccAVX2: for i < m, j < p8 (a multiple of 8),
// out[i*p+j] += Σ_b a[b*m+i]·w[b*p+j] (a [n, m], w [n, p], out [m, p]); R9
// counts the m output rows, R10 the n terms.
func gemmTNAcc() {
	rowPanelGemm("gemmTNAccAVX2", "func(out, a, w *float32, n, m, p, p8 int)", func() {
		MOVQ(NewParamAddr("out", 0), RDI)
		MOVQ(NewParamAddr("a", 8), RSI)
		MOVQ(NewParamAddr("w", 16), RDX)
		MOVQ(NewParamAddr("m", 32), R9)
		MOVQ(NewParamAddr("n", 24), R10)
		MOVQ(NewParamAddr("p", 40), R11)
		MOVQ(NewParamAddr("p8", 48), R12)
		MOVQ(R11, R13)
		SHLQ(Imm(2), R13) // w and out row stride in bytes
		MOVQ(R9, R8)
		SHLQ(Imm(2), R8) // a's terms are a row (m values) apart
	}, func() {
		ADDQ(Imm(4), RSI) // next a column
		ADDQ(R13, RDI)
	})
}
