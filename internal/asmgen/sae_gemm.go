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

	gemm4x16()
	gemmTN4x16()
	gemm6x16()
}

// tileAcc are the accumulators of a 4-row × 16-column output tile: row r
// in tileAcc[r] (columns 0-7, 8-15).
var tileAcc = [4][2]VecPhysical{{Y0, Y1}, {Y2, Y3}, {Y4, Y5}, {Y6, Y7}}

// tileRows points R13, R14, R15 at output rows 1-3 of the tile whose row 0
// is at DI (R11 bytes apart) and returns the four row registers.
func tileRows() [4]GPPhysical {
	LEAQ(Mem{Base: RDI, Index: R11, Scale: 1}, R13)
	LEAQ(Mem{Base: R13, Index: R11, Scale: 1}, R14)
	LEAQ(Mem{Base: R14, Index: R11, Scale: 1}, R15)
	return [4]GPPhysical{RDI, R13, R14, R15}
}

// loadTile and storeTile move the tile between its rows and tileAcc.
func loadTile(rows [4]GPPhysical) {
	for r, base := range rows {
		VMOVUPS(Mem{Base: base}, tileAcc[r][0])
		VMOVUPS(Mem{Base: base, Disp: 32}, tileAcc[r][1])
	}
}

func storeTile(rows [4]GPPhysical) {
	for r, base := range rows {
		VMOVUPS(tileAcc[r][0], Mem{Base: base})
		VMOVUPS(tileAcc[r][1], Mem{Base: base, Disp: 32})
	}
}

// fmaTile adds one term to the tile: the 16 values of the w row at w
// (Y8, Y9) times each row's a value (broadcast into Y10-Y13).
func fmaTile(w GPPhysical, a [4]Mem) {
	VMOVUPS(Mem{Base: w}, Y8)
	VMOVUPS(Mem{Base: w, Disp: 32}, Y9)
	for r, ar := range a {
		b := []VecPhysical{Y10, Y11, Y12, Y13}[r]
		VBROADCASTSS(ar, b)
		VFMADD231PS(Y8, b, tileAcc[r][0])
		VFMADD231PS(Y9, b, tileAcc[r][1])
	}
}

// gemm4x16 emits gemm4x16AVX2: for r < rows4 (a multiple of 4), j < 16,
// out[r*s+j] += Σ_k a[r*d+k]·w[k*ws+j], one 4×16 tile in registers per
// four rows.
func gemm4x16() {
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
	SHRQ(Imm(2), R9)  // tiles
	JZ(LabelRef("b4_done"))
	TESTQ(R10, R10)
	JZ(LabelRef("b4_done"))
	Label("b4_rows")
	loadTile(tileRows())
	MOVQ(RSI, RAX)                                  // a row 0, column k
	LEAQ(Mem{Base: RSI, Index: R12, Scale: 1}, RBX) // a row 1
	LEAQ(Mem{Base: RBX, Index: R12, Scale: 1}, R8)  // a row 2
	MOVQ(RDX, RCX)                                  // w row k
	MOVQ(R10, R13)                                  // k counter (out row pointers reloaded later)
	MOVQ(NewParamAddr("ws", 48), R14)
	SHLQ(Imm(2), R14) // w row stride in bytes
	Label("b4_k")
	fmaTile(RCX, [4]Mem{{Base: RAX}, {Base: RBX}, {Base: R8}, {Base: R8, Index: R12, Scale: 1}})
	ADDQ(Imm(4), RAX)
	ADDQ(Imm(4), RBX)
	ADDQ(Imm(4), R8)
	ADDQ(R14, RCX)
	DECQ(R13)
	JNZ(LabelRef("b4_k"))
	rows := tileRows()
	storeTile(rows)
	LEAQ(Mem{Base: R15, Index: R11, Scale: 1}, RDI) // out row r+4
	LEAQ(Mem{Base: RSI, Index: R12, Scale: 4}, RSI) // a row r+4
	DECQ(R9)
	JNZ(LabelRef("b4_rows"))
	Label("b4_done")
	VZEROUPPER()
	RET()
}

// gemmTN4x16 emits gemmTN4x16AVX2: for i < m4 (a multiple of 4), j < 16,
// out[i*p+j] += Σ_b a[b*lda+i]·w[b*p+j], one 4×16 tile in registers per
// four output rows.
func gemmTN4x16() {
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
	SHRQ(Imm(2), R9)  // tiles
	JZ(LabelRef("tn4_done"))
	TESTQ(R10, R10)
	JZ(LabelRef("tn4_done"))
	Label("tn4_rows")
	rows := tileRows()
	loadTile(rows)
	MOVQ(RSI, RAX) // &a[b, i]
	MOVQ(RDX, RCX) // &w[b, 0]
	MOVQ(R10, RBX) // b counter
	Label("tn4_b")
	fmaTile(RCX, [4]Mem{{Base: RAX}, {Base: RAX, Disp: 4}, {Base: RAX, Disp: 8}, {Base: RAX, Disp: 12}})
	ADDQ(R12, RAX)
	ADDQ(R11, RCX)
	DECQ(RBX)
	JNZ(LabelRef("tn4_b"))
	storeTile(rows)
	LEAQ(Mem{Base: R15, Index: R11, Scale: 1}, RDI) // out row i+4
	ADDQ(Imm(16), RSI)                              // a column i+4
	DECQ(R9)
	JNZ(LabelRef("tn4_rows"))
	Label("tn4_done")
	VZEROUPPER()
	RET()
}

