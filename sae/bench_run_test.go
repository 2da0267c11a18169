package sae

import (
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// benchStepsEnv reads GLASSBOX_BENCH_STEPS (the steps of one whole-run
// benchmark), or returns def.
func benchStepsEnv(b *testing.B, def int) int {
	v := os.Getenv("GLASSBOX_BENCH_STEPS")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		b.Fatalf("GLASSBOX_BENCH_STEPS=%q: want a positive step count", v)
	}
	return n
}

// peakRSS is the process's peak resident set size in bytes (getrusage).
func peakRSS() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Maxrss) * 1024 // Linux: kilobytes
}

// BenchmarkRunBig is issue 16's whole run at real size: 16,384 Gaussian
// 768-d rows, d_sae 6144, batch 4096, SAELens defaults (no ghost grads),
// from initialisation (about half the features fire: the dense phase) for
// GLASSBOX_BENCH_STEPS steps (default 3; 300 reaches the sparse phase).
// One iteration is one whole run (use -benchtime 1x). It reports s/step,
// tokens/s (wall), tokens/cpu-s, cores busy (CPU/wall), the last batch's
// L0, the fraction of standard steps that ran dense, the peak Go heap in
// use (sampled after every step) and the process's peak RSS.
// scripts/sae_bench_torch.py run --arch A --steps N runs the same loop in
// PyTorch.
func BenchmarkRunBig(b *testing.B) {
	const dIn, rows = 768, 16384
	rng := rand.New(rand.NewPCG(16, 768))
	data := make([]float32, rows*dIn)
	for i := range data {
		data[i] = float32(rng.NormFloat64())
	}
	steps := benchStepsEnv(b, 3)
	for _, arch := range []string{ArchStandard, ArchGated, ArchTopK, ArchJumpReLU} {
		b.Run(arch, func(b *testing.B) {
			cfg := DefaultConfig()
			cfg.Architecture = arch
			cfg.DIn, cfg.ExpansionFactor, cfg.TrainBatchSizeTokens = dIn, 8, 4096
			cfg.TrainingTokens = int64(steps) * 4096
			cfg.NCheckpoints, cfg.WandbLogFrequency, cfg.EvalEveryNWandbLogs = 0, 10, 1<<40
			cfg.Seed = 42
			res, err := cfg.Resolve()
			if err != nil {
				b.Fatal(err)
			}
			benchRun(b, res, data, dIn, steps)
		})
	}
}

// BenchmarkRunNotebookGaussian is a whole training run at the notebook's
// config (testdata/notebook_config.json: d_in 13, d_sae 52, batch 80, l1
// 0.1, ghost grads, 1.5 M tokens = 18,750 steps; GLASSBOX_BENCH_STEPS
// shortens it) on 20,000 Gaussian 13-d rows, where row de-duplication
// cannot help. scripts/sae_bench_torch.py notebook-gaussian runs the same
// loop in PyTorch.
func BenchmarkRunNotebookGaussian(b *testing.B) {
	const dIn = 13
	cfg, _, err := LoadConfig("testdata/notebook_config.json")
	if err != nil {
		b.Fatal(err)
	}
	cfg.DIn = dIn
	steps := benchStepsEnv(b, int(cfg.TrainingTokens)/cfg.TrainBatchSizeTokens)
	cfg.TrainingTokens = int64(steps * cfg.TrainBatchSizeTokens)
	cfg.NCheckpoints = 0
	res, err := cfg.Resolve()
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 13))
	data := make([]float32, 20000*dIn)
	for i := range data {
		data[i] = float32(rng.NormFloat64())
	}
	benchRun(b, res, data, dIn, steps)
}

// benchRun trains b.N whole runs of steps steps from initialisation
// (trainer construction included: b_dec's geometric median, weights) and
// reports the run's metrics (see BenchmarkRunBig).
func benchRun(b *testing.B, res *Resolved, data []float32, dIn, steps int) {
	batch := res.TrainBatchSizeTokens
	var peakHeap uint64
	var ms runtime.MemStats
	var wall, cpu time.Duration
	var l0, dense float64
	for it := 0; it < b.N; it++ {
		t0, c0 := time.Now(), cpuTime()
		tr, err := NewTrainer(res, newCycleSource(data, dIn, 1))
		if err != nil {
			b.Fatal(err)
		}
		nDense := 0
		for s := 0; s < steps; s++ {
			if _, err := tr.Step(); err != nil {
				b.Fatal(err)
			}
			if tr.ws.denseActs {
				nDense++
			}
			if it == 0 && (s < 8 || s%16 == 0 || s == steps-1) && tr.ws.b*tr.ws.s >= 1<<20 {
				runtime.ReadMemStats(&ms)
				peakHeap = max(peakHeap, ms.HeapInuse)
			}
		}
		wall += time.Since(t0)
		cpu += cpuTime() - c0
		var n float64
		for _, r := range tr.ws.rowOf[:tr.ws.b] {
			n += float64(tr.ws.actN[r])
		}
		l0 = n / float64(tr.ws.b)
		dense = float64(nDense) / float64(steps)
		if it == 0 {
			b.Logf("%s: %d steps, last batch L0 %.1f, dense steps %.0f%%", res.Architecture, steps, l0, 100*dense)
		}
	}
	b.StopTimer()
	tok := float64(b.N * steps * batch)
	b.ReportMetric(wall.Seconds()/float64(b.N*steps), "s/step")
	b.ReportMetric(tok/wall.Seconds(), "tokens/s")
	if cpu > 0 {
		b.ReportMetric(tok/cpu.Seconds(), "tokens/cpu-s")
		b.ReportMetric(cpu.Seconds()/wall.Seconds(), "cores")
	}
	b.ReportMetric(l0, "L0")
	b.ReportMetric(dense, "dense-frac")
	if peakHeap > 0 {
		b.ReportMetric(float64(peakHeap)/(1<<20), "peak-heap-MB")
	}
	b.ReportMetric(peakRSS()/(1<<20), "peak-RSS-MB")
}
