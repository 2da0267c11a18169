package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// gradSgemm emits model/grad/sgemm_amd64.s: the float32 product of the
// trainable transformer, one block of 8 or 16 output columns at a time.
// C[r, cols] += Σ_i A(r,i)·B[i, cols] with one VFMADD231PS per (r, i) in
// increasing i, five or four rows of C in registers while the B row is
// loaded once.
//
// The Bias and XBias variants start C from a bias row (C[r] = bias) or
// from another matrix plus the bias (C[r] = X[r] + bias, X with C's row
// stride), instead of C's contents: the forward pass's "bias, then
// accumulate the product" without a separate pass over C.
func gradSgemm() {
	sgemmCols("sgemmColAVX2", "sc1", 1, initC)
	sgemmCols("sgemmCol2AVX2", "sc2", 2, initC)
	sgemmCols("sgemmColBiasAVX2", "sb1", 1, initBias)
	sgemmCols("sgemmCol2BiasAVX2", "sb2", 2, initBias)
	sgemmCols("sgemmColXBiasAVX2", "sx1", 1, initXBias)
	sgemmCols("sgemmCol2XBiasAVX2", "sx2", 2, initXBias)
	sgemmTile("sgemm6Col2AVX2", "s62", 6, 2, initC)
	sgemmTile("sgemm6Col2BiasAVX2", "b62", 6, 2, initBias)
	sgemmTile("sgemm6Col2XBiasAVX2", "x62", 6, 2, initXBias)
	sgemmTile("sgemm4Col3AVX2", "s43", 4, 3, initC)
	sgemmTile("sgemm4Col3BiasAVX2", "b43", 4, 3, initBias)
	sgemmTile("sgemm4Col3XBiasAVX2", "x43", 4, 3, initXBias)
	pack6()
}

// pack6 emits pack6AVX2: one six-row panel of A for the weight-gradient
// products (packPanels), dst[6·i+q] = a[i·sak+q] for i < k, q < 6, as a
// 16-byte and an 8-byte move per i, two i per iteration.
func pack6() {
	TEXT("pack6AVX2", NOSPLIT, "func(dst, a *float32, sak, k int)")
	Doc("pack6AVX2 sets dst[6*i+q] = a[i*sak+q] for i < k, q < 6 (one panel of packPanels).")
	MOVQ(NewParamAddr("dst", 0), RDI)
	MOVQ(NewParamAddr("a", 8), RSI)
	MOVQ(NewParamAddr("sak", 16), RDX)
	MOVQ(NewParamAddr("k", 24), RCX)
	SHLQ(Imm(2), RDX) // bytes
	Label("pk6_2")
	CMPQ(RCX, Imm(2))
	JLT(LabelRef("pk6_1"))
	VMOVUPS(Mem{Base: RSI}, X0)
	MOVQ(Mem{Base: RSI, Disp: 16}, RAX)
	VMOVUPS(Mem{Base: RSI, Index: RDX, Scale: 1}, X1)
	MOVQ(Mem{Base: RSI, Index: RDX, Scale: 1, Disp: 16}, RBX)
	VMOVUPS(X0, Mem{Base: RDI})
	MOVQ(RAX, Mem{Base: RDI, Disp: 16})
	VMOVUPS(X1, Mem{Base: RDI, Disp: 24})
	MOVQ(RBX, Mem{Base: RDI, Disp: 40})
	LEAQ(Mem{Base: RSI, Index: RDX, Scale: 2}, RSI)
	ADDQ(Imm(48), RDI)
	SUBQ(Imm(2), RCX)
	JMP(LabelRef("pk6_2"))
	Label("pk6_1")
	CMPQ(RCX, Imm(1))
	JLT(LabelRef("pk6_done"))
	VMOVUPS(Mem{Base: RSI}, X0)
	MOVQ(Mem{Base: RSI, Disp: 16}, RAX)
	VMOVUPS(X0, Mem{Base: RDI})
	MOVQ(RAX, Mem{Base: RDI, Disp: 16})
	Label("pk6_done")
	RET()
}

// Where a kernel's accumulators start.
const (
	initC     = iota // C's contents
	initBias         // the bias row
	initXBias        // X's row plus the bias row
)

// sgemmSig is the Go signature of a product kernel: sgemm's arguments,
// then extra (e.g. ", mask uint16"), then init's starting-value operands.
func sgemmSig(extra string, init int) string {
	sig := "func(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int" + extra
	switch init {
	case initBias:
		sig += ", bias *float32"
	case initXBias:
		sig += ", x, bias *float32"
	}
	return sig + ")"
}

