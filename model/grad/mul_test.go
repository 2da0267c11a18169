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
