package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// saeGated512 emits sae/gated512_amd64.s: the gated step's open-gate count
// (its dense-or-sparse test) and the dense gated step's two element-wise
// passes over a row's block of features, with AVX-512 masks
// instead of the Go loops' unpredictable branches. Every value is the Go
// loop's (the same float32 operations in the same order per element; the
// row's penalty sum is left to the caller, in order).
func saeGated512() {
	gatedOpen512()
	gatedActs512()
	gatedGrads512()
}

// Comparison predicates of VCMPPS.
const (
	saeCmpGT  = 0x1e // a > b, false when unordered
	saeCmpLT  = 0x11 // a < b, false when unordered
	saeCmpNLE = 0x16 // !(a <= b), true when unordered
)

// saeMaskedLoop emits the loop over n (in RBX) elements, 16 at a time and
// then a tail of fewer under the lane mask K7 (RDX: the byte offset of
// the current vector). body emits one vector's work: tail tells it to
// load under K7 with zeroing (load) and store under K7 (store). RCX is
// clobbered.
func saeMaskedLoop(name string, body func(tail bool)) {
	l := func(s string) string { return name + "_" + s }
	XORQ(RDX, RDX)
	Label(l("full"))
	CMPQ(RBX, Imm(16))
	JLT(LabelRef(l("tail")))
	body(false)
	ADDQ(Imm(64), RDX)
	SUBQ(Imm(16), RBX)
	JMP(LabelRef(l("full")))
	Label(l("tail"))
	TESTQ(RBX, RBX)
	JZ(LabelRef(l("done")))
	MOVQ(RBX, RCX)
	MOVL(U32(1), EBX)
	SHLL(CL, EBX)
	DECL(EBX)
	KMOVW(EBX, K7)
	body(true)
	Label(l("done"))
}

// saeVecIO returns the load and store helpers of a saeMaskedLoop body.
func saeVecIO(tail bool) (load func(p GPPhysical, z VecPhysical), store func(z VecPhysical, p GPPhysical), at func(p GPPhysical) Mem) {
	at = func(p GPPhysical) Mem { return Mem{Base: p, Index: RDX, Scale: 1} }
	load = func(p GPPhysical, z VecPhysical) {
		if tail {
			VMOVUPS_Z(at(p), K7, z)
		} else {
			VMOVUPS(at(p), z)
		}
	}
	store = func(z VecPhysical, p GPPhysical) {
		if tail {
			VMOVUPS(z, K7, at(p))
		} else {
			VMOVUPS(z, at(p))
		}
	}
	return load, store, at
}

// gatedOpen512 emits gatedOpenAVX512: the number of i < n with
// u+bGate > 0 (false for NaN), 16 lanes at a time: a compare into a mask
// and its population count.
func gatedOpen512() {
	TEXT("gatedOpenAVX512", NOSPLIT, "func(u, bGate *float32, n int) int")
	u, bGate := RSI, RDI
	MOVQ(NewParamAddr("u", 0), u)
	MOVQ(NewParamAddr("bGate", 8), bGate)
	MOVQ(NewParamAddr("n", 16), RBX)
	VPXORD(Z31, Z31, Z31)
	XORQ(RAX, RAX) // count
	saeMaskedLoop("go", func(tail bool) {
		load, _, _ := saeVecIO(tail)
		load(u, Z0)
		load(bGate, Z1)
		VADDPS(Z1, Z0, Z2) // π
		VCMPPS(Imm(saeCmpGT), Z31, Z2, K1)
		if tail {
			KANDW(K7, K1, K1)
		}
		KMOVW(K1, ECX)
		POPCNTL(ECX, ECX)
		ADDQ(RCX, RAX)
	})
	MOVQ(RAX, NewParamAddr("ret", 24))
	VZEROUPPER()
	RET()
}

