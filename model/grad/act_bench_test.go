package grad

import "testing"

func BenchmarkGelu(b *testing.B) {
	src := make([]float32, 2560*48)
	for i := range src {
		src[i] = float32(i%1000)/250 - 2
	}
	dst, grad := make([]float32, len(src)), make([]float32, len(src))
	b.Run("keep", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			geluRows(dst, grad, src)
		}
	})
	b.Run("nokeep", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			geluRows(dst, nil, src)
		}
	})
}
