package main

import (
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// gradExp emits model/grad/exp_amd64.s: the softmax numerator e^x for
// x ≤ 0, eight float32 lanes at a time, with exactly the float32
// operations of model/grad's expNeg in the same order (separate multiplies
// and adds, no FMA), so the two agree bit for bit: k = trunc(x·log2e -
// 0.5), f = (x - k·C1) + k·C2, Cephes' polynomial in Estrin's scheme,
// (p·f² + f + 1)·2^k; lanes with x ≤ -87 give 0, NaN stays NaN.
func gradExp() {
	c := expConsts("expconst")
	TEXT("expNegRowsAVX2", NOSPLIT, "func(x *float32, n int)")
	MOVQ(NewParamAddr("x", 0), RSI)
	MOVQ(NewParamAddr("n", 8), RCX)
	SHRQ(Imm(3), RCX)
	JZ(LabelRef("exp_done"))
	Label("exp_loop")
	VMOVUPS(Mem{Base: RSI}, Y0) // x
	expNegOps(c, Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7)
	VMOVUPS(Y5, Mem{Base: RSI})
	ADDQ(Imm(32), RSI)
	DECQ(RCX)
	JNZ(LabelRef("exp_loop"))
	Label("exp_done")
	VZEROUPPER()
	RET()
}

// expConsts emits the constants of expNegOps (each eight times, one YMM
// load) as the file-local symbol name and returns it.
func expConsts(name string) Mem {
	consts := []float32{
		1.44269504088896341, 0.5, 0.693359375, 2.12194440e-4,
		5.0000001201e-1, 1.6666665459e-1, 4.1665795894e-2, 8.3334519073e-3,
		1.3981999507e-3, 1.9875691500e-4, 1, -87,
	}
	c := GLOBL(name, RODATA|NOPTR)
	for i, v := range consts {
		for j := 0; j < 8; j++ {
			DATA(32*i+4*j, U32(math.Float32bits(v)))
		}
	}
	for j := 0; j < 8; j++ {
		DATA(32*len(consts)+4*j, U32(127))
	}

	return c
}

// Offsets (in 32-byte rows) of expConsts' constants.
const (
	expLog2e = iota
	expHalf
	expLn2hi
	expLn2lo
	expP0
	expP1
	expP2
	expP3
	expP4
	expP5
	expOne
	expLim
	expBias
)

// expNegOps emits e^x of the eight lanes of y0 (x ≤ 0) into y5, with
// model/grad's expNeg's float32 operations in its order (y1..y4, y6, y7
// are clobbered; y0 is kept).
func expNegOps(c Mem, y0, y1, y2, y3, y4, y5, y6, y7 Op) {
	k := func(i int) Mem { return c.Offset(32 * i) }
	VMULPS(k(expLog2e), y0, y1)          // x·log2e
	VSUBPS(k(expHalf), y1, y1)           // - 0.5
	VCVTTPS2DQ(y1, y1)                   // int32 (toward zero)
	VCVTDQ2PS(y1, y2)                    // k
	VMULPS(k(expLn2hi), y2, y3)          // k·C1
	VSUBPS(y3, y0, y3)                   // x - k·C1
	VMULPS(k(expLn2lo), y2, y4)          // k·C2
	VADDPS(y4, y3, y3)                   // f
	VMULPS(y3, y3, y4)                   // f²
	VMULPS(k(expP1), y3, y5)             // p1·f
	VADDPS(k(expP0), y5, y5)             // p0 + p1·f
	VMULPS(k(expP3), y3, y6)             // p3·f
	VADDPS(k(expP2), y6, y6)             // p2 + p3·f
	VMULPS(y6, y4, y6)                   // f²·(p2 + p3·f)
	VADDPS(y6, y5, y5)                   // (p0 + p1·f) + f²·(…)
	VMULPS(y4, y4, y6)                   // f²·f²
	VMULPS(k(expP5), y3, y7)             // p5·f
	VADDPS(k(expP4), y7, y7)             // p4 + p5·f
	VMULPS(y7, y6, y6)                   // f⁴·(p4 + p5·f)
	VADDPS(y6, y5, y5)                   // p
	VMULPS(y4, y5, y5)                   // p·f²
	VADDPS(y3, y5, y5)                   // + f
	VADDPS(k(expOne), y5, y5)            // + 1
	VPADDD(k(expBias), y1, y1)           // k + 127
	VPSLLD(Imm(23), y1, y1)              // 2^k
	VMULPS(y1, y5, y5)                   // e^x
	VCMPPS(Imm(0x1e), k(expLim), y0, y6) // x > -87 (false for NaN)
	VCMPPS(Imm(0x03), y0, y0, y7)        // NaN
	VANDPS(y0, y7, y7)                   // NaN where x is, else 0
	VBLENDVPS(y6, y5, y7, y5)
}

// expNegOpsZ is expNegOps on the sixteen lanes of each zmm of z0 (e^x
// into the returned registers, z0 kept): the same operations in the same
// order per register, the constants broadcast from expConsts' rows, the
// final select by opmask. Each operation is emitted for every register
// before the next one, so that the registers' independent chains
// interleave (the chain of one register alone is long enough to stall
// the core).
func expNegOpsZ(c Mem, z0 []VecVirtual) []VecVirtual {
	k := func(i int) Mem { return c.Offset(32 * i) }
	u := len(z0)
	regs := func() []VecVirtual {
		r := make([]VecVirtual, u)
		for i := range r {
			r[i] = ZMM()
		}
		return r
	}
	z1, z2, z3, z4, z5, z6, z7 := regs(), regs(), regs(), regs(), regs(), regs(), regs()
	each := func(f func(i int)) {
		for i := 0; i < u; i++ {
			f(i)
		}
	}
	each(func(i int) { VMULPS_BCST(k(expLog2e), z0[i], z1[i]) }) // x·log2e
	each(func(i int) { VSUBPS_BCST(k(expHalf), z1[i], z1[i]) })  // - 0.5
	each(func(i int) { VCVTTPS2DQ(z1[i], z1[i]) })               // int32 (toward zero)
	each(func(i int) { VCVTDQ2PS(z1[i], z2[i]) })                // k
	each(func(i int) { VMULPS_BCST(k(expLn2hi), z2[i], z3[i]) }) // k·C1
	each(func(i int) { VSUBPS(z3[i], z0[i], z3[i]) })            // x - k·C1
	each(func(i int) { VMULPS_BCST(k(expLn2lo), z2[i], z4[i]) }) // k·C2
	each(func(i int) { VADDPS(z4[i], z3[i], z3[i]) })            // f
	each(func(i int) { VMULPS(z3[i], z3[i], z4[i]) })            // f²
	each(func(i int) { VMULPS_BCST(k(expP1), z3[i], z5[i]) })    // p1·f
	each(func(i int) { VADDPS_BCST(k(expP0), z5[i], z5[i]) })    // p0 + p1·f
	each(func(i int) { VMULPS_BCST(k(expP3), z3[i], z6[i]) })    // p3·f
	each(func(i int) { VADDPS_BCST(k(expP2), z6[i], z6[i]) })    // p2 + p3·f
	each(func(i int) { VMULPS(z6[i], z4[i], z6[i]) })            // f²·(p2 + p3·f)
	each(func(i int) { VADDPS(z6[i], z5[i], z5[i]) })            // (p0 + p1·f) + f²·(…)
	each(func(i int) { VMULPS(z4[i], z4[i], z6[i]) })            // f²·f²
	each(func(i int) { VMULPS_BCST(k(expP5), z3[i], z7[i]) })    // p5·f
	each(func(i int) { VADDPS_BCST(k(expP4), z7[i], z7[i]) })    // p4 + p5·f
	each(func(i int) { VMULPS(z7[i], z6[i], z6[i]) })            // f⁴·(p4 + p5·f)
	each(func(i int) { VADDPS(z6[i], z5[i], z5[i]) })            // p
	each(func(i int) { VMULPS(z4[i], z5[i], z5[i]) })            // p·f²
	each(func(i int) { VADDPS(z3[i], z5[i], z5[i]) })            // + f
	each(func(i int) { VADDPS_BCST(k(expOne), z5[i], z5[i]) })   // + 1
	each(func(i int) { VPADDD_BCST(k(expBias), z1[i], z1[i]) })  // k + 127
	each(func(i int) { VPSLLD(Imm(23), z1[i], z1[i]) })          // 2^k
	each(func(i int) { VMULPS(z1[i], z5[i], z5[i]) })            // e^x
	each(func(i int) {
		live, nan := K(), K()
		VCMPPS_BCST(Imm(0x1e), k(expLim), z0[i], live) // x > -87 (false for NaN)
		VCMPPS(Imm(0x03), z0[i], z0[i], nan)           // NaN
		VMOVAPS_Z(z0[i], nan, z7[i])                   // NaN where x is, else 0
		VBLENDMPS(z5[i], z7[i], live, z5[i])
	})
	return z5
}
