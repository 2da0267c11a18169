package grad

import (
	"math"
	"testing"
)

// TestMulAddRows checks mulRows and addRows (the AVX2 kernels where
// available) bit for bit against the element-wise product and sum, over
// lengths around the kernels' 32- and 8-element steps, and that nothing
// past the slice is written.
func TestMulAddRows(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    func(dst, src []float32)
		op   func(x, y float32) float32
	}{
		{"mul", mulRows, func(x, y float32) float32 { return x * y }},
		{"add", addRows, func(x, y float32) float32 { return x + y }},
	} {
		for _, n := range []int{0, 1, 7, 8, 9, 31, 32, 33, 40, 63, 64, 100, 208 * 3} {
			checkRows(t, tc.name, n, tc.f, tc.op)
		}
	}
}

// checkRows runs f on n elements and compares it with op element-wise.
func checkRows(t *testing.T, name string, n int, f func(dst, src []float32), op func(x, y float32) float32) {
	t.Helper()
	src := make([]float32, n)
	dst := make([]float32, n+8)
	for i := range src {
		src[i] = float32(math.Sin(float64(i)*0.9)) * 3
	}
	for i := range dst {
		dst[i] = float32(math.Cos(float64(i)*1.7)) / 7
	}
	want := append([]float32(nil), dst...)
	for i := range src {
		want[i] = op(want[i], src[i])
	}
	f(dst[:n], src)
	for i := range dst {
		if math.Float32bits(dst[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s, n %d: element %d = %v, want %v", name, n, i, dst[i], want[i])
		}
	}
}

// TestColSums pins colSums (the AVX2 kernel where available) to the
// bias-gradient product it replaces, a fused sgemm with a row of ones,
// bit for bit, for widths around the kernel's 64/32/16/8-column steps, and
// checks that nothing past n is written.
func TestColSums(t *testing.T) {
	for _, n := range []int{8, 16, 24, 40, 56, 64, 120, 144, 208} {
		for _, k := range []int{0, 1, 3, 320} {
			ldb := n + 8
			b := make([]float32, max(k, 1)*ldb)
			for i := range b {
				b[i] = float32(math.Sin(float64(i)*0.37)) * float32(1+i%5*100)
			}
			c := make([]float32, n+8)
			for j := range c {
				c[j] = float32(math.Cos(float64(j))) / 3
			}
			want := append([]float32(nil), c...)
			sgemmFMA(want, n, []float32{1}, 0, 0, b, ldb, 1, k, n)
			colSums(c, b, ldb, k, n)
			for j := range c {
				if math.Float32bits(c[j]) != math.Float32bits(want[j]) {
					t.Fatalf("n %d k %d: c[%d] = %v, want %v", n, k, j, c[j], want[j])
				}
			}
		}
	}
}
