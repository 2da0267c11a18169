package grad

import (
	"math"
	"testing"
)

// TestSgemmInitTwins checks sgemmInit (the AVX2 Bias / XBias kernels
// where available) bit for bit against its start written out followed by
// explicitly fused multiply-adds, and the pure-Go twin against the same
// start followed by sgemm.
func TestSgemmInitTwins(t *testing.T) {
	for _, tc := range []struct {
		m, k, n, sar, sak int
		withX             bool
	}{
		{1, 1, 8, 1, 1, false}, {3, 12, 16, 12, 1, true}, {4, 12, 40, 12, 1, false}, {7, 48, 16, 48, 1, true},
		{13, 3, 24, 3, 1, true}, {9, 5, 8, 5, 1, false}, {6, 12, 48, 16, 1, true}, {5, 0, 16, 1, 1, true},
		{5, 12, 16, 12, 1, true}, {25, 12, 40, 16, 1, false}, {21, 48, 16, 48, 1, true}, {160, 12, 48, 12, 1, true}, {37, 9, 8, 9, 1, false},
		// Row counts for the 6-row blocks.
		{6, 12, 16, 12, 1, false}, {12, 50, 208, 56, 1, true}, {14, 9, 32, 9, 1, true}, {19, 7, 48, 7, 1, false}, {31, 5, 16, 5, 1, true},
		// Widths 24 + 16·j.
		{3, 5, 24, 5, 1, false}, {7, 9, 56, 9, 1, true}, {10, 6, 40, 6, 1, true}, {16, 12, 24, 12, 1, false}, {23, 50, 56, 56, 1, true},
	} {
		ldc, ldb := tc.n+8, tc.n+16
		a := make([]float32, max(1, (tc.m-1)*tc.sar+max(tc.k-1, 0)*tc.sak+1))
		b := make([]float32, max(1, tc.k)*ldb)
		bias := make([]float32, tc.n)
		var x []float32
		if tc.withX {
			x = make([]float32, tc.m*ldc)
			for i := range x {
				x[i] = float32(math.Sin(float64(i) * 0.37))
			}
		}
		for i := range a {
			a[i] = float32(math.Sin(float64(i)*1.3)) * 2
		}
		for i := range b {
			b[i] = float32(math.Cos(float64(i) * 0.7))
		}
		for i := range bias {
			bias[i] = float32(i%7)*0.3 - 1
		}
		c0 := make([]float32, tc.m*ldc)
		for i := range c0 {
			c0[i] = 99 // must be overwritten (columns < n) or kept (≥ n)
		}
		start := append([]float32(nil), c0...)
		for r := 0; r < tc.m; r++ {
			for j := 0; j < tc.n; j++ {
				start[r*ldc+j] = bias[j]
				if x != nil {
					start[r*ldc+j] = x[r*ldc+j] + bias[j]
				}
			}
		}
		fused := append([]float32(nil), start...)
		sgemmFMA(fused, ldc, a, tc.sar, tc.sak, b, ldb, tc.m, tc.k, tc.n)
		plain := append([]float32(nil), start...)
		sgemm(plain, ldc, a, tc.sar, tc.sak, b, ldb, tc.m, tc.k, tc.n)
		fast := append([]float32(nil), c0...)
		sgemmInit(fast, ldc, a, tc.sar, tc.sak, b, ldb, tc.m, tc.k, tc.n, x, bias)
		twin := append([]float32(nil), c0...)
		sgemmInitGo(twin, ldc, a, tc.sar, tc.sak, b, ldb, tc.m, tc.k, tc.n, x, bias)
		for i := range c0 {
			if math.Float32bits(twin[i]) != math.Float32bits(plain[i]) {
				t.Fatalf("%+v: element %d: Go twin %v, start + sgemm %v", tc, i, twin[i], plain[i])
			}
			if useAVX2 && math.Float32bits(fast[i]) != math.Float32bits(fused[i]) {
				t.Fatalf("%+v: element %d: AVX2 kernel %v, fused Go %v", tc, i, fast[i], fused[i])
			}
		}
	}
}
