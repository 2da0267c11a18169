package grad

import (
	"math"
	"testing"
)

// TestMulRows checks mulRows (the AVX2 kernel where available) bit for bit
// against the element-wise product, over lengths around the kernel's 32-
// and 8-element steps, and that nothing past the slice is written.
func TestMulRows(t *testing.T) {
	for _, n := range []int{0, 1, 7, 8, 9, 31, 32, 33, 40, 63, 64, 100, 208 * 3} {
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
			want[i] = want[i] * src[i]
		}
		mulRows(dst[:n], src)
		for i := range dst {
			if math.Float32bits(dst[i]) != math.Float32bits(want[i]) {
				t.Fatalf("n %d: element %d = %v, want %v", n, i, dst[i], want[i])
			}
		}
	}
}
