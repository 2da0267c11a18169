package model

import (
	"testing"

	"github.com/glassbox-interp/glassbox/tensor"
)

// benchModel builds a random model; sizes match scripts/model_fixtures.py --bench.
func benchModel(b *testing.B, cfg Config) *Model {
	b.Helper()
	names, shapes := ParamShapes(cfg.WithDefaults())
	params := map[string]*tensor.Tensor{}
	seed := uint32(7)
	for _, n := range names {
		p := tensor.New(shapes[n]...)
		for i := range p.Data {
			seed = seed*1664525 + 1013904223
			p.Data[i] = float32(int(seed>>24)-128) / 1024
		}
		params[n] = p
	}
	m, err := New(cfg, params)
	if err != nil {
		b.Fatal(err)
	}
	return m
}

func benchTokens(B, T, V int) [][]int {
	tokens := make([][]int, B)
	for i := range tokens {
		tokens[i] = make([]int, T)
		for j := range tokens[i] {
			tokens[i][j] = (i*7 + j*3) % V
		}
	}
	return tokens
}

// interpBenchConfig is an InterpBench-sized model (like the ib_* fixtures).
func interpBenchConfig() Config {
	c := DefaultConfig()
	c.NLayers, c.DModel, c.NHeads, c.DHead, c.DMLP, c.NCtx, c.DVocab = 2, 9, 4, 2, 8, 5, 6
	c.ActFn, c.NormalizationType = "gelu", ""
	return c
}

// wideConfig is a larger model: d_model 120, n_ctx 60.
func wideConfig() Config {
	c := DefaultConfig()
	c.NLayers, c.DModel, c.NHeads, c.DHead, c.DMLP, c.NCtx, c.DVocab = 2, 120, 4, 30, 480, 60, 30
	c.ActFn, c.NormalizationType = "gelu", ""
	return c
}

// tracrConfig is the size of a large tracr-compiled benchmark model (case
// 113: d_model 244, d_mlp 910, 7 layers, 2 heads of d_head 45, n_ctx 10,
// relu, no LayerNorm).
func tracrConfig() Config {
	c := DefaultConfig()
	c.NLayers, c.DModel, c.NHeads, c.DHead, c.DMLP, c.NCtx, c.DVocab = 7, 244, 2, 45, 910, 10, 40
	c.ActFn, c.NormalizationType = "relu", ""
	return c
}

func runBench(b *testing.B, cfg Config, B, T int, cache bool) {
	m := benchModel(b, cfg)
	tokens := benchTokens(B, T, cfg.DVocab)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var err error
		if cache {
			_, _, err = m.RunWithCache(tokens)
		} else {
			_, err = m.Forward(tokens)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(B*T)*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}

func BenchmarkForwardInterpBench320x5(b *testing.B) { runBench(b, interpBenchConfig(), 320, 5, false) }
func BenchmarkCacheAllInterpBench320x5(b *testing.B) {
	runBench(b, interpBenchConfig(), 320, 5, true)
}
func BenchmarkForwardD120Ctx60(b *testing.B)     { runBench(b, wideConfig(), 32, 60, false) }
func BenchmarkCacheAllD120Ctx60(b *testing.B)    { runBench(b, wideConfig(), 32, 60, true) }
func BenchmarkForwardTracr113x2000(b *testing.B) { runBench(b, tracrConfig(), 2000, 10, false) }

// benchLinear times one projection of the tracr-sized MLP over rows rows;
// the metric is float64 multiply-adds per second.
func benchLinear(b *testing.B, in, out, rows int) {
	w := lcg(in*out, 1)
	x := lcg(rows*in, 2)
	bias := lcg(out, 3)
	l := newLinear(w, in, out)
	dst := make([]float32, rows*out)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l.applyRows(dst, x, bias, rows)
	}
	b.ReportMetric(float64(in*out*rows)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
}

func BenchmarkLinearMLPIn244x910(b *testing.B)  { benchLinear(b, 244, 910, 4000) }
func BenchmarkLinearMLPOut910x244(b *testing.B) { benchLinear(b, 910, 244, 4000) }
