package grad

import (
	"testing"
)

// BenchmarkStepCase3 is one training step of InterpBench case 3's LL shape
// (d_model 12, 4 heads of 3, d_mlp 48, 2 layers, n_ctx 5, one output) on a
// batch of 512 rows × 5 positions: Forward (kept), MSE from position 1,
// Backward.
func BenchmarkStepCase3(b *testing.B) {
	cfg := testConfig()
	n := randNet(b, cfg, 1)
	B, T := 512, 5
	tok := randTokens(B, T, cfg.DVocab, 1)
	target := make([]float32, B*T)
	for i := range target {
		target[i] = float32(i%3) * 0.5
	}
	dl := make([]float32, B*T)
	ws, g := NewWorkspace(), n.NewGrads()
	step := func() {
		run, err := n.Forward(ws, tok, B, T, nil, true)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := MSEInto(dl, run.Logits(), target, B, T, 1, 1); err != nil {
			b.Fatal(err)
		}
		if err := n.Backward(ws, run, dl, g); err != nil {
			b.Fatal(err)
		}
	}
	step()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		step()
	}
}

// BenchmarkForwardCase3 is the source / eval run of the same shape.
func BenchmarkForwardCase3(b *testing.B) {
	cfg := testConfig()
	n := randNet(b, cfg, 1)
	B, T := 512, 5
	tok := randTokens(B, T, cfg.DVocab, 1)
	ws := NewWorkspace()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := n.Forward(ws, tok, B, T, nil, false); err != nil {
			b.Fatal(err)
		}
	}
}
