package model

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

// finite reports whether x has no infinite or NaN value (v-v is NaN for
// those, 0 otherwise). Eight independent sums keep the check from waiting
// on one chain of additions.
func finite(x []float32) bool {
	var a [8]float32
	i := 0
	for ; i+8 <= len(x); i += 8 {
		y := x[i : i+8 : i+8]
		a[0] += y[0] - y[0]
		a[1] += y[1] - y[1]
		a[2] += y[2] - y[2]
		a[3] += y[3] - y[3]
		a[4] += y[4] - y[4]
		a[5] += y[5] - y[5]
		a[6] += y[6] - y[6]
		a[7] += y[7] - y[7]
	}
	for ; i < len(x); i++ {
		a[0] += x[i] - x[i]
	}
	return (a[0]+a[1])+(a[2]+a[3])+(a[4]+a[5])+(a[6]+a[7]) == 0
}

// apply computes dst[j] = bias[j] + Σ_i x[i]·W[i,j] given the outputs of
// empty columns (emptyColumns) and reports true, or reports false without
// writing when x has an infinite or NaN value (the dense product then
// turns its zero weights into NaN).
func (s *sparseCols) apply(dst, x []float32, bias, empty []float32) bool {
	if !finite(x) {
		return false
	}
	copy(dst, empty)
	for c, j := range s.cols {
		lo, hi := s.start[c], s.start[c+1]
		idx, val := s.idx[lo:hi], s.val[lo:hi]
		// The product of two float32 values is exact in float64, so this
		// rounds like the dense kernels' fused or separate multiply-adds.
		acc := 0.0
		for k, i := range idx {
			acc += float64(x[i]) * val[k]
		}
		if bias != nil {
			acc += float64(bias[j])
		}
		dst[j] = float32(acc)
	}
	return true
}
