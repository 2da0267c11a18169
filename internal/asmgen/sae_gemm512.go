package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// saeGemm512 emits sae/gemm512_amd64.s: the AVX-512 (zmm) register tiles
// of the dense products, for CPUs with AVX-512F. Each output element sums
// its terms in k order with one FMA per term, starting from the value
// loaded from out: the chain of gemm6x16AVX2 and gemm4x16AVX2, so the
// results are theirs bit for bit.
func saeGemm512() {
	gemmTile512("gemm12x32AVX512", 12, 2)
	gemmTile512("gemm12x16AVX512", 12, 1)
}

// gemmTile512 emits a kernel computing, for tiles tiles of rows rows (4,
// 8 or 12), out[r*s+j] += Σ_{k<kc} a[r*lda+k]·w[k*ws+j] for j < 16·nvec,
// where columns 16v… of w start wp floats after w's (wp = 16 for w itself,
// d·16 for adjacent packed panels). The tile's rows·nvec zmm accumulators
// stay in registers over k; per term, nvec w vectors are loaded and each
// row's a value is broadcast (embedded in the FMA when nvec = 1). (A
// 24×16 tile with embedded broadcasts, tried too, ran at 80 % of the
// 12×32 one's speed.)
func gemmTile512(name string, rows, nvec int) {
	if rows%4 != 0 || rows > 12 || rows*nvec > 24 {
		panic(fmt.Sprintf("asmgen: %s: %d×%d zmm accumulators", name, rows, nvec))
	}
	l := func(s string) string { return name + "_" + s }
	TEXT(name, NOSPLIT, "func(out, a, w *float32, tiles, kc, s, lda, ws, wp int)")
	MOVQ(NewParamAddr("out", 0), RDI)
	MOVQ(NewParamAddr("a", 8), RSI)
	MOVQ(NewParamAddr("w", 16), RDX)
	MOVQ(NewParamAddr("s", 40), R11)
	SHLQ(Imm(2), R11) // out row stride in bytes
	MOVQ(NewParamAddr("lda", 48), R12)
	SHLQ(Imm(2), R12)                               // a row stride in bytes
	LEAQ(Mem{Base: R12, Index: R12, Scale: 2}, RCX) // 3 a rows
	MOVQ(NewParamAddr("ws", 56), R9)
	SHLQ(Imm(2), R9) // w row stride in bytes
	MOVQ(NewParamAddr("wp", 64), R13)
	SHLQ(Imm(2), R13) // w column block stride in bytes
	// a row r at bases[r/4] + 0, 1, 2 or 3 rows; w row k at R14 (columns
	// 16v R13·v bytes on); R15 counts the terms.
	bases := []GPPhysical{RAX, RBX, R8}[:rows/4]
	CMPQ(NewParamAddr("tiles", 24), Imm(0))
	JLE(LabelRef(l("done")))
	CMPQ(NewParamAddr("kc", 32), Imm(0))
	JLE(LabelRef(l("done")))

	// acc[r][v]: row r, columns 16v to 16v+15.
	acc := make([][]VecPhysical, rows)
	for r := range acc {
		for v := 0; v < nvec; v++ {
			acc[r] = append(acc[r], saeZmm(r*nvec+v))
		}
	}
	aRow := func(r int) Mem {
		b := bases[r/4]
		switch r % 4 {
		case 0:
			return Mem{Base: b}
		case 1:
			return Mem{Base: b, Index: R12, Scale: 1}
		case 2:
			return Mem{Base: b, Index: R12, Scale: 2}
		}
		return Mem{Base: b, Index: RCX, Scale: 1}
	}

	Label(l("tile"))
	MOVQ(RDI, RAX)
	for r := 0; r < rows; r++ {
		for v := 0; v < nvec; v++ {
			VMOVUPS(saeOutCol(RAX, v), acc[r][v])
		}
		ADDQ(R11, RAX)
	}
	MOVQ(RSI, bases[0])
	for i := 1; i < len(bases); i++ {
		LEAQ(Mem{Base: bases[i-1], Index: R12, Scale: 4}, bases[i])
	}
	MOVQ(RDX, R14)
	MOVQ(NewParamAddr("kc", 32), R15)
	Label(l("k"))
	wv := []VecPhysical{Z24, Z25}
	VMOVUPS(Mem{Base: R14}, wv[0])
	if nvec > 1 {
		VMOVUPS(Mem{Base: R14, Index: R13, Scale: 1}, wv[1])
	}
	for r := 0; r < rows; r++ {
		if nvec == 1 {
			VFMADD231PS_BCST(aRow(r), wv[0], acc[r][0])
			continue
		}
		b := []VecPhysical{Z26, Z27, Z28, Z29}[r%4]
		VBROADCASTSS(aRow(r), b)
		for v := 0; v < nvec; v++ {
			VFMADD231PS(wv[v], b, acc[r][v])
		}
	}
	for _, b := range bases {
		ADDQ(Imm(4), b)
	}
	ADDQ(R9, R14)
	DECQ(R15)
	JNZ(LabelRef(l("k")))

	MOVQ(RDI, RAX)
	for r := 0; r < rows; r++ {
		for v := 0; v < nvec; v++ {
			VMOVUPS(acc[r][v], saeOutCol(RAX, v))
		}
		ADDQ(R11, RAX)
	}
	// Next tile: out (RAX is there now) and a rows rows on.
	MOVQ(RAX, RDI)
	for range rows / 4 {
		LEAQ(Mem{Base: RSI, Index: R12, Scale: 4}, RSI)
	}
	DECQ(NewParamAddr("tiles", 24))
	JNZ(LabelRef(l("tile")))
	Label(l("done"))
	VZEROUPPER()
	RET()
}

// saeOutCol is the output row at base, columns 16v to 16v+15.
func saeOutCol(base GPPhysical, v int) Mem { return Mem{Base: base, Disp: 64 * v} }

// saeZmm returns Z0 … Z23.
func saeZmm(i int) VecPhysical {
	return []VecPhysical{Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11,
		Z12, Z13, Z14, Z15, Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23}[i]
}
