package grad

import (
	"math"
	"testing"
)

// TestStepAVX512MatchesAVX2 runs a case-21-shaped network (d_model 50, 4
// heads of 12, d_mlp 200, n_ctx 10, GELU) through a source run, a patched
// base run (a head and an MLP from the source), the backward pass and
// three Adam steps, once with the AVX-512 kernels and once with the AVX2
// ones, and requires the same logits, gradients and weights bit for bit.
func TestStepAVX512MatchesAVX2(t *testing.T) {
	if !hasAVX512 {
		t.Skip("no AVX-512 here: only the AVX2 path runs")
	}
	cfg := testConfig()
	cfg.DModel, cfg.NHeads, cfg.DHead, cfg.DMLP, cfg.NCtx = 50, 4, 12, 200, 10
	cfg.DVocab, cfg.DVocabOut = 12, 7
	cfg = cfg.WithDefaults()
	B, T := 45, 10
	tok, srcTok := randTokens(B, T, cfg.DVocab, 7), randTokens(B, T, cfg.DVocab, 8)
	target := make([]int32, B*T)
	for i := range target {
		target[i] = int32(i % cfg.DVocabOut)
	}
	head := Node{"blocks.1.attn.hook_result", 2}
	mlp := Node{"blocks.0.mlp.hook_post", -1}
	run := func(z bool) (logits, grads, params []float32) {
		withAVX512(z, func() {
			n := randNet(t, cfg, 3)
			hv, mv := make([]float32, B*T*cfg.DModel), make([]float32, B*T*cfg.DMLP)
			dl := make([]float32, B*T*cfg.DVocabOut)
			ws, wsSrc, g := NewWorkspace(), NewWorkspace(), n.NewGrads()
			opt := NewAdam(n, 1e-2, 0.9, 0.999, 1e-8)
			for step := 0; step < 3; step++ {
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
				r, err := n.Forward(ws, tok, B, T, []Patch{{head, hv}, {mlp, mv}}, true)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := CrossEntropyInto(dl, r.Logits(), target, B, T, cfg.DVocabOut, 0); err != nil {
					t.Fatal(err)
				}
				logits = append(logits[:0], r.Logits()...)
				g.Zero()
				if err := n.Backward(ws, r, dl, g); err != nil {
					t.Fatal(err)
				}
				grads = append(grads, g.data...)
				opt.Step(n, g)
			}
			params = append([]float32(nil), n.data...)
		})
		return logits, grads, params
	}
	l2, g2, p2 := run(false)
	l5, g5, p5 := run(true)
	for _, c := range []struct {
		what     string
		avx2, z5 []float32
	}{{"logit", l2, l5}, {"gradient", g2, g5}, {"weight", p2, p5}} {
		if len(c.avx2) != len(c.z5) {
			t.Fatalf("%ss: %d with AVX2, %d with AVX-512", c.what, len(c.avx2), len(c.z5))
		}
		for i := range c.avx2 {
			if math.Float32bits(c.avx2[i]) != math.Float32bits(c.z5[i]) {
				t.Fatalf("%s %d: AVX2 %v, AVX-512 %v", c.what, i, c.avx2[i], c.z5[i])
			}
		}
	}
}
