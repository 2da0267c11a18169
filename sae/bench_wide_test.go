package sae

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// tracrLikeData returns n rows [n, dIn] drawn from `distinct` vectors shaped
// like a tracr residual stream: dIn split into categorical groups of 2–12
// dimensions, each vector one-hot in every group, with every fifth group
// numerical (one dimension holding a value in [0, 2)). Few distinct rows
// among many, as in the benchmark sweep's hooks.
func tracrLikeData(dIn, distinct, n int, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 0x7ac))
	var groups [][2]int
	for j := 0; j < dIn; {
		w := min(2+r.IntN(11), dIn-j)
		groups = append(groups, [2]int{j, w})
		j += w
	}
	vecs := make([]float32, distinct*dIn)
	for v := 0; v < distinct; v++ {
		row := vecs[v*dIn : (v+1)*dIn]
		for g, gr := range groups {
			if g%5 == 4 {
				row[gr[0]] = float32(2 * r.Float64())
				continue
			}
			row[gr[0]+r.IntN(gr[1])] = 1
		}
	}
	out := make([]float32, n*dIn)
	for k := 0; k < n; k++ {
		v := r.IntN(distinct)
		copy(out[k*dIn:(k+1)*dIn], vecs[v*dIn:(v+1)*dIn])
	}
	return out
}

