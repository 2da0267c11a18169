package model

import (
	"math"
	"testing"
)

// TestSparseMatchesDense checks that the sparse layout gives bit-identical
// outputs to the dense kernel the matrix would otherwise use (row kernel
// or packed tiles), with and without bias (-0 included), with empty columns and rows
// holding ±Inf or NaN (which must come out as the dense kernel's NaNs).
func TestSparseMatchesDense(t *testing.T) {
	for _, tc := range []struct{ in, out, every int }{
		{13, 9, 17},    // small layout
		{244, 91, 37},  // packed layout (row kernel with -tags noasm)
		{90, 244, 101}, // many empty columns
	} {
		w := make([]float32, tc.in*tc.out)
		vals := lcg(len(w), 7)
		for i := range w {
			if (i*7919)%tc.every == 0 {
				w[i] = vals[i]
			}
		}
		l := newLinear(w, tc.in, tc.out)
		if l.sp == nil {
			t.Fatalf("%dx%d with 1/%d non-zero: no sparse layout", tc.in, tc.out, tc.every)
		}
		d := l
		d.sp = nil
		const n = 23
		x := lcg(n*tc.in, 3)
		for i := range x {
			x[i] *= 37 // larger values: rounding differences would show
		}
		x[5*tc.in+3] = float32(math.Inf(1))
		x[9*tc.in+tc.in-1] = float32(math.Inf(-1))
		x[17*tc.in] = float32(math.NaN())
		bias := lcg(tc.out, 11)
		for j := 0; j < tc.out; j += 5 {
			bias[j] = float32(math.Copysign(0, -1)) // -0 + +0 is +0 in the dense sum
		}
		for _, b := range [][]float32{bias, nil} {
			got, want := make([]float32, n*tc.out), make([]float32, n*tc.out)
			l.applyRows(got, x, b, n)
			d.applyRows(want, x, b, n)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%dx%d (bias %v): out[%d] sparse %v, dense %v", tc.in, tc.out, b != nil, i, got[i], want[i])
				}
			}
			if !math.IsNaN(float64(got[5*tc.out+1])) && !math.IsNaN(float64(got[5*tc.out])) {
				t.Errorf("%dx%d: row with +Inf has no NaN output", tc.in, tc.out)
			}
		}
	}
	dense := make([]float32, 20*20)
	for i := range dense {
		dense[i] = float32(i%5) + 1
	}
	if newLinear(dense, 20, 20).sp != nil {
		t.Error("a dense matrix got the sparse layout")
	}
}

// TestFinite checks the finiteness test at every length up to 19 and
// both alignments (a view from an odd index) with an infinite or NaN value
// at every position (and none), including the largest finite values.
func TestFinite(t *testing.T) {
	for n := 0; n <= 19; n++ {
		for off := 0; off < 2; off++ {
			buf := lcg(n+off, 5)
			x := buf[off:]
			if n > 0 {
				x[0] = math.MaxFloat32
				x[n-1] = -math.MaxFloat32
			}
			if !finite(x) {
				t.Fatalf("length %d offset %d: finite values reported non-finite", n, off)
			}
			for i := 0; i < n; i++ {
				for _, bad := range []float32{float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), math.Float32frombits(0xffc00001)} {
					y := append([]float32(nil), buf...)
					y[off+i] = bad
					if finite(y[off:]) {
						t.Errorf("length %d offset %d: %v at %d reported finite", n, off, bad, i)
					}
				}
			}
		}
	}
}
