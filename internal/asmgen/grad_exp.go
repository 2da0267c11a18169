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
	consts := []float32{
		1.44269504088896341, 0.5, 0.693359375, 2.12194440e-4,
		5.0000001201e-1, 1.6666665459e-1, 4.1665795894e-2, 8.3334519073e-3,
		1.3981999507e-3, 1.9875691500e-4, 1, -87,
	}
	c := GLOBL("expconst", RODATA|NOPTR)
	for i, v := range consts {
		for j := 0; j < 8; j++ {
			DATA(32*i+4*j, U32(math.Float32bits(v)))
		}
	}
	for j := 0; j < 8; j++ {
		DATA(32*len(consts)+4*j, U32(127))
	}
	k := func(i int) Mem { return c.Offset(32 * i) }
	const (
		log2e = iota
		half
		ln2hi
		ln2lo
		p0
		p1
		p2
		p3
		p4
		p5
		one
		lim
		bias
	)

	TEXT("expNegRowsAVX2", NOSPLIT, "func(x *float32, n int)")
	MOVQ(NewParamAddr("x", 0), RSI)
	MOVQ(NewParamAddr("n", 8), RCX)
	SHRQ(Imm(3), RCX)
	JZ(LabelRef("exp_done"))
	Label("exp_loop")
	VMOVUPS(Mem{Base: RSI}, Y0)       // x
	VMULPS(k(log2e), Y0, Y1)          // x·log2e
	VSUBPS(k(half), Y1, Y1)           // - 0.5
	VCVTTPS2DQ(Y1, Y1)                // int32 (toward zero)
	VCVTDQ2PS(Y1, Y2)                 // k
	VMULPS(k(ln2hi), Y2, Y3)          // k·C1
	VSUBPS(Y3, Y0, Y3)                // x - k·C1
	VMULPS(k(ln2lo), Y2, Y4)          // k·C2
	VADDPS(Y4, Y3, Y3)                // f
	VMULPS(Y3, Y3, Y4)                // f²
	VMULPS(k(p1), Y3, Y5)             // p1·f
	VADDPS(k(p0), Y5, Y5)             // p0 + p1·f
	VMULPS(k(p3), Y3, Y6)             // p3·f
	VADDPS(k(p2), Y6, Y6)             // p2 + p3·f
	VMULPS(Y6, Y4, Y6)                // f²·(p2 + p3·f)
	VADDPS(Y6, Y5, Y5)                // (p0 + p1·f) + f²·(…)
	VMULPS(Y4, Y4, Y6)                // f²·f²
	VMULPS(k(p5), Y3, Y7)             // p5·f
	VADDPS(k(p4), Y7, Y7)             // p4 + p5·f
	VMULPS(Y7, Y6, Y6)                // f⁴·(p4 + p5·f)
	VADDPS(Y6, Y5, Y5)                // p
	VMULPS(Y4, Y5, Y5)                // p·f²
	VADDPS(Y3, Y5, Y5)                // + f
	VADDPS(k(one), Y5, Y5)            // + 1
	VPADDD(k(bias), Y1, Y1)           // k + 127
	VPSLLD(Imm(23), Y1, Y1)           // 2^k
	VMULPS(Y1, Y5, Y5)                // e^x
	VCMPPS(Imm(0x1e), k(lim), Y0, Y6) // x > -87 (false for NaN)
	VCMPPS(Imm(0x03), Y0, Y0, Y7)     // NaN
	VANDPS(Y0, Y7, Y7)                // NaN where x is, else 0
	VBLENDVPS(Y6, Y5, Y7, Y5)
	VMOVUPS(Y5, Mem{Base: RSI})
	ADDQ(Imm(32), RSI)
	DECQ(RCX)
	JNZ(LabelRef("exp_loop"))
	Label("exp_done")
	VZEROUPPER()
	RET()
}