// gatedActs512 emits gatedActsAVX512: for i < n, with π = u+bGate and, where
// π > 0, mg = u·e + bMag: v = π where π > 0 else +0; q = π·wdn there else
// +0; ps += π·m there; f = mg where π > 0 and mg > 0 else +0; cc += mi
// there; returns how many such f.
func gatedActs512() {
	TEXT("gatedActsAVX512", NOSPLIT, "func(u, bGate, bMag, e, wdn, f, v, q, ps *float32, cc *int32, n int, m float32, mi int32) int")
	ptrs := []GPPhysical{RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15}
	names := []string{"u", "bGate", "bMag", "e", "wdn", "f", "v", "q", "ps", "cc"}
	for i, p := range ptrs {
		MOVQ(NewParamAddr(names[i], 8*i), p)
	}
	u, bGate, bMag, e, wdn, f, v, q, ps, cc := RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15
	MOVQ(NewParamAddr("n", 80), RBX)
	VBROADCASTSS(NewParamAddr("m", 88), Z30)
	MOVL(NewParamAddr("mi", 92), ECX)
	VPBROADCASTD(ECX, Z29)
	VPXORD(Z31, Z31, Z31)
	XORQ(RAX, RAX) // count
	saeMaskedLoop("ga", func(tail bool) {
		load, store, at := saeVecIO(tail)
		load(u, Z0)
		load(bGate, Z1)
		VADDPS(Z1, Z0, Z2) // π
		VCMPPS(Imm(saeCmpGT), Z31, Z2, K1)
		if tail {
			KANDW(K7, K1, K1)
		}
		VMOVUPS_Z(Z2, K1, Z3)
		store(Z3, v)
		load(wdn, Z4)
		VMULPS_Z(Z4, Z2, K1, Z4) // π·wdn
		store(Z4, q)
		load(ps, Z5)
		VMULPS(Z30, Z2, Z6) // π·m
		VADDPS(Z6, Z5, K1, Z5)
		store(Z5, ps)
		load(e, Z7)
		VMULPS(Z7, Z0, Z7) // u·e
		load(bMag, Z8)
		VADDPS(Z8, Z7, Z7) // mg
		VCMPPS(Imm(saeCmpGT), Z31, Z7, K1, K2)
		VMOVUPS_Z(Z7, K2, Z9)
		store(Z9, f)
		load(cc, Z10)
		VPADDD(Z29, Z10, K2, Z10)
		store(Z10, cc)
		KMOVW(K2, ECX)
		POPCNTL(ECX, ECX)
		ADDQ(RCX, RAX)
		_ = at
	})
	MOVQ(RAX, NewParamAddr("ret", 96))
	VZEROUPPER()
	RET()
}

// gatedGrads512 emits gatedGradsAVX512: for i < n where !(u+bGate <= 0),
// with dpg = dotP + lamM·wdn and dpm = dd where f > 0 else +0: sBG += dpg,
// sBM += dpm, sRM += dpm·u·e, d = dpg + dpm·e, dd = d, dpSum += d; dd = +0
// elsewhere.
func gatedGrads512() {
	TEXT("gatedGradsAVX512", NOSPLIT, "func(u, bGate, dotP, f, dd, wdn, e, sBG, sBM, sRM, dpSum *float32, n int, lamM float32)")
	ptrs := []GPPhysical{RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15, RAX}
	names := []string{"u", "bGate", "dotP", "f", "dd", "wdn", "e", "sBG", "sBM", "sRM", "dpSum"}
	for i, p := range ptrs {
		MOVQ(NewParamAddr(names[i], 8*i), p)
	}
	u, bGate, dotP, f, dd, wdn, e, sBG, sBM, sRM, dpSum := RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15, RAX
	MOVQ(NewParamAddr("n", 88), RBX)
	VBROADCASTSS(NewParamAddr("lamM", 96), Z30)
	VPXORD(Z31, Z31, Z31)
	saeMaskedLoop("gg", func(tail bool) {
		load, store, _ := saeVecIO(tail)
		load(u, Z0)
		load(bGate, Z1)
		VADDPS(Z1, Z0, Z2)
		VCMPPS(Imm(saeCmpNLE), Z31, Z2, K1) // open: !(u+bGate <= 0)
		if tail {
			KANDW(K7, K1, K1)
		}
		load(wdn, Z3)
		VMULPS(Z3, Z30, Z3) // lamM·wdn
		load(dotP, Z4)
		VADDPS(Z3, Z4, Z3) // dpg
		load(f, Z5)
		VCMPPS(Imm(saeCmpGT), Z31, Z5, K1, K2)
		load(dd, Z6)
		VMOVUPS_Z(Z6, K2, Z6) // dpm
		load(sBG, Z7)
		VADDPS(Z3, Z7, K1, Z7)
		store(Z7, sBG)
		load(sBM, Z8)
		VADDPS(Z6, Z8, K1, Z8)
		store(Z8, sBM)
		load(e, Z9)
		VMULPS(Z0, Z6, Z10)  // dpm·u
		VMULPS(Z9, Z10, Z10) // ·e
		load(sRM, Z11)
		VADDPS(Z10, Z11, K1, Z11)
		store(Z11, sRM)
		VMULPS(Z9, Z6, Z12)  // dpm·e
		VADDPS(Z12, Z3, Z12) // d = dpg + dpm·e
		VMOVUPS_Z(Z12, K1, Z13)
		store(Z13, dd)
		load(dpSum, Z14)
		VADDPS(Z12, Z14, K1, Z14)
		store(Z14, dpSum)
	})
	VZEROUPPER()
	RET()
}
