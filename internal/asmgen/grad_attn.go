package main

import (
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// gradAttn emits model/grad/attn_amd64.s: one attention head of eight
// sequences at a time, the batch in the eight float32 lanes. Every operand
// is laid out [position][feature][8 lanes] (q, k, v, z, their gradients:
// [T][d_head][8]; the pattern [T][T][8]; dp [T][8]), so scores, mask,
// softmax and the weighted sums are plain lane-wise operations whatever
// d_head and T are. The operations and their order are those of
// model/grad's pure-Go twins attnFwdLanesGo and attnBwdLanesGo (separate
// multiplies and adds, no FMA; the softmax exponential is expNeg's), so
// the two agree bit for bit.
func gradAttn() {
	c := expConsts("attnexp")
	ninf := GLOBL("attnninf", RODATA|NOPTR)
	for j := 0; j < 8; j++ {
		DATA(4*j, U32(math.Float32bits(float32(math.Inf(-1)))))
	}
	attnFwd(c, ninf)
	attnBwd()
	gradLanes()
}

// lane returns the 8-lane vector at base + off bytes.
func lane(base, off Register) Mem { return Mem{Base: base, Index: off, Scale: 1} }

// jnBytes sets jn to the number of keys position i attends to, times 32
// bytes: i+1 when causal (iB = 32·i), else T (rowP = 32·T).
func jnBytes(causal Mem, iB, rowP Register, lbl string) GPVirtual {
	jn := GP64()
	MOVQ(rowP, jn)
	CMPQ(causal, Imm(0))
	JE(LabelRef(lbl))
	LEAQ(Mem{Base: iB, Disp: 32}, jn)
	Label(lbl)
	return jn
}

// attnFwd emits attnFwdLanes(q, k, v, p, z, T, dh, inv, causal): for each
// query position i, s_j = (Σ_e q_ie·k_je)·inv for the j < jn it sees,
// p_ij = e^(s_j - max_j s_j) / Σ_j e^(…) (0 for masked j), z_ie =
// Σ_j p_ij·v_je.
func attnFwd(c, ninf Mem) {
	TEXT("attnFwdLanes", NOSPLIT, "func(q, k, v, p, z *float32, T, dh int, inv float32, causal int)")
	q := Load(Param("q"), GP64())
	p := Load(Param("p"), GP64())
	z := Load(Param("z"), GP64())
	rowQ := Load(Param("dh"), GP64())
	SHLQ(Imm(5), rowQ)
	rowP := Load(Param("T"), GP64())
	SHLQ(Imm(5), rowP)
	inv := YMM()
	VBROADCASTSS(NewParamAddr("inv", 56), inv)
	iB := GP64()
	XORQ(iB, iB)

	Label("fwd_i")
	jn := jnBytes(NewParamAddr("causal", 64), iB, rowP, "fwd_jn")
	// Scores and their maximum.
	mx := YMM()
	VMOVUPS(ninf, mx)
	kj := Load(Param("k"), GP64())
	j := GP64()
	XORQ(j, j)
	Label("fwd_s")
	acc := YMM()
	VXORPS(acc, acc, acc)
	e := GP64()
	XORQ(e, e)
	Label("fwd_se")
	t := YMM()
	VMOVUPS(lane(q, e), t)
	VMULPS(lane(kj, e), t, t)
	VADDPS(t, acc, acc)
	ADDQ(Imm(32), e)
	CMPQ(e, rowQ)
	JL(LabelRef("fwd_se"))
	VMULPS(inv, acc, acc)
	VMOVUPS(acc, lane(p, j))
	VMAXPS(acc, mx, mx) // mx = mx > s ? mx : s
	ADDQ(rowQ, kj)
	ADDQ(Imm(32), j)
	CMPQ(j, jn)
	JL(LabelRef("fwd_s"))
	// Exponentials and their sum.
	sum := YMM()
	VXORPS(sum, sum, sum)
	XORQ(j, j)
	Label("fwd_x")
	x := YMM()
	VMOVUPS(lane(p, j), x)
	VSUBPS(mx, x, x)
	y := []VecVirtual{YMM(), YMM(), YMM(), YMM(), YMM(), YMM(), YMM()}
	expNegOps(c, x, y[0], y[1], y[2], y[3], y[4], y[5], y[6])
	VMOVUPS(y[4], lane(p, j))
	VADDPS(y[4], sum, sum)
	ADDQ(Imm(32), j)
	CMPQ(j, jn)
	JL(LabelRef("fwd_x"))
	// Masked keys get 0.
	zero := YMM()
	VXORPS(zero, zero, zero)
	Label("fwd_m")
	CMPQ(j, rowP)
	JGE(LabelRef("fwd_norm"))
	VMOVUPS(zero, lane(p, j))
	ADDQ(Imm(32), j)
	JMP(LabelRef("fwd_m"))
	// Normalise.
	Label("fwd_norm")
	r := YMM()
	VMOVUPS(c.Offset(32*expOne), r)
	VDIVPS(sum, r, r) // 1/sum
	XORQ(j, j)
	Label("fwd_n")
	w := YMM()
	VMOVUPS(lane(p, j), w)
	VMULPS(r, w, w)
	VMOVUPS(w, lane(p, j))
	ADDQ(Imm(32), j)
	CMPQ(j, jn)
	JL(LabelRef("fwd_n"))
	// z_i = Σ_j p_ij·v_j, feature by feature.
	XORQ(e, e)
	Label("fwd_ze")
	za := YMM()
	VXORPS(za, za, za)
	vj := Load(Param("v"), GP64())
	XORQ(j, j)
	Label("fwd_zj")
	u := YMM()
	VMOVUPS(lane(p, j), u)
	VMULPS(lane(vj, e), u, u)
	VADDPS(u, za, za)
	ADDQ(rowQ, vj)
	ADDQ(Imm(32), j)
	CMPQ(j, jn)
	JL(LabelRef("fwd_zj"))
	VMOVUPS(za, lane(z, e))
	ADDQ(Imm(32), e)
	CMPQ(e, rowQ)
	JL(LabelRef("fwd_ze"))

	ADDQ(rowQ, q)
	ADDQ(rowQ, z)
	ADDQ(rowP, p)
	ADDQ(Imm(32), iB)
	CMPQ(iB, rowP)
	JL(LabelRef("fwd_i"))
	VZEROUPPER()
	RET()
}

// attnBwd emits attnBwdLanes(q, k, v, p, dz, dq, dk, dv, dp, T, dh, inv,
// causal), which adds into dq, dk, dv (zeroed by the caller): for each
// query position i, dp_j = Σ_e dz_ie·v_je, dv_je += p_ij·dz_ie, s =
// Σ_j p_ij·dp_j, then ds_j = p_ij·(dp_j - s)·inv, dq_ie += ds_j·k_je,
// dk_je += ds_j·q_ie.
func attnBwd() {
	TEXT("attnBwdLanes", NOSPLIT, "func(q, k, v, p, dz, dq, dk, dv, dp *float32, T, dh int, inv float32, causal int)")
	q := Load(Param("q"), GP64())
	p := Load(Param("p"), GP64())
	dz := Load(Param("dz"), GP64())
	dq := Load(Param("dq"), GP64())
	rowQ := Load(Param("dh"), GP64())
	SHLQ(Imm(5), rowQ)
	rowP := Load(Param("T"), GP64())
	SHLQ(Imm(5), rowP)
	inv := YMM()
	VBROADCASTSS(NewParamAddr("inv", 88), inv)
	iB := GP64()
	XORQ(iB, iB)

	Label("bwd_i")
	jn := jnBytes(NewParamAddr("causal", 96), iB, rowP, "bwd_jn")
	// dp_j, dv_j and s.
	s := YMM()
	VXORPS(s, s, s)
	vj := Load(Param("v"), GP64())
	dvj := Load(Param("dv"), GP64())
	dp := Load(Param("dp"), GP64())
	j := GP64()
	XORQ(j, j)
	Label("bwd_v")
	pij := YMM()
	VMOVUPS(lane(p, j), pij)
	a := YMM()
	VXORPS(a, a, a)
	e := GP64()
	XORQ(e, e)
	Label("bwd_ve")
	d := YMM()
	VMOVUPS(lane(dz, e), d)
	t := YMM()
	VMULPS(lane(vj, e), d, t)
	VADDPS(t, a, a) // a += dz·v
	VMULPS(d, pij, t)
	VADDPS(lane(dvj, e), t, t)
	VMOVUPS(t, lane(dvj, e)) // dv += p·dz
	ADDQ(Imm(32), e)
	CMPQ(e, rowQ)
	JL(LabelRef("bwd_ve"))
	VMOVUPS(a, lane(dp, j))
	VMULPS(a, pij, a)
	VADDPS(a, s, s) // s += p·a
	ADDQ(rowQ, vj)
	ADDQ(rowQ, dvj)
	ADDQ(Imm(32), j)
	CMPQ(j, jn)
	JL(LabelRef("bwd_v"))
	// ds_j, dq_i, dk_j.
	kj := Load(Param("k"), GP64())
	dkj := Load(Param("dk"), GP64())
	XORQ(j, j)
	Label("bwd_k")
	ds := YMM()
	VMOVUPS(lane(dp, j), ds)
	VSUBPS(s, ds, ds)
	VMULPS(lane(p, j), ds, ds)
	VMULPS(inv, ds, ds) // p·(dp - s)·inv
	XORQ(e, e)
	Label("bwd_ke")
	u := YMM()
	VMULPS(lane(kj, e), ds, u)
	VADDPS(lane(dq, e), u, u)
	VMOVUPS(u, lane(dq, e)) // dq_i += ds·k_j
	VMULPS(lane(q, e), ds, u)
	VADDPS(lane(dkj, e), u, u)
	VMOVUPS(u, lane(dkj, e)) // dk_j += ds·q_i
	ADDQ(Imm(32), e)
	CMPQ(e, rowQ)
	JL(LabelRef("bwd_ke"))
	ADDQ(rowQ, kj)
	ADDQ(rowQ, dkj)
	ADDQ(Imm(32), j)
	CMPQ(j, jn)
	JL(LabelRef("bwd_k"))

	ADDQ(rowQ, q)
	ADDQ(rowQ, dz)
	ADDQ(rowQ, dq)
	ADDQ(rowP, p)
	ADDQ(Imm(32), iB)
	CMPQ(iB, rowP)
	JL(LabelRef("bwd_i"))
	VZEROUPPER()
	RET()
}

// transpose8 emits the transpose of the 8×8 block in r (r[i] is row i),
// returning the columns (c[j] holds column j; the r registers are
// clobbered).
func transpose8(r []VecVirtual) []VecVirtual {
	t := make([]VecVirtual, 8)
	for i := 0; i < 8; i += 2 {
		t[i], t[i+1] = YMM(), YMM()
		VUNPCKLPS(r[i+1], r[i], t[i])   // r_i0 r_i+1,0 r_i1 r_i+1,1 | …4, 5
		VUNPCKHPS(r[i+1], r[i], t[i+1]) // …2, 3 | …6, 7
	}
	u := make([]VecVirtual, 8)
	for h := 0; h < 8; h += 4 {
		for k := 0; k < 2; k++ {
			lo, hi := YMM(), YMM()
			VSHUFPS(Imm(0x44), t[h+2+k], t[h+k], lo) // columns 2k, 2k+4 of rows h..h+3
			VSHUFPS(Imm(0xee), t[h+2+k], t[h+k], hi) // columns 2k+1, 2k+5
			u[h+2*k], u[h+2*k+1] = lo, hi
		}
	}
	c := make([]VecVirtual, 8)
	for j := 0; j < 4; j++ {
		c[j], c[j+4] = YMM(), YMM()
		VPERM2F128(Imm(0x20), u[4+j], u[j], c[j])
		VPERM2F128(Imm(0x31), u[4+j], u[j], c[j+4])
	}
	return c
}

// gradLanes emits lanesIn and lanesOut, which move a full group of eight
// sequences (T rows each, row stride ld floats, the first w columns)
// between row layout and the lane layout [w/dh][T][dh][8]; off[s] is the
// byte offset of column s's vector at t = 0, ((s/dh)·T·dh + s%dh)·32.
// Eight columns at a time: eight row loads, an 8×8 transpose, eight
// vector stores (and back). lanesOut writes zeros into the columns w..
// of the last block (ld is a multiple of 8).
func gradLanes() {
	for _, out := range []bool{false, true} {
		name, lbl := "lanesIn", "lin"
		if out {
			name, lbl = "lanesOut", "lout"
		}
		TEXT(name, NOSPLIT, "func(rows *float32, ld int, lanes *float32, off *int, T, w, dh int)")
		ldB := Load(Param("ld"), GP64())
		SHLQ(Imm(2), ldB)
		laneB := Load(Param("T"), GP64())
		IMULQ(ldB, laneB) // bytes from one sequence's row t to the next's
		x3 := GP64()
		LEAQ(Mem{Base: laneB, Index: laneB, Scale: 2}, x3)
		tB := Load(Param("dh"), GP64())
		SHLQ(Imm(5), tB)
		rowT := Load(Param("rows"), GP64())
		lanT := Load(Param("lanes"), GP64())
		nt := Load(Param("T"), GP64())
		Label(lbl + "_t")
		sb := GP64()
		XORQ(sb, sb)
		Label(lbl + "_s")
		p, p4 := GP64(), GP64()
		LEAQ(Mem{Base: rowT, Index: sb, Scale: 4}, p)
		LEAQ(Mem{Base: p, Index: laneB, Scale: 4}, p4)
		rowAt := []Mem{
			{Base: p}, {Base: p, Index: laneB, Scale: 1}, {Base: p, Index: laneB, Scale: 2}, {Base: p, Index: x3, Scale: 1},
			{Base: p4}, {Base: p4, Index: laneB, Scale: 1}, {Base: p4, Index: laneB, Scale: 2}, {Base: p4, Index: x3, Scale: 1},
		}
		rem := Load(Param("w"), GP64())
		SUBQ(sb, rem) // columns left, ≥ 1
		offs := Load(Param("off"), GP64())
		o := GP64()
		v := make([]VecVirtual, 8)
		for i := range v {
			v[i] = YMM()
		}
		if !out {
			for i := range v {
				VMOVUPS(rowAt[i], v[i])
			}
			c := transpose8(v)
			for j := 0; j < 8; j++ {
				if j > 0 {
					CMPQ(rem, Imm(uint64(j)))
					JLE(LabelRef(lbl + "_next"))
				}
				MOVQ(Mem{Base: offs, Index: sb, Scale: 8, Disp: 8 * j}, o)
				VMOVUPS(c[j], Mem{Base: lanT, Index: o, Scale: 1})
			}
		} else {
			for j := range v {
				VXORPS(v[j], v[j], v[j])
			}
			for j := 0; j < 8; j++ {
				if j > 0 {
					CMPQ(rem, Imm(uint64(j)))
					JLE(LabelRef(lbl + "_tr"))
				}
				MOVQ(Mem{Base: offs, Index: sb, Scale: 8, Disp: 8 * j}, o)
				VMOVUPS(Mem{Base: lanT, Index: o, Scale: 1}, v[j])
			}
			Label(lbl + "_tr")
			r := transpose8(v)
			for i := range r {
				VMOVUPS(r[i], rowAt[i])
			}
		}
		Label(lbl + "_next")
		ADDQ(Imm(8), sb)
		CMPQ(sb, Load(Param("w"), GP64()))
		JL(LabelRef(lbl + "_s"))
		ADDQ(ldB, rowT)
		ADDQ(tB, lanT)
		DECQ(nt)
		JNZ(LabelRef(lbl + "_t"))
		VZEROUPPER()
		RET()
	}
}
