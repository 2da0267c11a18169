package main

import (
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// gradGelu emits model/grad/gelu_amd64.s: GELU (and its derivative) by
// model/grad's float32 form, eight elements at a time with the same
// operations in the same order as the pure-Go twin geluRowsGo (separate
// multiplies and adds, no FMA), so the two agree bit for bit. Per lane:
// e = expNeg(x·x·(-0.5)), s = |x|·(1/3) - 1, m = the polynomial coef in s
// (Estrin's scheme, as geluEstrin), q = e·m; gelu = x - x·q (x ≥ 0) or x·q,
// gelu' = (1-q or q) + x·(e·(1/√(2π))). Lanes outside (-6, 6) (and NaN)
// take the tail values.
func gradGelu() {
	ec := expConsts("geluexp")
	c := GLOBL("geluconst", RODATA|NOPTR)
	for i, v := range []uint32{0x7fffffff, math.Float32bits(-0.5), math.Float32bits(1.0 / 3), math.Float32bits(1),
		math.Float32bits(0.3989422804014327), math.Float32bits(-6), math.Float32bits(6)} {
		for j := 0; j < 8; j++ {
			DATA(32*i+4*j, U32(v))
		}
	}
	geluKernel(c, ec, false)
	geluKernel(c, ec, true)
	geluKernelZ(c, ec, false)
	geluKernelZ(c, ec, true)
}

// Rows of geluconst.
const (
	gcAbs = iota
	gcMinusHalf
	gcThird
	gcOne
	gcInvSqrt2Pi
	gcLo
	gcHi
)

// geluDeg is model/grad's geluDeg (the polynomial has geluDeg+1
// coefficients).
const geluDeg = 15

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
// multiple of 8.
func geluKernel(c, ec Mem, grad bool) {
	k := func(i int) Mem { return c.Offset(32 * i) }
	name, lbl := "geluRowsAVX2", "gelu"
	var gp Register
	if grad {
		name, lbl = "geluGradRowsAVX2", "geluGrad"
		TEXT(name, NOSPLIT, "func(dst, grad, src *float32, n int, coef *float32)")
		gp = Load(Param("grad"), GP64())
	} else {
		TEXT(name, NOSPLIT, "func(dst, src *float32, n int, coef *float32)")
	}
	dst := Load(Param("dst"), GP64())
	src := Load(Param("src"), GP64())
	n := Load(Param("n"), GP64())
	coef := Load(Param("coef"), GP64())
	SHRQ(Imm(3), n)
	JZ(LabelRef(lbl + "_done"))

	Label(lbl + "_loop")
	v := YMM()
	VMOVUPS(Mem{Base: src}, v)
	t := YMM()
	VMULPS(v, v, t)
	VMULPS(k(gcMinusHalf), t, t) // -x²/2
	y := []VecVirtual{YMM(), YMM(), YMM(), YMM(), YMM(), YMM(), YMM()}
	expNegOps(ec, t, y[0], y[1], y[2], y[3], y[4], y[5], y[6])
	e := y[4]
	s := YMM()
	VANDPS(k(gcAbs), v, s)
	VMULPS(k(gcThird), s, s)
	VSUBPS(k(gcOne), s, s) // |x|/3 - 1
	m := geluEstrin(s, coef)
	q := YMM()
	VMULPS(m, e, q) // Φ(-|x|)
	xq, yv := YMM(), YMM()
	VMULPS(q, v, xq)
	VSUBPS(xq, v, yv) // x - x·q
	neg, zero := YMM(), YMM()
	VXORPS(zero, zero, zero)
	VCMPPS(Imm(cmpLTOQ), zero, v, neg) // x < 0
	VBLENDVPS(neg, xq, yv, yv)
	// In-range mask = (x > -6) & (x < 6); outside, the tails.
	in, tail := YMM(), YMM()
	VCMPPS(Imm(cmpGTOQ), k(gcLo), v, in)
	VCMPPS(Imm(cmpLTOQ), k(gcHi), v, tail)
	VANDPS(tail, in, in)
	VCMPPS(Imm(cmpNLTUS), k(gcHi), v, tail)
	VANDPS(v, tail, tail) // x where x ≥ 6 or NaN, else 0
	VBLENDVPS(in, yv, tail, yv)
	VMOVUPS(yv, Mem{Base: dst})
	if grad {
		phi, one := YMM(), YMM()
		VMOVUPS(k(gcOne), one)
		VSUBPS(q, one, phi)
		VBLENDVPS(neg, q, phi, phi) // Φ(x)
		d := YMM()
		VMULPS(k(gcInvSqrt2Pi), e, d)
		VMULPS(d, v, d)
		VADDPS(d, phi, d) // Φ + x·φ
		g, nan := YMM(), YMM()
		VCMPPS(Imm(cmpGEOQ), k(gcHi), v, g)
		VANDPS(one, g, g) // 1 where x ≥ 6
		VCMPPS(Imm(cmpUnord), v, v, nan)
		VANDPS(v, nan, nan) // NaN stays NaN
		VORPS(nan, g, g)
		VBLENDVPS(in, d, g, d)
		VMOVUPS(d, Mem{Base: gp})
		ADDQ(Imm(32), gp)
	}
	ADDQ(Imm(32), src)
	ADDQ(Imm(32), dst)
	DECQ(n)
	JNZ(LabelRef(lbl + "_loop"))

	Label(lbl + "_done")
	VZEROUPPER()
	RET()
}

// geluEstrin emits model/grad's geluEstrin: the polynomial with
// coefficients coef ([geluDeg+1][8] float32, each in eight lanes) at s,
// p_i = c_2i + c_2i+1·s, q_i = p_2i + p_2i+1·s², r_i = q_2i + q_2i+1·s⁴,
// r_0 + r_1·s⁸.
func geluEstrin(s VecVirtual, coef Register) VecVirtual {
	c := func(i int) Mem { return Mem{Base: coef, Disp: 32 * i} }
	s2, s4, s8 := YMM(), YMM(), YMM()
	VMULPS(s, s, s2)
	VMULPS(s2, s2, s4)
	VMULPS(s4, s4, s8)
	level := func(in []VecVirtual, x VecVirtual) []VecVirtual {
		out := make([]VecVirtual, len(in)/2)
		for i := range out {
			out[i] = in[2*i+1]
			VMULPS(x, out[i], out[i])
			VADDPS(in[2*i], out[i], out[i])
		}
		return out
	}
	p := make([]VecVirtual, (geluDeg+1)/2)
	for i := range p {
		p[i] = YMM()
		VMULPS(c(2*i+1), s, p[i])
		VADDPS(c(2*i), p[i], p[i])
	}
	q := level(p, s2)
	r := level(q, s4)
	return level(r, s8)[0]
}

// geluKernelZ emits geluRowsAVX512 or, with grad, geluGradRowsAVX512:
// geluKernel's operations in its order on sixteen lanes (zmm), n a
// multiple of 16. The constants are broadcast from the first lane of
// their rows; the selects use opmasks (a select moves bits, so the
// results are those of the AVX2 kernels). The loop takes two zmm (32
// elements) at a time with their operations interleaved (geluBodyZ),
// then one zmm if 16 are left.
func geluKernelZ(c, ec Mem, grad bool) {
	name, lbl := "geluRowsAVX512", "geluZ"
	var gp Register
	if grad {
		name, lbl = "geluGradRowsAVX512", "geluGradZ"
		TEXT(name, NOSPLIT, "func(dst, grad, src *float32, n int, coef *float32)")
		gp = Load(Param("grad"), GP64())
	} else {
		TEXT(name, NOSPLIT, "func(dst, src *float32, n int, coef *float32)")
	}
	Doc(name + " is the AVX-512 form of the GELU kernel (n a multiple of 16).")
	dst := Load(Param("dst"), GP64())
	src := Load(Param("src"), GP64())
	n := Load(Param("n"), GP64())
	coef := Load(Param("coef"), GP64())
	SHRQ(Imm(4), n) // zmm count
	CMPQ(n, Imm(2))
	JLT(LabelRef(lbl + "_one"))

	Label(lbl + "_loop")
	geluBodyZ(c, ec, 2, src, dst, gp, coef)
	SUBQ(Imm(2), n)
	CMPQ(n, Imm(2))
	JGE(LabelRef(lbl + "_loop"))

	Label(lbl + "_one")
	CMPQ(n, Imm(0))
	JE(LabelRef(lbl + "_done"))
	geluBodyZ(c, ec, 1, src, dst, gp, coef)

	Label(lbl + "_done")
	VZEROUPPER()
	RET()
}

// geluBodyZ emits the GELU of u consecutive zmm of src into dst (and its
// derivative into grad when gp is set), each operation for every zmm
// before the next, then advances the pointers past them.
func geluBodyZ(c, ec Mem, u int, src, dst, gp, coef Register) {
	k := func(i int) Mem { return c.Offset(32 * i) }
	regs := func() []VecVirtual {
		r := make([]VecVirtual, u)
		for i := range r {
			r[i] = ZMM()
		}
		return r
	}
	each := func(f func(i int)) {
		for i := 0; i < u; i++ {
			f(i)
		}
	}
	v, t := regs(), regs()
	each(func(i int) { VMOVUPS(Mem{Base: src, Disp: 64 * i}, v[i]) })
	each(func(i int) { VMULPS(v[i], v[i], t[i]) })
	each(func(i int) { VMULPS_BCST(k(gcMinusHalf), t[i], t[i]) }) // -x²/2
	e := expNegOpsZ(ec, t)
	s := regs()
	each(func(i int) { VPANDD_BCST(k(gcAbs), v[i], s[i]) })
	each(func(i int) { VMULPS_BCST(k(gcThird), s[i], s[i]) })
	each(func(i int) { VSUBPS_BCST(k(gcOne), s[i], s[i]) }) // |x|/3 - 1
	m := geluEstrinZ(s, coef)
	q, xq, yv := regs(), regs(), regs()
	each(func(i int) { VMULPS(m[i], e[i], q[i]) }) // Φ(-|x|)
	each(func(i int) { VMULPS(q[i], v[i], xq[i]) })
	each(func(i int) { VSUBPS(xq[i], v[i], yv[i]) }) // x - x·q
	zero := ZMM()
	VPXORD(zero, zero, zero)
	neg, in := make([]OpmaskVirtual, u), make([]OpmaskVirtual, u)
	each(func(i int) {
		neg[i] = K()
		VCMPPS(Imm(cmpLTOQ), zero, v[i], neg[i]) // x < 0
		VBLENDMPS(xq[i], yv[i], neg[i], yv[i])
	})
	// In-range mask = (x > -6) & (x < 6); outside, the tails.
	each(func(i int) {
		hi, big := K(), K()
		in[i] = K()
		VCMPPS_BCST(Imm(cmpGTOQ), k(gcLo), v[i], in[i])
		VCMPPS_BCST(Imm(cmpLTOQ), k(gcHi), v[i], hi)
		KANDW(hi, in[i], in[i])
		VCMPPS_BCST(Imm(cmpNLTUS), k(gcHi), v[i], big)
		tail := ZMM()
		VMOVAPS_Z(v[i], big, tail) // x where x ≥ 6 or NaN, else 0
		VBLENDMPS(yv[i], tail, in[i], yv[i])
		VMOVUPS(yv[i], Mem{Base: dst, Disp: 64 * i})
	})
	if gp != nil {
		one := ZMM()
		VBROADCASTSS(k(gcOne), one)
		phi, d := regs(), regs()
		each(func(i int) { VSUBPS(q[i], one, phi[i]) })
		each(func(i int) { VBLENDMPS(q[i], phi[i], neg[i], phi[i]) }) // Φ(x)
		each(func(i int) { VMULPS_BCST(k(gcInvSqrt2Pi), e[i], d[i]) })
		each(func(i int) { VMULPS(d[i], v[i], d[i]) })
		each(func(i int) { VADDPS(d[i], phi[i], d[i]) }) // Φ + x·φ
		each(func(i int) {
			ge, nan := K(), K()
			g, gn := ZMM(), ZMM()
			VCMPPS_BCST(Imm(cmpGEOQ), k(gcHi), v[i], ge)
			VMOVAPS_Z(one, ge, g) // 1 where x ≥ 6
			VCMPPS(Imm(cmpUnord), v[i], v[i], nan)
			VMOVAPS_Z(v[i], nan, gn) // NaN stays NaN
			VPORD(gn, g, g)
			VBLENDMPS(d[i], g, in[i], d[i])
			VMOVUPS(d[i], Mem{Base: gp, Disp: 64 * i})
		})
		ADDQ(Imm(uint64(64*u)), gp)
	}
	ADDQ(Imm(uint64(64*u)), src)
	ADDQ(Imm(uint64(64*u)), dst)
}

// geluEstrinZ is geluEstrin on the zmm lanes of each register of s, each
// coefficient broadcast from the first lane of its row of coef, every
// operation emitted for each register before the next.
func geluEstrinZ(s []VecVirtual, coef Register) []VecVirtual {
	c := func(i int) Mem { return Mem{Base: coef, Disp: 32 * i} }
	u := len(s)
	each := func(f func(i int)) {
		for i := 0; i < u; i++ {
			f(i)
		}
	}
	s2, s4, s8 := make([]VecVirtual, u), make([]VecVirtual, u), make([]VecVirtual, u)
	each(func(i int) { s2[i] = ZMM(); VMULPS(s[i], s[i], s2[i]) })
	each(func(i int) { s4[i] = ZMM(); VMULPS(s2[i], s2[i], s4[i]) })
	each(func(i int) { s8[i] = ZMM(); VMULPS(s4[i], s4[i], s8[i]) })
	// level combines pairs of in (one slice per register) with x.
	level := func(in [][]VecVirtual, x []VecVirtual) [][]VecVirtual {
		out := make([][]VecVirtual, u)
		for i := range out {
			out[i] = make([]VecVirtual, len(in[i])/2)
		}
		for j := range out[0] {
			each(func(i int) {
				out[i][j] = in[i][2*j+1]
				VMULPS(x[i], out[i][j], out[i][j])
				VADDPS(in[i][2*j], out[i][j], out[i][j])
			})
		}
		return out
	}
	p := make([][]VecVirtual, u)
	for i := range p {
		p[i] = make([]VecVirtual, (geluDeg+1)/2)
	}
	for j := range p[0] {
		each(func(i int) {
			p[i][j] = ZMM()
			VMULPS_BCST(c(2*j+1), s[i], p[i][j])
			VADDPS_BCST(c(2*j), p[i][j], p[i][j])
		})
	}
	q := level(p, s2)
	r := level(q, s4)
	f := level(r, s8)
	m := make([]VecVirtual, u)
	for i := range m {
		m[i] = f[i][0]
	}
	return m
}
