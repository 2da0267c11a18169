package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// saeGemm emits sae/gemm_amd64.s. Dense small matrix products (the standard
// and gated steps, the encoders): k-unrolled with independent accumulators
// so FMA latency does not serialise the loops, in 4-row × 16-column register
// blocks where the shapes allow.
func saeGemm() {
	gemmAcc()
	gemmTNAcc()

	// For r < rows4 (multiple of 4), j < 16: out[r*s+j] += Σ_k a[r*d+k] · w[k*ws+j].
	TEXT("gemm4x16AVX2", NOSPLIT, "func(out, a, w *float32, rows4, d, s, ws int)")
	MOVQ(NewParamAddr("out", 0), RDI)
	MOVQ(NewParamAddr("a", 8), RSI)
	MOVQ(NewParamAddr("w", 16), RDX)
	MOVQ(NewParamAddr("rows4", 24), R9)
	MOVQ(NewParamAddr("d", 32), R10)
	MOVQ(NewParamAddr("s", 40), R11)
	SHLQ(Imm(2), R11) // out/w row stride in bytes
	MOVQ(R10, R12)
	SHLQ(Imm(2), R12) // a row stride in bytes
	SHRQ(Imm(2), R9)
	JZ(LabelRef("b4_done"))
	TESTQ(R10, R10)
	JZ(LabelRef("b4_done"))
	Label("b4_rows")
	LEAQ(Mem{Base: RDI, Index: R11, Scale: 1}, R13) // out row 1
	LEAQ(Mem{Base: R13, Index: R11, Scale: 1}, R14) // out row 2
	LEAQ(Mem{Base: R14, Index: R11, Scale: 1}, R15) // out row 3
	VMOVUPS(Mem{Base: RDI}, Y0)
	VMOVUPS(Mem{Base: RDI, Disp: 32}, Y1)
	VMOVUPS(Mem{Base: R13}, Y2)
	VMOVUPS(Mem{Base: R13, Disp: 32}, Y3)
	VMOVUPS(Mem{Base: R14}, Y4)
	VMOVUPS(Mem{Base: R14, Disp: 32}, Y5)
	VMOVUPS(Mem{Base: R15}, Y6)
	VMOVUPS(Mem{Base: R15, Disp: 32}, Y7)
	MOVQ(RSI, RAX)                                  // a row 0, column k
	LEAQ(Mem{Base: RSI, Index: R12, Scale: 1}, RBX) // a row 1
	LEAQ(Mem{Base: RBX, Index: R12, Scale: 1}, R8)  // a row 2
	MOVQ(RDX, RCX)                                  // w row k
	MOVQ(R10, R13)                                  // k counter (out row pointers reloaded later)
	MOVQ(NewParamAddr("ws", 48), R14)
	SHLQ(Imm(2), R14) // w row stride in bytes
	Label("b4_k")
	VMOVUPS(Mem{Base: RCX}, Y8)
	VMOVUPS(Mem{Base: RCX, Disp: 32}, Y9)
	VBROADCASTSS(Mem{Base: RAX}, Y10)
	VFMADD231PS(Y8, Y10, Y0)
	VFMADD231PS(Y9, Y10, Y1)
	VBROADCASTSS(Mem{Base: RBX}, Y11)
	VFMADD231PS(Y8, Y11, Y2)
	VFMADD231PS(Y9, Y11, Y3)
	VBROADCASTSS(Mem{Base: R8}, Y12)
	VFMADD231PS(Y8, Y12, Y4)
	VFMADD231PS(Y9, Y12, Y5)
	VBROADCASTSS(Mem{Base: R8, Index: R12, Scale: 1}, Y13)
	VFMADD231PS(Y8, Y13, Y6)
	VFMADD231PS(Y9, Y13, Y7)
	ADDQ(Imm(4), RAX)
	ADDQ(Imm(4), RBX)
	ADDQ(Imm(4), R8)
	ADDQ(R14, RCX)
	DECQ(R13)
	JNZ(LabelRef("b4_k"))
	LEAQ(Mem{Base: RDI, Index: R11, Scale: 1}, R13)
	LEAQ(Mem{Base: R13, Index: R11, Scale: 1}, R14)
	LEAQ(Mem{Base: R14, Index: R11, Scale: 1}, R15)
	VMOVUPS(Y0, Mem{Base: RDI})
	VMOVUPS(Y1, Mem{Base: RDI, Disp: 32})
	VMOVUPS(Y2, Mem{Base: R13})
	VMOVUPS(Y3, Mem{Base: R13, Disp: 32})
	VMOVUPS(Y4, Mem{Base: R14})
	VMOVUPS(Y5, Mem{Base: R14, Disp: 32})
	VMOVUPS(Y6, Mem{Base: R15})
	VMOVUPS(Y7, Mem{Base: R15, Disp: 32})
	LEAQ(Mem{Base: R15, Index: R11, Scale: 1}, RDI) // out row r+4
	LEAQ(Mem{Base: RSI, Index: R12, Scale: 4}, RSI) // a row r+4
	DECQ(R9)
	JNZ(LabelRef("b4_rows"))
	Label("b4_done")
	VZEROUPPER()
	RET()

	// For i < m4 (multiple of 4), j < 16: out[i*p+j] += Σ_b a[b*lda+i] · w[b*p+j].
	TEXT("gemmTN4x16AVX2", NOSPLIT, "func(out, a, w *float32, n, m4, p, lda int)")
	MOVQ(NewParamAddr("out", 0), RDI)
	MOVQ(NewParamAddr("a", 8), RSI)
	MOVQ(NewParamAddr("w", 16), RDX)
	MOVQ(NewParamAddr("n", 24), R10)
	MOVQ(NewParamAddr("m4", 32), R9)
	MOVQ(NewParamAddr("p", 40), R11)
	SHLQ(Imm(2), R11) // out/w row stride in bytes
	MOVQ(NewParamAddr("lda", 48), R12)
	SHLQ(Imm(2), R12) // a row stride in bytes
	SHRQ(Imm(2), R9)
	JZ(LabelRef("tn4_done"))
	TESTQ(R10, R10)
	JZ(LabelRef("tn4_done"))
	Label("tn4_rows")
	LEAQ(Mem{Base: RDI, Index: R11, Scale: 1}, R13)
	LEAQ(Mem{Base: R13, Index: R11, Scale: 1}, R14)
	LEAQ(Mem{Base: R14, Index: R11, Scale: 1}, R15)
	VMOVUPS(Mem{Base: RDI}, Y0)
	VMOVUPS(Mem{Base: RDI, Disp: 32}, Y1)
	VMOVUPS(Mem{Base: R13}, Y2)
	VMOVUPS(Mem{Base: R13, Disp: 32}, Y3)
	VMOVUPS(Mem{Base: R14}, Y4)
	VMOVUPS(Mem{Base: R14, Disp: 32}, Y5)
	VMOVUPS(Mem{Base: R15}, Y6)
	VMOVUPS(Mem{Base: R15, Disp: 32}, Y7)
	MOVQ(RSI, RAX) // &a[b, i]
	MOVQ(RDX, RCX) // &w[b, 0]
	MOVQ(R10, RBX) // b counter
	Label("tn4_b")
	VMOVUPS(Mem{Base: RCX}, Y8)
	VMOVUPS(Mem{Base: RCX, Disp: 32}, Y9)
	VBROADCASTSS(Mem{Base: RAX}, Y10)
	VFMADD231PS(Y8, Y10, Y0)
	VFMADD231PS(Y9, Y10, Y1)
	VBROADCASTSS(Mem{Base: RAX, Disp: 4}, Y11)
	VFMADD231PS(Y8, Y11, Y2)
	VFMADD231PS(Y9, Y11, Y3)
	VBROADCASTSS(Mem{Base: RAX, Disp: 8}, Y12)
	VFMADD231PS(Y8, Y12, Y4)
	VFMADD231PS(Y9, Y12, Y5)
	VBROADCASTSS(Mem{Base: RAX, Disp: 12}, Y13)
	VFMADD231PS(Y8, Y13, Y6)
	VFMADD231PS(Y9, Y13, Y7)
	ADDQ(R12, RAX)
	ADDQ(R11, RCX)
	DECQ(RBX)
	JNZ(LabelRef("tn4_b"))
	VMOVUPS(Y0, Mem{Base: RDI})
	VMOVUPS(Y1, Mem{Base: RDI, Disp: 32})
	VMOVUPS(Y2, Mem{Base: R13})
	VMOVUPS(Y3, Mem{Base: R13, Disp: 32})
	VMOVUPS(Y4, Mem{Base: R14})
	VMOVUPS(Y5, Mem{Base: R14, Disp: 32})
	VMOVUPS(Y6, Mem{Base: R15})
	VMOVUPS(Y7, Mem{Base: R15, Disp: 32})
	LEAQ(Mem{Base: R15, Index: R11, Scale: 1}, RDI) // out row i+4
	ADDQ(Imm(16), RSI)                              // a column i+4
	DECQ(R9)
	JNZ(LabelRef("tn4_rows"))
	Label("tn4_done")
	VZEROUPPER()
	RET()
}
