package model

// linear is a weight matrix prepared for the forward pass: the transpose of
// a TransformerLens [in, out] matrix, widened to float64, so every output
// element is a contiguous float64 dot product.
type linear struct {
	in, out int
	wt      []float64 // [out][in]
}

// newLinear prepares w ([in, out] row-major float32).
func newLinear(w []float32, in, out int) linear {
	l := linear{in: in, out: out, wt: make([]float64, in*out)}
	for i := 0; i < in; i++ {
		row := w[i*out : (i+1)*out]
		for j, v := range row {
			l.wt[j*in+i] = float64(v)
		}
	}
	return l
}

// rows returns output rows [lo, hi) of the transposed matrix, as a linear
// with out = hi-lo (used to address one head's columns).
func (l linear) rows(lo, hi int) linear {
	return linear{in: l.in, out: hi - lo, wt: l.wt[lo*l.in : hi*l.in]}
}

// apply computes dst[j] = bias[j] + Σ_i x[i]·W[i,j] for one input row
// already widened to float64 (x64, length l.in). bias may be nil.
func (l linear) apply(dst []float32, x64 []float64, bias []float32) {
	n := l.in
	x64 = x64[:n]
	j := 0
	for ; j+4 <= l.out; j += 4 {
		w0 := l.wt[j*n : (j+1)*n]
		w1 := l.wt[(j+1)*n : (j+2)*n]
		w2 := l.wt[(j+2)*n : (j+3)*n]
		w3 := l.wt[(j+3)*n : (j+4)*n]
		var s0, s1, s2, s3 float64
		for i, xv := range x64 {
			s0 += xv * w0[i]
			s1 += xv * w1[i]
			s2 += xv * w2[i]
			s3 += xv * w3[i]
		}
		if bias != nil {
			s0 += float64(bias[j])
			s1 += float64(bias[j+1])
			s2 += float64(bias[j+2])
			s3 += float64(bias[j+3])
		}
		dst[j], dst[j+1], dst[j+2], dst[j+3] = float32(s0), float32(s1), float32(s2), float32(s3)
	}
	for ; j < l.out; j++ {
		w := l.wt[j*n : (j+1)*n]
		var s float64
		for i, xv := range x64 {
			s += xv * w[i]
		}
		if bias != nil {
			s += float64(bias[j])
		}
		dst[j] = float32(s)
	}
}

// widen copies a float32 row into a float64 scratch row.
func widen(dst []float64, src []float32) []float64 {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = float64(v)
	}
	return dst
}

// applyRows runs l over n rows of x ([n, l.in]) into out ([n, l.out]),
// split over the batch on GOMAXPROCS goroutines.
func (l linear) applyRows(out, x []float32, bias []float32, n int) {
	parallel(n, l.in*l.out, func(lo, hi int) {
		x64 := make([]float64, l.in)
		for r := lo; r < hi; r++ {
			l.apply(out[r*l.out:(r+1)*l.out], widen(x64, x[r*l.in:(r+1)*l.in]), bias)
		}
	})
}
