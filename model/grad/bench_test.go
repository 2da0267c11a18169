package grad

import (
	"runtime"
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

// BenchmarkStepWide is a training step of a wider categorical LL shape
// (d_model 40, 4 heads of 10, d_mlp 160, 2 layers, n_ctx 6, 5 classes,
// bidirectional) on 512 rows, with the cross-entropy loss.
func BenchmarkStepWide(b *testing.B) {
	cfg := testConfig()
	cfg.DModel, cfg.NHeads, cfg.DHead, cfg.DMLP, cfg.NCtx = 40, 4, 10, 160, 6
	cfg.DVocab, cfg.DVocabOut, cfg.AttentionDir = 10, 5, "bidirectional"
	cfg = cfg.WithDefaults()
	cfg.AttnScale = 0
	cfg = cfg.WithDefaults()
	n := randNet(b, cfg, 1)
	B, T := 512, 6
	tok := randTokens(B, T, cfg.DVocab, 1)
	target := make([]int32, B*T)
	for i := range target {
		target[i] = int32(i % 5)
	}
	dl := make([]float32, B*T*5)
	ws, g := NewWorkspace(), n.NewGrads()
	step := func() {
		run, err := n.Forward(ws, tok, B, T, nil, true)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := CrossEntropyInto(dl, run.Logits(), target, B, T, 5, 0); err != nil {
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
	if _, err := n.Forward(ws, tok, B, T, nil, false); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := n.Forward(ws, tok, B, T, nil, false); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSteadyStateAllocs checks that a training step (a patched source and
// base run, the loss, the backward pass, clipping and Adam) allocates
// nothing once the buffers have grown, apart from the two Run structs (on
// one goroutine; a parallel pass adds its small pool record).
func TestSteadyStateAllocs(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	cfg := testConfig()
	n := randNet(t, cfg, 1)
	B, T := 64, 5
	tok, srcTok := randTokens(B, T, cfg.DVocab, 1), randTokens(B, T, cfg.DVocab, 2)
	target := make([]float32, B*T)
	dl := make([]float32, B*T)
	head := Node{"blocks.1.attn.hook_result", 2}
	mlp := Node{"blocks.0.mlp.hook_post", -1}
	hv, mv := make([]float32, B*T*cfg.DModel), make([]float32, B*T*cfg.DMLP)
	patches := []Patch{{head, hv}, {mlp, mv}}
	ws, wsSrc, g := NewWorkspace(), NewWorkspace(), n.NewGrads()
	opt := NewAdam(n, 1e-2, 0.9, 0.999, 1e-8)
	step := func() {
		src, err := n.Forward(wsSrc, srcTok, B, T, nil, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := src.NodeInto(hv, head); err != nil {
			t.Fatal(err)
		}
		if err := src.NodeInto(mv, mlp); err != nil {
			t.Fatal(err)
		}
		run, err := n.Forward(ws, tok, B, T, patches, true)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := MSEInto(dl, run.Logits(), target, B, T, 1, 1); err != nil {
			t.Fatal(err)
		}
		g.Zero()
		if err := n.Backward(ws, run, dl, g); err != nil {
			t.Fatal(err)
		}
		ClipGradNorm(g, 0.1)
		opt.Step(n, g)
	}
	step()
	if a := testing.AllocsPerRun(5, step); a > 2 {
		t.Fatalf("%v allocations per step, want at most 2 (the Runs)", a)
	}
}

// BenchmarkSgemmWeightGrad is one weight-gradient product of case 21's
// MLP (W_in's gradient: Xᵀ·dpost over a 320-row chunk, 50 × 208 outputs).
func BenchmarkSgemmWeightGrad(b *testing.B) {
	const m, k, n, Dp = 50, 320, 208, 56
	a := make([]float32, k*Dp)
	bm := make([]float32, k*n)
	c := make([]float32, m*n)
	for i := range a {
		a[i] = float32(i%13) * 0.1
	}
	for i := range bm {
		bm[i] = float32(i%7) * 0.2
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sgemm(c, n, a, 1, Dp, bm, n, m, k, n)
	}
}

// BenchmarkSgemmNarrow is case 3's narrow products on one 32-sequence
// chunk (160 rows, d_model 12 padded to 16 columns): a weight gradient
// (W_O's, 12 × 16 over the 160 rows) and an input gradient (dmid from
// dpost, 160 × 16 over d_mlp 48).
func BenchmarkSgemmNarrow(b *testing.B) {
	const rows, D, Dp, F, Fp = 160, 12, 16, 48, 48
	z := make([]float32, rows*Dp)
	g := make([]float32, rows*Dp)
	dpost := make([]float32, rows*Fp)
	wInT := make([]float32, F*Dp)
	for i := range z {
		z[i], g[i] = float32(i%11)*0.1, float32(i%5)*0.3
	}
	for i := range dpost {
		dpost[i] = float32(i%9) * 0.2
	}
	for i := range wInT {
		wInT[i] = float32(i%7) * 0.1
	}
	gW := make([]float32, D*Dp)
	gmid := make([]float32, rows*Dp)
	b.Run("weight", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			sgemm(gW, Dp, z, 1, Dp, g, Dp, D, rows, Dp)
		}
	})
	b.Run("input", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			sgemm(gmid, Dp, dpost, Fp, 1, wInT, Dp, rows, F, Dp)
		}
	})
}
