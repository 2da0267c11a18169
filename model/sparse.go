package model

import (
	"math"
	"unsafe"
)

// sparseCols holds the non-zero weights of a linear by output column, in
// increasing input index: column cols[c]'s are idx/val[start[c]:start[c+1]].
// Columns without a non-zero weight are not listed (their output is the
// bias alone).
type sparseCols struct {
	cols  []int32
	start []int32
	idx   []int32
	val   []float64
}

// maxSparseDensity is the fraction of non-zero weights up to which the
// sparse layout is used: the scalar sparse loop does about 1/10 of the
// multiply-adds per second of the packed AVX2 kernel.
const maxSparseDensity = 1.0 / 16

// newSparseCols returns the sparse layout of the in×out matrix at, or nil
// when more than maxSparseDensity of it is non-zero.
func newSparseCols(in, out int, at func(i, j int) float32) *sparseCols {
	nnz := 0
	for i := 0; i < in; i++ {
		for j := 0; j < out; j++ {
			if at(i, j) != 0 {
				nnz++
			}
		}
	}
	if float64(nnz) > maxSparseDensity*float64(in)*float64(out) {
		return nil
	}
	s := &sparseCols{start: []int32{0}, idx: make([]int32, 0, nnz), val: make([]float64, 0, nnz)}
	for j := 0; j < out; j++ {
		n := len(s.idx)
		for i := 0; i < in; i++ {
			if v := at(i, j); v != 0 {
				s.idx = append(s.idx, int32(i))
				s.val = append(s.val, float64(v))
			}
		}
		if len(s.idx) > n {
			s.cols = append(s.cols, int32(j))
			s.start = append(s.start, int32(len(s.idx)))
		}
	}
	return s
}

func (s *sparseCols) nnz() int { return len(s.idx) }

// emptyColumns returns what a column without weights outputs: the float32
// of 0 + bias[j] (+0 without a bias), as the dense kernels compute it.
func emptyColumns(out int, bias []float32) []float32 {
	t := make([]float32, out)
	if bias != nil {
		for j := range t {
			t[j] = float32(0 + float64(bias[j]))
		}
	}
	return t
}

// finite reports whether x has no infinite or NaN value. A float32 is
// one of those when its exponent bits are all ones, that is when
// (bits & 0x7f800000) + 0x00800000 reaches bit 31; the test runs on two
// values per uint64 (no carry crosses from one half into the other).
func finite(x []float32) bool {
	const (
		mask = 0x7f8000007f800000
		one  = 0x0080000000800000
		top  = 0x8000000080000000
	)
	var a0, a1 uint64
	if len(x) > 0 && uintptr(unsafe.Pointer(&x[0]))%8 != 0 {
		a0 = uint64(math.Float32bits(x[0]))&mask + one
		x = x[1:]
	}
	if n := len(x) / 2; n > 0 {
		w := unsafe.Slice((*uint64)(unsafe.Pointer(&x[0])), n)
		for len(w) >= 4 {
			a0 |= w[0]&mask + one
			a1 |= w[1]&mask + one
			a0 |= w[2]&mask + one
			a1 |= w[3]&mask + one
			w = w[4:]
		}
		for _, v := range w {
			a0 |= v&mask + one
		}
	}
	if len(x)%2 == 1 {
		a1 |= uint64(math.Float32bits(x[len(x)-1]))&mask + one
	}
	return (a0|a1)&top == 0
}

// apply computes dst[j] = bias[j] + Σ_i x[i]·W[i,j] for a finite x (the
// caller checks: with an infinite or NaN value the dense product turns its
// zero weights into NaN, so such rows take the dense path), given the
// outputs of empty columns (emptyColumns), which it writes only when fill
// is set (else dst holds them already).
func (s *sparseCols) apply(dst, x []float32, bias, empty []float32, fill bool) {
	if fill && len(s.cols) < len(dst) { // else every column is written below
		copy(dst, empty)
	}
	// Columns hold one or two weights each in tracr's models: walk the
	// flat index and value arrays rather than slicing them per column.
	idx, val := s.idx, s.val[:len(s.idx)]
	start := s.start[1 : len(s.cols)+1]
	k := int32(0)
	for c, j := range s.cols {
		// The product of two float32 values is exact in float64, so this
		// rounds like the dense kernels' fused or separate multiply-adds.
		acc := 0.0
		for hi := start[c]; k < hi; k++ {
			acc += float64(x[idx[k]]) * val[k]
		}
		if bias != nil {
			acc += float64(bias[j])
		}
		dst[j] = float32(acc)
	}
}