// tile6Acc are the accumulators of a 6-row × 16-column output tile: row r
// in tile6Acc[r] (columns 0-7, 8-15).
var tile6Acc = [6][2]VecPhysical{{Y0, Y1}, {Y2, Y3}, {Y4, Y5}, {Y6, Y7}, {Y8, Y9}, {Y10, Y11}}

// tile6Rows returns the addresses of the six rows of a tile whose row 0 is
// at base and row 3 at base3, stride bytes apart (stride in a register),
// each displaced by disp bytes.
func tile6Rows(base, base3, stride GPPhysical, disp int) [6]Mem {
	return [6]Mem{
		{Base: base, Disp: disp}, {Base: base, Index: stride, Scale: 1, Disp: disp}, {Base: base, Index: stride, Scale: 2, Disp: disp},
		{Base: base3, Disp: disp}, {Base: base3, Index: stride, Scale: 1, Disp: disp}, {Base: base3, Index: stride, Scale: 2, Disp: disp},
	}
}

// gemm6x16 emits gemm6x16AVX2: for r < 6·tiles, j < 16,
// out[r*s+j] += Σ_k a[r*d+k]·w[k*ws+j], one 6×16 tile in registers (twelve
// accumulators, two w vectors, two broadcasts) per six rows. Each output
// element sums its terms in k order, as gemm4x16AVX2 does.
func gemm6x16() {
	TEXT("gemm6x16AVX2", NOSPLIT, "func(out, a, w *float32, tiles, d, s, ws int)")
	MOVQ(NewParamAddr("out", 0), RDI)
	MOVQ(NewParamAddr("a", 8), RSI)
	MOVQ(NewParamAddr("w", 16), RDX)
	MOVQ(NewParamAddr("tiles", 24), R9)
	MOVQ(NewParamAddr("d", 32), R10)
	MOVQ(NewParamAddr("s", 40), R11)
	SHLQ(Imm(2), R11) // out row stride in bytes
	MOVQ(R10, R12)
	SHLQ(Imm(2), R12) // a row stride in bytes
	MOVQ(NewParamAddr("ws", 48), R14)
	SHLQ(Imm(2), R14) // w row stride in bytes
	TESTQ(R9, R9)
	JZ(LabelRef("b6_done"))
	TESTQ(R10, R10)
	JZ(LabelRef("b6_done"))
	Label("b6_rows")
	// R13: out row 3 of the tile.
	LEAQ(Mem{Base: RDI, Index: R11, Scale: 2}, R13)
	ADDQ(R11, R13)
	out0, out1 := tile6Rows(RDI, R13, R11, 0), tile6Rows(RDI, R13, R11, 32)
	for r := range 6 {
		VMOVUPS(out0[r], tile6Acc[r][0])
		VMOVUPS(out1[r], tile6Acc[r][1])
	}
	MOVQ(RSI, RAX)                                  // a row 0, column k
	LEAQ(Mem{Base: RSI, Index: R12, Scale: 2}, RBX) // a row 3, column k
	ADDQ(R12, RBX)
	MOVQ(RDX, RCX) // w row k
	MOVQ(R10, R15) // k counter
	Label("b6_k")
	VMOVUPS(Mem{Base: RCX}, Y12)
	VMOVUPS(Mem{Base: RCX, Disp: 32}, Y13)
	for r, ar := range tile6Rows(RAX, RBX, R12, 0) {
		b := []VecPhysical{Y14, Y15}[r%2]
		VBROADCASTSS(ar, b)
		VFMADD231PS(Y12, b, tile6Acc[r][0])
		VFMADD231PS(Y13, b, tile6Acc[r][1])
	}
	ADDQ(Imm(4), RAX)
	ADDQ(Imm(4), RBX)
	ADDQ(R14, RCX)
	DECQ(R15)
	JNZ(LabelRef("b6_k"))
	for r := range 6 {
		VMOVUPS(tile6Acc[r][0], out0[r])
		VMOVUPS(tile6Acc[r][1], out1[r])
	}
	// Next tile: out and a six rows on.
	LEAQ(Mem{Base: R13, Index: R11, Scale: 2}, RDI)
	ADDQ(R11, RDI)
	LEAQ(Mem{Base: RSI, Index: R12, Scale: 4}, RSI)
	LEAQ(Mem{Base: RSI, Index: R12, Scale: 2}, RSI)
	DECQ(R9)
	JNZ(LabelRef("b6_rows"))
	Label("b6_done")
	VZEROUPPER()
	RET()
}
