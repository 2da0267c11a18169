package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// saeJumpReLU512 emits sae/jumprelu512_amd64.s: the dense jumprelu step's
// two per-entry passes over a row's block of features with AVX-512 masks
// instead of the Go loops' unpredictable branches; every value is the Go
// loop's (the same float32 operations per element). The rare entries near
// the threshold (the rectangle kernel's window) are left to the caller.
func saeJumpReLU512() {
	jumpActs512()
	jumpGrads512()
}

// jumpActs512 emits jumpActsAVX512: for i < n, f = pre where pre > th, else
// +0; cc += mi there; returns how many.
func jumpActs512() {
	TEXT("jumpActsAVX512", NOSPLIT, "func(pre, th, f *float32, cc *int32, n int, mi int32) int")
	pre, th, f, cc := RSI, RDI, R8, R9
	for i, p := range []GPPhysical{pre, th, f, cc} {
		MOVQ(NewParamAddr([]string{"pre", "th", "f", "cc"}[i], 8*i), p)
	}
	MOVQ(NewParamAddr("n", 32), RBX)
	MOVL(NewParamAddr("mi", 40), ECX)
	VPBROADCASTD(ECX, Z29)
	XORQ(RAX, RAX) // count
	saeMaskedLoop("ja", func(tail bool) {
		load, store, _ := saeVecIO(tail)
		load(pre, Z0)
		load(th, Z1)
		VCMPPS(Imm(saeCmpGT), Z1, Z0, K1) // pre > th
		if tail {
			KANDW(K7, K1, K1)
		}
		VMOVUPS_Z(Z0, K1, Z2)
		store(Z2, f)
		load(cc, Z3)
		VPADDD(Z29, Z3, K1, Z3)
		store(Z3, cc)
		KMOVW(K1, ECX)
		POPCNTL(ECX, ECX)
		ADDQ(RCX, RAX)
	})
	MOVQ(RAX, NewParamAddr("ret", 48))
	VZEROUPPER()
	RET()
}

// jumpGrads512 emits jumpGradsAVX512: for i < n, with active = pre > th
// and near = |(pre−th)/bw| < 1/2 (rect): gBEnc += dd and dpSum += dd where
// active; dd = +0 where neither; near[v] gets the near lanes of vector v
// (bit j: entry 16v+j), whose dd is left as it was. Returns the number
// active.
func jumpGrads512() {
	TEXT("jumpGradsAVX512", NOSPLIT, "func(pre, th, dd, gBEnc, dpSum *float32, near *uint16, n int, bw float32) int")
	pre, th, dd, gBEnc, dpSum, near := RSI, RDI, R8, R9, R10, R11
	for i, p := range []GPPhysical{pre, th, dd, gBEnc, dpSum, near} {
		MOVQ(NewParamAddr([]string{"pre", "th", "dd", "gBEnc", "dpSum", "near"}[i], 8*i), p)
	}
	MOVQ(NewParamAddr("n", 48), RBX)
	VBROADCASTSS(NewParamAddr("bw", 56), Z30)
	MOVL(U32(0x3f000000), ECX) // 0.5
	VPBROADCASTD(ECX, Z28)
	MOVL(U32(0xbf000000), ECX) // -0.5
	VPBROADCASTD(ECX, Z27)
	VPXORD(Z31, Z31, Z31)
	XORQ(RAX, RAX) // count
	saeMaskedLoop("jg", func(tail bool) {
		load, store, _ := saeVecIO(tail)
		load(pre, Z0)
		load(th, Z1)
		VCMPPS(Imm(saeCmpGT), Z1, Z0, K1) // active
		VSUBPS(Z1, Z0, Z2)
		VDIVPS(Z30, Z2, Z2)                    // z = (pre−th)/bw
		VCMPPS(Imm(saeCmpGT), Z27, Z2, K2)     // z > −1/2
		VCMPPS(Imm(saeCmpLT), Z28, Z2, K2, K2) // and z < 1/2
		if tail {
			KANDW(K7, K1, K1)
			KANDW(K7, K2, K2)
		}
		load(dd, Z3)
		load(gBEnc, Z4)
		VADDPS(Z3, Z4, K1, Z4)
		store(Z4, gBEnc)
		load(dpSum, Z5)
		VADDPS(Z3, Z5, K1, Z5)
		store(Z5, dpSum)
		// dd = +0 where neither active nor near
		KORW(K1, K2, K3)
		KNOTW(K3, K3)
		if tail {
			KANDW(K7, K3, K3)
		}
		VMOVUPS(Z31, K3, Mem{Base: dd, Index: RDX, Scale: 1})
		KMOVW(K2, ECX)
		MOVW(CX, Mem{Base: near})
		ADDQ(Imm(2), near)
		KMOVW(K1, ECX)
		POPCNTL(ECX, ECX)
		ADDQ(RCX, RAX)
	})
	MOVQ(RAX, NewParamAddr("ret", 64))
	VZEROUPPER()
	RET()
}
