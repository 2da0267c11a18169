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

func BenchmarkAttentionCase3(b *testing.B) {
	cfg := testConfig()
	n := randNet(b, cfg, 1)
	B, T := 512, 5
	ws := NewWorkspace()
	run, err := n.Forward(ws, randTokens(B, T, cfg.DVocab, 1), B, T, nil, true)
	if err != nil {
		b.Fatal(err)
	}
	if err := n.Backward(ws, run, make([]float32, B*T*cfg.DVocabOut), n.NewGrads()); err != nil {
		b.Fatal(err)
	}
	b.Run("forward", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			n.attention(ws, 0, 0, 0, B, T)
		}
	})
	b.Run("backward", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			n.attentionBackward(ws, 0, 0, 0, B, T)
		}
	})
}
