package grad

import (
	"math"
	"testing"
)

// TestSgemmTwins checks the kernel in use (AVX2 when available) bit for bit
// against explicitly fused multiply-adds (sgemmFMA), and the pure-Go twin
// against a float64 product, over the shapes and strides the forward and
// backward passes use.
func TestSgemmTwins(t *testing.T) {
	for _, tc := range []struct{ m, k, n, sar, sak int }{
		{1, 1, 8, 1, 1}, {3, 12, 16, 12, 1}, {4, 12, 40, 12, 1}, {7, 48, 16, 48, 1}, {13, 3, 24, 3, 1},
		{12, 160, 48, 1, 16}, {5, 9, 8, 0, 1}, {1, 37, 16, 0, 0}, {9, 5, 8, 5, 1},
		// Row counts for the 5-row blocks (5·a + 4·b rows, then single ones).
		{5, 12, 16, 12, 1}, {13, 7, 40, 7, 1}, {20, 3, 16, 3, 1}, {23, 12, 24, 12, 1}, {50, 160, 48, 1, 56}, {160, 12, 40, 16, 1},
		// Row counts for the 6-row blocks (rows6, then the rest as above).
		{6, 12, 16, 12, 1}, {11, 7, 32, 7, 1}, {14, 5, 16, 5, 1}, {15, 9, 48, 1, 16}, {19, 12, 16, 12, 1},
		{31, 3, 40, 3, 1}, {50, 60, 208, 1, 56}, {61, 4, 16, 4, 1},
		// Widths 24 + 16·j (24 columns four rows at a time, the rest below).
		{3, 4, 24, 4, 1}, {4, 9, 24, 9, 1}, {7, 9, 56, 9, 1}, {10, 5, 56, 1, 12}, {50, 40, 56, 1, 56}, {17, 12, 120, 12, 1},
	} {
		ldc, ldb := tc.n+8, tc.n+16
		a := make([]float32, (tc.m-1)*tc.sar+(tc.k-1)*tc.sak+1)
		b := make([]float32, tc.k*ldb)
		c := make([]float32, tc.m*ldc)
		for i := range a {
			a[i] = float32(math.Sin(float64(i)*1.3)) * 2
		}
		for i := range b {
			b[i] = float32(math.Cos(float64(i) * 0.7))
		}
		for i := range c {
			c[i] = float32(i%5) - 2
		}
		want := make([]float64, len(c))
		for r := 0; r < tc.m; r++ {
			for j := 0; j < tc.n; j++ {
				w := float64(c[r*ldc+j])
				for i := 0; i < tc.k; i++ {
					w += float64(a[r*tc.sar+i*tc.sak]) * float64(b[i*ldb+j])
				}
				want[r*ldc+j] = w
			}
		}
		goC := append([]float32(nil), c...)
		sgemmGo(goC, ldc, a, tc.sar, tc.sak, b, ldb, tc.m, tc.k, tc.n)
		fused := append([]float32(nil), c...)
		sgemmFMA(fused, ldc, a, tc.sar, tc.sak, b, ldb, tc.m, tc.k, tc.n)
		fast := append([]float32(nil), c...)
		sgemm(fast, ldc, a, tc.sar, tc.sak, b, ldb, tc.m, tc.k, tc.n)
		for i := range c {
			if useAVX2 && math.Float32bits(fused[i]) != math.Float32bits(fast[i]) {
				t.Fatalf("%+v: element %d: AVX2 kernel %v, fused Go %v", tc, i, fast[i], fused[i])
			}
			if j := i % ldc; j >= tc.n {
				if fast[i] != c[i] {
					t.Fatalf("%+v: element %d outside n changed", tc, i)
				}
				continue
			}
			if d := math.Abs(float64(goC[i]) - want[i]); d > 1e-5*(1+math.Abs(want[i])) {
				t.Fatalf("%+v: element %d = %v, float64 %v", tc, i, goC[i], want[i])
			}
		}
	}
	if !useAVX2 {
		t.Log("no AVX2+FMA here: only the pure-Go twin was exercised")
	}
}

// TestRows6 pins the split of m rows between the 6-row kernels and the
// 5/4/1-row ones: a multiple of 6, and a rest without single rows where m
// allows it.
func TestRows6(t *testing.T) {
	for _, tc := range []struct{ m, want int }{
		{0, 0}, {1, 0}, {4, 0}, {5, 0}, {6, 6}, {7, 6}, {8, 0}, {9, 0}, {10, 6}, {11, 6}, {12, 12},
		{13, 0}, {14, 6}, {15, 6}, {19, 6}, {24, 24}, {25, 12}, {50, 42}, {5120, 5112},
	} {
		if got := rows6(tc.m); got != tc.want {
			t.Errorf("rows6(%d) = %d, want %d", tc.m, got, tc.want)
		}
	}
}

// TestPackPanels pins packPanels (the assembly panel copy on amd64) to
// the element-by-element definition, for odd and even k and several
// strides.
func TestPackPanels(t *testing.T) {
	for _, tc := range []struct{ m6, k, sak int }{{6, 1, 8}, {12, 5, 16}, {48, 320, 56}, {198, 33, 208}} {
		a := make([]float32, (tc.k-1)*tc.sak+tc.m6)
		for i := range a {
			a[i] = float32(i) + 0.5
		}
		got := packPanels(nil, a, tc.sak, tc.m6, tc.k)
		for p := 0; p < tc.m6; p += 6 {
			for i := 0; i < tc.k; i++ {
				for q := 0; q < 6; q++ {
					if w, g := a[p+q+i*tc.sak], got[p*tc.k+6*i+q]; g != w {
						t.Fatalf("%+v: panel %d element (%d, %d) = %v, want %v", tc, p/6, q, i, g, w)
					}
				}
			}
		}
	}
}

// BenchmarkPackPanels packs A = Xᵀ of case 21's weight-gradient products
// (48 rows of a 320-row chunk).
func BenchmarkPackPanels(b *testing.B) {
	const m6, k, sak = 48, 320, 56
	a := make([]float32, (k-1)*sak+m6)
	buf := make([]float32, m6*k)
	for i := 0; i < b.N; i++ {
		buf = packPanels(buf, a, sak, m6, k)
	}
}
