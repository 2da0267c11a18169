package sae

import (
	"syscall"

	"github.com/glassbox-interp/glassbox/formats/safetensors"
	"testing"
	"time"
)

// cpuTime is the process's user+system CPU time (benchmarks on a shared
// machine report tokens per CPU-second next to tokens per wall-second).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// case3Activations loads the case-3 activations fixture of a hook and keeps
// the first dIn values of each vector (the compiled case-3 model has
// d_model 13; the notebook's InterpBench model had 12).
func case3Activations(tb testing.TB, hook string, dIn int) []float32 {
	f, err := safetensors.ReadFile("testdata/case3_" + hook + ".safetensors")
	if err != nil {
		tb.Fatal(err)
	}
	t, err := f.Tensor("activations")
	if err != nil {
		tb.Fatal(err)
	}
	d := t.Shape[len(t.Shape)-1]
	if dIn <= 0 || dIn > d {
		dIn = d
	}
	n := len(t.Data) / d
	out := make([]float32, 0, n*dIn)
	for i := 0; i < n; i++ {
		out = append(out, t.Data[i*d:i*d+dIn]...)
	}
	return out
}

// notebookTrainer builds a trainer with the notebook's SAE config (d_in 12,
// d_sae 48, batch 80, ghost grads, unit-norm decoder) on synthetic data.
func notebookTrainer(b *testing.B) *Trainer {
	cfg, _, err := LoadConfig("testdata/notebook_config.json")
	if err != nil {
		b.Fatal(err)
	}
	cfg.TrainingTokens = 1 << 40
	r, err := cfg.Resolve()
	if err != nil {
		b.Fatal(err)
	}
	data := case3Activations(b, "0_hook_mlp_out", 12)
	tr, err := NewTrainer(r, newCycleSource(data, 12, 1))
	if err != nil {
		b.Fatal(err)
	}
	return tr
}

// BenchmarkNotebookStep is one training step of the notebook's config;
// tokens/s = 80 / (ns/op) · 1e9 (reported as the tokens/s metric).
func BenchmarkNotebookStep(b *testing.B) {
	tr := notebookTrainer(b)
	for i := 0; i < 2000; i++ { // warm-up: past the first dead-feature window effects
		if _, err := tr.Step(); err != nil {
			b.Fatal(err)
		}
		tr.StepN++
	}
	b.ReportAllocs()
	b.ResetTimer()
	c0 := cpuTime()
	for i := 0; i < b.N; i++ {
		if _, err := tr.Step(); err != nil {
			b.Fatal(err)
		}
		tr.StepN++
	}
	b.ReportMetric(float64(b.N*80)/b.Elapsed().Seconds(), "tokens/s")
	if c := cpuTime() - c0; c > 0 {
		b.ReportMetric(float64(b.N*80)/c.Seconds(), "tokens/cpu-s")
	}
}