// sgemmCols emits one kernel for a block of 8·w columns (w = 1 or 2).
// Arguments: c *float32, ldc int, a *float32, sar, sak int, b *float32,
// ldb int, m, k int (strides in elements), then for initBias bias
// *float32, for initXBias x, bias *float32 (x's row stride is ldc). k ≥ 1.
func sgemmCols(name, lbl string, w int, init int) {
	TEXT(name, NOSPLIT, sgemmSig("", init))
	biasReg := []VecPhysical{Y14, Y15}
	switch init {
	case initBias:
		MOVQ(NewParamAddr("bias", 72), RAX)
	case initXBias:
		MOVQ(NewParamAddr("bias", 80), RAX)
	}
	if init != initC {
		for h := 0; h < w; h++ {
			VMOVUPS(Mem{Base: RAX, Disp: 32 * h}, biasReg[h])
		}
	}
	MOVQ(NewParamAddr("c", 0), RDI)
	if init == initXBias {
		MOVQ(NewParamAddr("x", 72), R14)
		SUBQ(RDI, R14) // R14: x - c in bytes (same row stride)
	}
	MOVQ(NewParamAddr("ldc", 8), R8)
	SHLQ(Imm(2), R8)
	MOVQ(NewParamAddr("a", 16), RSI)
	MOVQ(NewParamAddr("sar", 24), R9)
	SHLQ(Imm(2), R9)
	MOVQ(NewParamAddr("sak", 32), R10)
	SHLQ(Imm(2), R10)
	MOVQ(NewParamAddr("b", 40), RDX)
	MOVQ(NewParamAddr("ldb", 48), R11)
	SHLQ(Imm(2), R11)
	MOVQ(NewParamAddr("m", 56), R12)
	MOVQ(NewParamAddr("k", 64), R13)
	IMULQ(R11, R13)
	ADDQ(RDX, R13)                                       // R13: end of B
	LEAQ(Mem{Base: R9, Index: R9, Scale: 2}, RBX)        // RBX: 3·sar bytes
	acc := []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7} // row q, half h: acc[q*w+h]
	bv := []VecPhysical{Y8, Y9}
	av := []VecPhysical{Y10, Y11, Y12, Y13}
	// load starts accumulator acc (half h) from the row at mem, an address
	// in C; for initXBias the same address based on CX = DI + (x - c)
	// instead of DI.
	load := func(mem Mem, acc VecPhysical, h int) {
		switch init {
		case initC:
			VMOVUPS(mem, acc)
		case initBias:
			VMOVUPS(biasReg[h], acc)
		case initXBias:
			mem.Base = RCX
			VADDPS(mem, biasReg[h], acc)
		}
	}
	xBase := func() {
		if init == initXBias {
			LEAQ(Mem{Base: RDI, Index: R14, Scale: 1}, RCX)
		}
	}
	rowOff := func(base Register, q int) Mem {
		switch q {
		case 0:
			return Mem{Base: base}
		case 1:
			return Mem{Base: base, Index: R8, Scale: 1}
		case 2:
			return Mem{Base: base, Index: R8, Scale: 2}
		case 4:
			return Mem{Base: base, Index: R8, Scale: 4}
		}
		return Mem{Base: base, Index: RAX, Scale: 1}
	}
	aOff := func(q int) Mem {
		switch q {
		case 0:
			return Mem{Base: RAX}
		case 1:
			return Mem{Base: RAX, Index: R9, Scale: 1}
		case 2:
			return Mem{Base: RAX, Index: R9, Scale: 2}
		case 4:
			return Mem{Base: RAX, Index: R9, Scale: 4}
		}
		return Mem{Base: RAX, Index: RBX, Scale: 1}
	}

	// block emits the loop over blocks of nr rows (4 or 5) of C held in
	// registers; it falls through to next when fewer rows are left, or,
	// for 5, when taking 5 would leave a count that 4-row blocks cannot
	// finish (see below).
	block := func(nr int, acc, av []VecPhysical, bv []VecPhysical, next string) {
		name := fmt.Sprintf("%s_rows%d", lbl, nr)
		Label(name)
		CMPQ(R12, Imm(uint64(nr)))
		JLT(LabelRef(next))
		if nr == 5 {
			// Take 5 rows only while the rest can still be done in
			// blocks of 5 and 4 with no single rows: m%4 = t ≠ 0 needs
			// 5t ≤ m, m%4 = 0 needs m ≥ 20 (else 4-row blocks do it).
			MOVQ(R12, RAX)
			ANDQ(Imm(3), RAX)
			JNZ(LabelRef(name + "_t"))
			CMPQ(R12, Imm(20))
			JLT(LabelRef(next))
			JMP(LabelRef(name + "_go"))
			Label(name + "_t")
			LEAQ(Mem{Base: RAX, Index: RAX, Scale: 4}, RAX)
			CMPQ(R12, RAX)
			JLT(LabelRef(next))
			Label(name + "_go")
		}
		LEAQ(Mem{Base: R8, Index: R8, Scale: 2}, RAX)
		xBase()
		for q := 0; q < nr; q++ {
			for h := 0; h < w; h++ {
				load(rowOff(RDI, q).Offset(32*h), acc[q*w+h], h)
			}
		}
		MOVQ(RSI, RAX)
		MOVQ(RDX, RCX)
		Label(name + "_loop")
		for h := 0; h < w; h++ {
			VMOVUPS(Mem{Base: RCX, Disp: 32 * h}, bv[h])
		}
		for q := 0; q < nr; q++ {
			VBROADCASTSS(aOff(q), av[q%len(av)])
			for h := 0; h < w; h++ {
				VFMADD231PS(bv[h], av[q%len(av)], acc[q*w+h])
			}
		}
		ADDQ(R10, RAX)
		ADDQ(R11, RCX)
		CMPQ(RCX, R13)
		JLT(LabelRef(name + "_loop"))
		LEAQ(Mem{Base: R8, Index: R8, Scale: 2}, RAX)
		for q := 0; q < nr; q++ {
			for h := 0; h < w; h++ {
				VMOVUPS(acc[q*w+h], rowOff(RDI, q).Offset(32*h))
			}
		}
		LEAQ(Mem{Base: RDI, Index: R8, Scale: 4}, RDI)
		LEAQ(Mem{Base: RSI, Index: R9, Scale: 4}, RSI)
		if nr == 5 {
			ADDQ(R8, RDI)
			ADDQ(R9, RSI)
		}
		SUBQ(Imm(uint64(nr)), R12)
		JMP(LabelRef(name))
	}
	// Five rows: 10 accumulators (w = 2) hide the FMA latency better than
	// eight; the bias rows stay in Y14, Y15.
	block(5, []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9}, []VecPhysical{Y12, Y13}, []VecPhysical{Y10, Y11}, lbl+"_rows4")
	block(4, acc, av, bv, lbl+"_rows1")

	Label(lbl + "_rows1")
	TESTQ(R12, R12)
	JLE(LabelRef(lbl + "_done"))
	xBase()
	for h := 0; h < w; h++ {
		load(Mem{Base: RDI, Disp: 32 * h}, acc[h], h)
	}
	MOVQ(RSI, RAX)
	MOVQ(RDX, RCX)
	Label(lbl + "_loop1")
	for h := 0; h < w; h++ {
		VMOVUPS(Mem{Base: RCX, Disp: 32 * h}, bv[h])
	}
	VBROADCASTSS(Mem{Base: RAX}, av[0])
	for h := 0; h < w; h++ {
		VFMADD231PS(bv[h], av[0], acc[h])
	}
	ADDQ(R10, RAX)
	ADDQ(R11, RCX)
	CMPQ(RCX, R13)
	JLT(LabelRef(lbl + "_loop1"))
	for h := 0; h < w; h++ {
		VMOVUPS(acc[h], Mem{Base: RDI, Disp: 32 * h})
	}
	ADDQ(R8, RDI)
	ADDQ(R9, RSI)
	DECQ(R12)
	JMP(LabelRef(lbl + "_rows1"))

	Label(lbl + "_done")
	VZEROUPPER()
	RET()
}