// cellConfig is the SAE config of one benchmark-sweep cell (bench.Runner's
// settings): batch 80, expansion 4, geometric-median b_dec, unit-norm
// decoder, ghost grads for standard; sparsity is l1 (standard, gated) or k.
func cellConfig(tb testing.TB, arch string, dIn int, sparsity float64, tokens int64) *Resolved {
	cfg := DefaultConfig()
	cfg.Architecture, cfg.DIn, cfg.ExpansionFactor = arch, dIn, 4
	cfg.BDecInitMethod, cfg.ApplyBDecToInput, cfg.NormalizeSAEDecoder = "geometric_median", false, true
	cfg.TrainingTokens, cfg.StoreBatchSizePrompts, cfg.TrainBatchSizeTokens = tokens, 4, 80
	cfg.NormalizeActivations, cfg.Seed = "none", 42
	cfg.AdamBeta1, cfg.AdamBeta2, cfg.LR, cfg.LRSchedulerName = 0.9, 0.999, 3e-4, "constant"
	cfg.ScaleSparsityPenaltyByDecoderNorm, cfg.L1WarmUpSteps, cfg.LpNorm = false, 0, 1
	cfg.UseGhostGrads = arch == ArchStandard
	cfg.FeatureSamplingWindow, cfg.DeadFeatureWindow, cfg.DeadFeatureThreshold = 2000, 1000, 1e-8
	cfg.NCheckpoints, cfg.WandbLogFrequency, cfg.EvalEveryNWandbLogs = 0, 10, 1<<40
	if arch == ArchTopK {
		cfg.K = sparsity
	} else {
		cfg.L1Coefficient = sparsity
	}
	r, err := cfg.Resolve()
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// wideCells are the benchmark shapes: a case-113-like hook (d_in 244,
// d_sae 976) and a case-3-like one (d_in 13, d_sae 52).
var wideCells = []struct {
	name     string
	arch     string
	dIn      int
	sparsity float64
}{
	{"case113/standard-l1=0.1", ArchStandard, 244, 0.1},
	{"case113/gated-l1=0.1", ArchGated, 244, 0.1},
	{"case113/topk-k=4", ArchTopK, 244, 4},
	{"case3/standard-l1=0.1", ArchStandard, 13, 0.1},
	{"case3/gated-l1=0.1", ArchGated, 13, 0.1},
	{"case3/topk-k=4", ArchTopK, 13, 4},
}

// BenchmarkCellStep is one training step of a sweep cell after 1000
// warm-up steps (L0 and the dead set as in the bulk of a 3750-step run).
func BenchmarkCellStep(b *testing.B) {
	for _, c := range wideCells {
		b.Run(c.name, func(b *testing.B) {
			data := tracrLikeData(c.dIn, 300, 20000, 1)
			tr, err := NewTrainer(cellConfig(b, c.arch, c.dIn, c.sparsity, 1<<40), newCycleSource(data, c.dIn, 1))
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; i < 1000; i++ {
				if _, err := tr.Step(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			c0 := cpuTime()
			for i := 0; i < b.N; i++ {
				if _, err := tr.Step(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*80)/b.Elapsed().Seconds(), "tokens/s")
			if c := cpuTime() - c0; c > 0 {
				b.ReportMetric(float64(b.N*80)/c.Seconds(), "tokens/cpu-s")
			}
			var l0 float64 // over the batch: step rows weighted by multiplicity
			for r, n := range tr.ws.actN[:tr.ws.u] {
				l0 += float64(n) * float64(tr.ws.mult[r])
			}
			b.ReportMetric(l0/80, "L0")
		})
	}
}

// BenchmarkCellTrain is a whole 300k-token sweep-cell training (3750 steps
// from initialisation, then Forward and Evaluate over the 20000 rows as
// bench.Runner does).
func BenchmarkCellTrain(b *testing.B) {
	for _, c := range wideCells {
		b.Run(c.name, func(b *testing.B) {
			data := tracrLikeData(c.dIn, 300, 20000, 1)
			c0 := cpuTime()
			for i := 0; i < b.N; i++ {
				tr, err := NewTrainer(cellConfig(b, c.arch, c.dIn, c.sparsity, 300_000), newCycleSource(data, c.dIn, 1))
				if err != nil {
					b.Fatal(err)
				}
				if err := tr.Run(); err != nil {
					b.Fatal(err)
				}
				s := tr.FinalSAE()
				if _, _, err := s.Forward(data); err != nil {
					b.Fatal(err)
				}
				ev, err := s.Evaluate(data)
				if err != nil {
					b.Fatal(err)
				}
				if i == 0 {
					b.ReportMetric(ev.ExplainedVariance, "EV")
					b.ReportMetric(ev.L0, "L0")
				}
			}
			if c := cpuTime() - c0; c > 0 {
				b.ReportMetric(float64(b.N)*300_000/c.Seconds(), "tokens/cpu-s")
			}
		})
	}
}

// BenchmarkEvaluate is SAE.Evaluate over 20000 rows of a trained-like SAE.
func BenchmarkEvaluate(b *testing.B) {
	for _, c := range wideCells {
		b.Run(c.name, func(b *testing.B) {
			data := tracrLikeData(c.dIn, 300, 20000, 1)
			tr, err := NewTrainer(cellConfig(b, c.arch, c.dIn, c.sparsity, 1<<40), newCycleSource(data, c.dIn, 1))
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; i < 300; i++ {
				if _, err := tr.Step(); err != nil {
					b.Fatal(err)
				}
			}
			s := tr.FinalSAE()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := s.Evaluate(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkStandardRegime compares the dense and sparse standard steps
// (denseMaxDIn) across d_in after 1000 warm-up steps on tracr-like data.
func BenchmarkStandardRegime(b *testing.B) {
	for _, dIn := range []int{13, 24, 32, 40, 48, 56, 64, 96, 128, 244} {
		for _, dense := range []bool{true, false} {
			b.Run(fmt.Sprintf("d_in=%d/dense=%v", dIn, dense), func(b *testing.B) {
				old, oldCost := denseMaxDIn, denseCostMinDIn
				defer func() { denseMaxDIn, denseCostMinDIn = old, oldCost }()
				denseMaxDIn = 1 << 30
				if !dense {
					denseMaxDIn, denseCostMinDIn = 0, 1<<30
				}
				data := tracrLikeData(dIn, 300, 20000, 1)
				tr, err := NewTrainer(cellConfig(b, ArchStandard, dIn, 0.1, 1<<40), newCycleSource(data, dIn, 1))
				if err != nil {
					b.Fatal(err)
				}
				for i := 0; i < 1000; i++ {
					if _, err := tr.Step(); err != nil {
						b.Fatal(err)
					}
				}
				b.ResetTimer()
				c0 := cpuTime()
				for i := 0; i < b.N; i++ {
					if _, err := tr.Step(); err != nil {
						b.Fatal(err)
					}
				}
				if c := cpuTime() - c0; c > 0 {
					b.ReportMetric(float64(b.N*80)/c.Seconds(), "tokens/cpu-s")
				}
			})
		}
	}
}

// BenchmarkGemmSparse compares the dense and per-entry paths of gemmAcc on
// the case-113 encoder shape (80 × 244 · 244 × 976) by left-operand density,
// and (big) on issue 16's decoder product, y = f·W_dec (4096 × 6144 · 6144 ×
// 768), where the dense standard step meets activations of 10–50 % density.
func BenchmarkGemmSparse(b *testing.B) {
	b.Run("case113", func(b *testing.B) { benchGemmSparse(b, 80, 244, 976) })
	b.Run("big", func(b *testing.B) { benchGemmSparse(b, 4096, 6144, 768) })
}

func benchGemmSparse(b *testing.B, rows, d, s int) {
	r := rand.New(rand.NewPCG(2, 2))
	w := make([]float32, d*s)
	for i := range w {
		w[i] = float32(r.NormFloat64())
	}
	out := make([]float32, rows*s)
	for _, density := range []float64{0.05, 0.1, 0.15, 0.2, 0.25, 0.5} {
		a := make([]float32, rows*d)
		for i := range a {
			if r.Float64() < density {
				a[i] = 1
			}
		}
		for _, sparse := range []bool{false, true} {
			b.Run(fmt.Sprintf("density=%v/sparse=%v", density, sparse), func(b *testing.B) {
				old, oldWide := sparseMaxDensity, sparseMaxDensityWide
				defer func() { sparseMaxDensity, sparseMaxDensityWide = old, oldWide }()
				sparseMaxDensity, sparseMaxDensityWide = -1, -1
				if sparse {
					sparseMaxDensity, sparseMaxDensityWide = 1, 1
				}
				for i := 0; i < b.N; i++ {
					gemmAcc(out, a, w, rows, d, s)
				}
				b.ReportMetric(2*float64(rows*d*s)/(b.Elapsed().Seconds()/float64(b.N))/1e9, "dense-GFLOP/s")
			})
		}
	}
}
