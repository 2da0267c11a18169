package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// gradSgemmZ emits model/grad/sgemmz_amd64.s: the AVX-512 (zmm) form
// of model/grad's float32 product. Each kernel takes a block of w zmm
// columns (16·w floats, the last zmm masked by K1 to the block's real
// width) and walks its m rows in tiles of nr rows held in nr·w
// accumulators (24 for the wide tiles), then smaller tiles (4, 2, 1 rows)
// for the rest. Every output element is the chain of VFMADD231PS over i
// in increasing order from its starting value, as in the AVX2 kernels, so
// the results are bit-identical to them.
//
// The starting value is C's contents (sgemmZ*AVX512), the bias row
// (sgemmZ*BiasAVX512) or x's row plus the bias row (sgemmZ*XBiasAVX512,
// computed as bias + x, which is x + bias bit for bit).
//
// The …H… kernels (sgemmZ4HBiasAVX512, …) take a block whose last vector
// is half a zmm, eight columns in a ymm: a width ≡ 8 (mod 16) such as
// d_model 50 → 56 or d_mlp 200 ends there. On a CPU that runs a 512-bit
// operation as two 256-bit halves (Zen 4) a masked zmm costs as much as a
// full one, so the ymm saves the dead half's multiply-adds; the chains per
// element are the same.
func gradSgemmZ() {
	for _, half := range []bool{false, true} {
		for w := 1; w <= 4; w++ {
			sgemmZ(w, initC, half)
			sgemmZ(w, initBias, half)
			sgemmZ(w, initXBias, half)
		}
	}
}

// zRows is the tile height of the w-zmm kernel: 12 rows for w ≤ 2 (12
// or 24 accumulators: a narrow block's eight chains of dependent
// multiply-adds barely cover the FMA latency, and the 4-row tail of 12
// rows, a weight gradient's d_model, had only four), 8 rows (24) for w =
// 3, 6 rows (24) for w = 4.
func zRows(w int) int {
	switch w {
	case 1, 2:
		return 12
	case 4:
		return 6
	}
	return 8
}

