package main

import (
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// gradGelu emits model/grad/gelu_amd64.s: GELU (and its derivative) by
// model/grad's cubic Hermite tables of Φ and φ, four elements at a time in
// float64 with the same operations in the same order as the pure-Go twin
// (separate multiplies and adds, no FMA), so the two agree bit for bit.
// Per lane: x = float64(v), u = (x+6)·32, k = clamp(trunc(u), 0, 383),
// t = u - k; the lane's table row (8 float64, 64 bytes) is loaded as two
// halves and transposed so that each coefficient is one register across
// the four lanes. Lanes outside (-6, 6) (and NaN) take the tail values.
func gradGelu() {
	c := GLOBL("geluconst", RODATA|NOPTR)
	// Offsets: 0 6.0 (x - geluLo), 32 geluScale (float64 ×4); 64 geluN-1
	// (int32 ×4); 80 geluLo, 96 geluHi, 112 1 (float32 ×4). Bit patterns,
	// so that no constant is read as an integer.
	for i := 0; i < 4; i++ {
		DATA(8*i, U64(math.Float64bits(6)))
	}
	for i := 0; i < 4; i++ {
		DATA(32+8*i, U64(math.Float64bits(32)))
	}
	for i, v := range []uint32{383, math.Float32bits(-6), math.Float32bits(6), math.Float32bits(1)} {
		for j := 0; j < 4; j++ {
			DATA(64+16*i+4*j, U32(v))
		}
	}
	geluKernel(c, false)
	geluKernel(c, true)
}

// Comparison predicates of VCMPPS.
const (
	cmpUnord = 0x03 // unordered (NaN)
	cmpNLTUS = 0x05 // !(a < b), true for NaN
	cmpLTOQ  = 0x11 // a < b, false for NaN
	cmpGEOQ  = 0x1d // a ≥ b, false for NaN
	cmpGTOQ  = 0x1e // a > b, false for NaN
)

// geluKernel emits geluRowsAVX2 (dst = gelu(src)) or, with grad,
// geluGradRowsAVX2 (also grad = gelu'(src)) over the first n elements, n a
// multiple of 4.
func geluKernel(c Mem, grad bool) {
	name, lbl := "geluRowsAVX2", "gelu"
	if grad {
		name, lbl = "geluGradRowsAVX2", "geluGrad"
		TEXT(name, NOSPLIT, "func(dst, grad, src *float32, n int, coef *float64)")
		MOVQ(NewParamAddr("grad", 8), R9)
		MOVQ(NewParamAddr("src", 16), RSI)
		MOVQ(NewParamAddr("n", 24), R8)
		MOVQ(NewParamAddr("coef", 32), R10)
	} else {
		TEXT(name, NOSPLIT, "func(dst, src *float32, n int, coef *float64)")
		MOVQ(NewParamAddr("src", 8), RSI)
		MOVQ(NewParamAddr("n", 16), R8)
		MOVQ(NewParamAddr("coef", 24), R10)
	}
	MOVQ(NewParamAddr("dst", 0), RDI)
	SHRQ(Imm(2), R8)
	JZ(LabelRef(lbl + "_done"))
	VPXOR(X15, X15, X15)

	Label(lbl + "_loop")
	VMOVUPS(Mem{Base: RSI}, X0) // v
	VCVTPS2PD(X0, Y1)           // x
	VADDPD(c, Y1, Y2)
	VMULPD(c.Offset(32), Y2, Y2) // u = (x+6)·32
	VCVTTPD2DQY(Y2, X3)          // trunc(u)
	VPMAXSD(X15, X3, X3)
	VPMINSD(c.Offset(64), X3, X3) // k
	VCVTDQ2PD(X3, Y4)
	VSUBPD(Y4, Y2, Y4) // t = u - k
	VPSLLD(Imm(6), X3, X3)
	VMOVD(X3, EAX)
	VPEXTRD(Imm(1), X3, EBX)
	VPEXTRD(Imm(2), X3, ECX)
	VPEXTRD(Imm(3), X3, EDX)
	// poly loads coefficients off..off+3 of the four lanes' rows,
	// transposed, into c0..c3 and evaluates c0 + t·(c1 + t·(c2 + t·c3))
	// into c3.
	poly := func(off int, c0, c1, c2, c3 VecPhysical) {
		row := func(r Register, d int) Mem { return Mem{Base: R10, Index: r, Scale: 1, Disp: 8*off + d} }
		VMOVUPD(row(RAX, 0), c0.AsX())
		VINSERTF128(Imm(1), row(RCX, 0), c0, c0) // lanes 0 and 2, coefficients 0, 1
		VMOVUPD(row(RBX, 0), c1.AsX())
		VINSERTF128(Imm(1), row(RDX, 0), c1, c1) // lanes 1 and 3
		VMOVUPD(row(RAX, 16), c2.AsX())
		VINSERTF128(Imm(1), row(RCX, 16), c2, c2) // coefficients 2, 3
		VMOVUPD(row(RBX, 16), c3.AsX())
		VINSERTF128(Imm(1), row(RDX, 16), c3, c3)
		VUNPCKHPD(c3, c2, Y14) // coefficient 3 of lanes 0..3
		VUNPCKLPD(c3, c2, c2)  // coefficient 2
		VUNPCKHPD(c1, c0, Y13) // coefficient 1
		VUNPCKLPD(c1, c0, c0)  // coefficient 0
		VMULPD(Y14, Y4, c3)
		VADDPD(c3, c2, c3)
		VMULPD(c3, Y4, c3)
		VADDPD(c3, Y13, c3)
		VMULPD(c3, Y4, c3)
		VADDPD(c3, c0, c3)
	}
	poly(0, Y5, Y6, Y7, Y8) // Y8 = Φ
	VMULPD(Y8, Y1, Y9)
	VCVTPD2PSY(Y9, X9) // x·Φ
	// In-range mask X10 = (v > -6) & (v < 6); below, tails.
	VCMPPS(Imm(cmpGTOQ), c.Offset(80), X0, X10)
	VCMPPS(Imm(cmpLTOQ), c.Offset(96), X0, X11)
	VANDPS(X11, X10, X10)
	VCMPPS(Imm(cmpNLTUS), c.Offset(96), X0, X11)
	VANDPS(X0, X11, X11) // v where v ≥ 6 or NaN, else 0
	VBLENDVPS(X10, X9, X11, X9)
	VMOVUPS(X9, Mem{Base: RDI})
	if grad {
		poly(4, Y5, Y6, Y7, Y12) // Y12 = φ
		VMULPD(Y12, Y1, Y12)
		VADDPD(Y12, Y8, Y12)
		VCVTPD2PSY(Y12, X12) // Φ + x·φ
		VCMPPS(Imm(cmpGEOQ), c.Offset(96), X0, X11)
		VANDPS(c.Offset(112), X11, X11) // 1 where v ≥ 6
		VCMPPS(Imm(cmpUnord), X0, X0, X9)
		VANDPS(X0, X9, X9) // NaN stays NaN
		VORPS(X9, X11, X11)
		VBLENDVPS(X10, X12, X11, X12)
		VMOVUPS(X12, Mem{Base: R9})
		ADDQ(Imm(16), R9)
	}
	ADDQ(Imm(16), RSI)
	ADDQ(Imm(16), RDI)
	DECQ(R8)
	JNZ(LabelRef(lbl + "_loop"))

	Label(lbl + "_done")
	VZEROUPPER()
	RET()
}
