package sae

import (
	"math/rand/v2"
	"testing"
)

// bigGaussianTrainer is issue 16's real-size setting: d_in 768, d_sae 6144
// (expansion 8), batch 4096, standard architecture with SAELens defaults,
// (or the architecture given) on 16,384 Gaussian rows (no repeated rows), from initialisation: about
// half the features fire, the dense phase of a run.
func bigGaussianTrainer(b *testing.B, arch string) *Trainer {
	const dIn, rows = 768, 16384
	rng := rand.New(rand.NewPCG(16, 768))
	data := make([]float32, rows*dIn)
	for i := range data {
		data[i] = float32(rng.NormFloat64())
	}
	cfg := DefaultConfig()
	cfg.Architecture = arch
	cfg.DIn, cfg.ExpansionFactor, cfg.TrainBatchSizeTokens = dIn, 8, 4096
	cfg.TrainingTokens = 1 << 40
	cfg.NCheckpoints, cfg.WandbLogFrequency, cfg.EvalEveryNWandbLogs = 0, 10, 1<<40
	cfg.Seed = 42
	res, err := cfg.Resolve()
	if err != nil {
		b.Fatal(err)
	}
	tr, err := NewTrainer(res, newCycleSource(data, dIn, 1))
	if err != nil {
		b.Fatal(err)
	}
	return tr
}

// BenchmarkStandardBig times steps of the real-size standard SAE from
// initialisation (the dense phase; one warm step allocates the buffers),
// reporting tokens per wall and CPU second, the cores busy (CPU/wall),
// L0 and whether the step ran dense (the standard dense step; the other
// architectures' dense products do not set it).
func BenchmarkStandardBig(b *testing.B) { benchBig(b, bigGaussianTrainer(b, ArchStandard)) }

// BenchmarkJumpReLUBig is BenchmarkStandardBig for jumprelu (its dense
// phase runs through the sparse machinery's dense products).
func BenchmarkJumpReLUBig(b *testing.B) { benchBig(b, bigGaussianTrainer(b, ArchJumpReLU)) }

func benchBig(b *testing.B, tr *Trainer) {
	if _, err := tr.Step(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	c0 := cpuTime()
	for i := 0; i < b.N; i++ {
		if _, err := tr.Step(); err != nil {
			b.Fatal(err)
		}
	}
	wall := b.Elapsed().Seconds()
	b.ReportMetric(float64(b.N*4096)/wall, "tokens/s")
	if c := (cpuTime() - c0).Seconds(); c > 0 {
		b.ReportMetric(float64(b.N*4096)/c, "tokens/cpu-s")
		b.ReportMetric(c/wall, "cores")
	}
	var l0 float64
	for _, n := range tr.ws.actN[:tr.ws.u] {
		l0 += float64(n)
	}
	b.ReportMetric(l0/float64(tr.ws.u), "L0")
	dense := 0.0
	if tr.ws.denseActs {
		dense = 1
	}
	b.ReportMetric(dense, "dense")
}