// sgemmZ emits one kernel for a block of w zmm columns. Arguments: c
// *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k
// int (strides in elements, k ≥ 1), mask uint16 (the lanes of the last
// zmm that are columns; not with half, whose last vector is a ymm of
// eight columns), then for initBias bias *float32, for initXBias x, bias
// *float32 (x's row stride is ldc).
func sgemmZ(w, init int, half bool) {
	suffix := map[int]string{initC: "", initBias: "Bias", initXBias: "XBias"}[init]
	hs, maskArg := "", ", mask uint16"
	if half {
		hs, maskArg = "H", ""
	}
	name := fmt.Sprintf("sgemmZ%d%s%sAVX512", w, hs, suffix)
	lbl := fmt.Sprintf("z%d%s%s", w, hs, suffix)
	TEXT(name, NOSPLIT, sgemmSig(maskArg, init))
	if half {
		Doc(fmt.Sprintf("%s is the AVX-512 product kernel for a block of %d zmm columns, the last a ymm (see gradSgemmZ).", name, w))
	} else {
		Doc(fmt.Sprintf("%s is the AVX-512 product kernel for a block of %d zmm columns (see gradSgemmZ).", name, w))
		Load(Param("mask"), RAX)
		KMOVW(EAX, K1)
	}
	Load(Param("c"), RDI)
	Load(Param("ldc"), R8)
	SHLQ(Imm(2), R8)
	Load(Param("a"), RSI)
	Load(Param("sar"), R9)
	SHLQ(Imm(2), R9)
	Load(Param("sak"), R10)
	SHLQ(Imm(2), R10)
	Load(Param("b"), RDX)
	Load(Param("ldb"), R11)
	SHLQ(Imm(2), R11)
	Load(Param("m"), R12)
	Load(Param("k"), R13)
	IMULQ(R11, R13)
	ADDQ(RDX, R13)                                 // R13: end of B
	LEAQ(Mem{Base: R9, Index: R9, Scale: 2}, RBX)  // RBX: 3·sar bytes
	LEAQ(Mem{Base: R9, Index: R9, Scale: 4}, R14)  // R14: 5·sar bytes
	LEAQ(Mem{Base: RBX, Index: R9, Scale: 4}, R15) // R15: 7·sar bytes

	var zr []VecPhysical
	for _, r := range []VecPhysical{Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15,
		Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23, Z24, Z25, Z26, Z27, Z28, Z29, Z30, Z31} {
		zr = append(zr, r)
	}
	acc, bv, av := zr[:24], zr[24:28], zr[28:]
	// Rows 8..11 of a 12-row tile are read through R12 = RAX + 8·sar (R12,
	// the rows left, waits in m's argument slot meanwhile).
	aOff := []Mem{
		{Base: RAX}, {Base: RAX, Index: R9, Scale: 1}, {Base: RAX, Index: R9, Scale: 2}, {Base: RAX, Index: RBX, Scale: 1},
		{Base: RAX, Index: R9, Scale: 4}, {Base: RAX, Index: R14, Scale: 1}, {Base: RAX, Index: RBX, Scale: 2}, {Base: RAX, Index: R15, Scale: 1},
		{Base: R12}, {Base: R12, Index: R9, Scale: 1}, {Base: R12, Index: R9, Scale: 2}, {Base: R12, Index: RBX, Scale: 1},
	}
	// RSI advances by nr·sar bytes after a tile of nr rows.
	stepA := map[int]Mem{
		1: {Base: RSI, Index: R9, Scale: 1}, 2: {Base: RSI, Index: R9, Scale: 2}, 4: {Base: RSI, Index: R9, Scale: 4},
		6: {Base: RSI, Index: RBX, Scale: 2}, 8: {Base: RSI, Index: R9, Scale: 8}, 12: {Base: RSI, Index: RBX, Scale: 4},
	}
	// lastHalf: vector h is the half (ymm) one.
	lastHalf := func(h int) bool { return half && h == w-1 }
	// vload loads zmm h of a row at mem: masked (zeroing) for the last, a
	// ymm for the half one.
	vload := func(mem Mem, h int, dst VecPhysical) {
		switch {
		case lastHalf(h):
			VMOVUPS(mem, dst.AsY())
		case h == w-1:
			VMOVUPS_Z(mem, K1, dst)
		default:
			VMOVUPS(mem, dst)
		}
	}

	tiles := []int{zRows(w)}
	for _, nr := range []int{8, 4, 2, 1} {
		if nr < tiles[0] {
			tiles = append(tiles, nr)
		}
	}
	for ti, nr := range tiles {
		tl := fmt.Sprintf("%s_rows%d", lbl, nr)
		next := lbl + "_done"
		for _, n := range tiles[ti+1:] {
			if n < nr {
				next = fmt.Sprintf("%s_rows%d", lbl, n)
				break
			}
		}
		Label(tl)
		CMPQ(R12, Imm(uint64(nr)))
		JLT(LabelRef(next))
		// Start the accumulators (row pointer in RCX, bias pointer in RAX).
		switch init {
		case initBias:
			Load(Param("bias"), RAX)
		case initXBias:
			Load(Param("bias"), RAX)
			Load(Param("x"), RCX)
			ADDQ(RDI, RCX)
			SUBQ(NewParamAddr("c", 0), RCX) // x + (this row of C - c)
		default:
			MOVQ(RDI, RCX)
		}
		for q := 0; q < nr; q++ {
			for h := 0; h < w; h++ {
				dst := acc[q*w+h]
				switch init {
				case initC:
					vload(Mem{Base: RCX, Disp: 64 * h}, h, dst)
				case initBias:
					vload(Mem{Base: RAX, Disp: 64 * h}, h, dst)
				case initXBias:
					vload(Mem{Base: RAX, Disp: 64 * h}, h, dst)
					if lastHalf(h) {
						VADDPS(Mem{Base: RCX, Disp: 64 * h}, dst.AsY(), dst.AsY())
					} else if h == w-1 {
						VADDPS_Z(Mem{Base: RCX, Disp: 64 * h}, dst, K1, dst)
					} else {
						VADDPS(Mem{Base: RCX, Disp: 64 * h}, dst, dst)
					}
				}
			}
			if init != initBias && q < nr-1 {
				ADDQ(R8, RCX)
			}
		}
		MOVQ(RSI, RAX)
		MOVQ(RDX, RCX)
		if nr > 8 {
			Store(R12, Param("m"))
			LEAQ(Mem{Base: RSI, Index: R9, Scale: 8}, R12)
		}
		Label(tl + "_loop")
		for h := 0; h < w; h++ {
			vload(Mem{Base: RCX, Disp: 64 * h}, h, bv[h])
		}
		for q := 0; q < nr; q++ {
			a := av[q%len(av)]
			VBROADCASTSS(aOff[q], a)
			for h := 0; h < w; h++ {
				if lastHalf(h) {
					VFMADD231PS(bv[h].AsY(), a.AsY(), acc[q*w+h].AsY())
				} else {
					VFMADD231PS(bv[h], a, acc[q*w+h])
				}
			}
		}
		ADDQ(R10, RAX)
		if nr > 8 {
			ADDQ(R10, R12)
		}
		ADDQ(R11, RCX)
		CMPQ(RCX, R13)
		JLT(LabelRef(tl + "_loop"))
		for q := 0; q < nr; q++ {
			for h := 0; h < w; h++ {
				m := Mem{Base: RDI, Disp: 64 * h}
				if lastHalf(h) {
					VMOVUPS(acc[q*w+h].AsY(), m)
				} else if h == w-1 {
					VMOVUPS(acc[q*w+h], K1, m)
				} else {
					VMOVUPS(acc[q*w+h], m)
				}
			}
			ADDQ(R8, RDI)
		}
		LEAQ(stepA[nr], RSI)
		if nr > 8 {
			Load(Param("m"), R12)
		}
		SUBQ(Imm(uint64(nr)), R12)
		JMP(LabelRef(tl))
	}
	Label(lbl + "_done")
	VZEROUPPER()
	RET()
}