// sgemmTile emits a kernel for a block of 8·w columns (w = 2 or 3) whose
// row count m is a multiple of nr (6 for w = 2, 4 for w = 3): nr rows of
// C at a time in 12 accumulators (Y0-Y11), the B row in Y12.., the
// broadcast A values in the registers left — 12 multiply-adds per 8 or 7
// instructions of loads and 4 of loop, against 10 per 7 and 4 in
// sgemmCols's five-row block, and no 8-column block left over for widths
// 24, 40, 56, … (24 = 8·3 here, the rest in 16-column blocks). The same
// chain of multiply-adds per element as sgemmCols, so the results are
// bit-identical to it. The arguments are sgemmCols's; the bias row is read
// from memory when a block starts (no register left to keep it in).
func sgemmTile(name, lbl string, nr, w int, init int) {
	if nr*w != 12 || nr > 6 {
		panic("asmgen: sgemmTile: nr·w must be 12")
	}
	TEXT(name, NOSPLIT, sgemmSig("", init))
	MOVQ(NewParamAddr("c", 0), RDI)
	if init == initXBias {
		MOVQ(NewParamAddr("x", 72), R15)
		SUBQ(RDI, R15) // R15: x - c in bytes (same row stride)
	}
	MOVQ(NewParamAddr("ldc", 8), R8)
	SHLQ(Imm(2), R8)
	MOVQ(NewParamAddr("a", 16), RSI)
	MOVQ(NewParamAddr("sar", 24), R9)
	SHLQ(Imm(2), R9)
	MOVQ(NewParamAddr("sak", 32), R10)
	SHLQ(Imm(2), R10)
	MOVQ(NewParamAddr("b", 40), RDX)
	MOVQ(NewParamAddr("ldb", 48), R11)
	SHLQ(Imm(2), R11)
	MOVQ(NewParamAddr("m", 56), R12)
	MOVQ(NewParamAddr("k", 64), R13)
	IMULQ(R11, R13)
	ADDQ(RDX, R13)                                // R13: end of B
	LEAQ(Mem{Base: R9, Index: R9, Scale: 2}, RBX) // RBX: 3·sar bytes
	LEAQ(Mem{Base: R9, Index: R9, Scale: 4}, R14) // R14: 5·sar bytes
	acc := []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11}
	bv := []VecPhysical{Y12, Y13, Y14, Y15}[:w]
	av := []VecPhysical{Y12, Y13, Y14, Y15}[w:]
	aOff := []Mem{
		{Base: RAX}, {Base: RAX, Index: R9, Scale: 1}, {Base: RAX, Index: R9, Scale: 2},
		{Base: RAX, Index: RBX, Scale: 1}, {Base: RAX, Index: R9, Scale: 4}, {Base: RAX, Index: R14, Scale: 1},
	}

	Label(lbl + "_rows")
	CMPQ(R12, Imm(uint64(nr)))
	JLT(LabelRef(lbl + "_done"))
	// Start the accumulators: C's rows, the bias row, or X's rows plus
	// the bias row (row pointer in RCX, bias pointer in RAX).
	switch init {
	case initBias:
		MOVQ(NewParamAddr("bias", 72), RAX)
	case initXBias:
		MOVQ(NewParamAddr("bias", 80), RAX)
		LEAQ(Mem{Base: RDI, Index: R15, Scale: 1}, RCX)
	default:
		MOVQ(RDI, RCX)
	}
	for q := 0; q < nr; q++ {
		for h := 0; h < w; h++ {
			switch init {
			case initC:
				VMOVUPS(Mem{Base: RCX, Disp: 32 * h}, acc[w*q+h])
			case initBias:
				VMOVUPS(Mem{Base: RAX, Disp: 32 * h}, acc[w*q+h])
			case initXBias:
				// bias + x, which is x + bias bit for bit.
				VMOVUPS(Mem{Base: RAX, Disp: 32 * h}, acc[w*q+h])
				VADDPS(Mem{Base: RCX, Disp: 32 * h}, acc[w*q+h], acc[w*q+h])
			}
		}
		if init != initBias && q < nr-1 {
			ADDQ(R8, RCX)
		}
	}
	MOVQ(RSI, RAX)
	MOVQ(RDX, RCX)
	Label(lbl + "_loop")
	for h := 0; h < w; h++ {
		VMOVUPS(Mem{Base: RCX, Disp: 32 * h}, bv[h])
	}
	for q := 0; q < nr; q++ {
		VBROADCASTSS(aOff[q], av[q%len(av)])
		for h := 0; h < w; h++ {
			VFMADD231PS(bv[h], av[q%len(av)], acc[w*q+h])
		}
	}
	ADDQ(R10, RAX)
	ADDQ(R11, RCX)
	CMPQ(RCX, R13)
	JLT(LabelRef(lbl + "_loop"))
	for q := 0; q < nr; q++ {
		for h := 0; h < w; h++ {
			VMOVUPS(acc[w*q+h], Mem{Base: RDI, Disp: 32 * h})
		}
		ADDQ(R8, RDI)
	}
	if nr == 6 {
		LEAQ(Mem{Base: RSI, Index: R9, Scale: 2}, RSI)
	}
	LEAQ(Mem{Base: RSI, Index: R9, Scale: 4}, RSI)
	SUBQ(Imm(uint64(nr)), R12)
	JMP(LabelRef(lbl + "_rows"))

	Label(lbl + "_done")
	VZEROUPPER()
	RET()
}
