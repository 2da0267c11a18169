package sae

import (
	"math"
	"math/rand/v2"
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
	return notebookTrainerOn(b, "0_hook_mlp_out")
}

// notebookTrainerOn is notebookTrainer on the case-3 activations of hook.
func notebookTrainerOn(b *testing.B, hook string) *Trainer {
	cfg, _, err := LoadConfig("testdata/notebook_config.json")
	if err != nil {
		b.Fatal(err)
	}
	cfg.TrainingTokens = 1 << 40
	r, err := cfg.Resolve()
	if err != nil {
		b.Fatal(err)
	}
	data := case3Activations(b, hook, 12)
	tr, err := NewTrainer(r, newCycleSource(data, 12, 1))
	if err != nil {
		b.Fatal(err)
	}
	return tr
}

// BenchmarkNotebookStep is one training step of the notebook's config;
// tokens/s = 80 / (ns/op) · 1e9 (reported as the tokens/s metric).
func BenchmarkNotebookStep(b *testing.B) {
	benchSteps(b, notebookTrainer(b), 2000)
}

// BenchmarkNotebookHooks is the notebook step on each of the notebook's
// three case-3 hooks (resid_pre has the most distinct rows per batch).
func BenchmarkNotebookHooks(b *testing.B) {
	for _, hook := range []string{"0_hook_resid_pre", "0_hook_mlp_out", "1_hook_attn_out"} {
		b.Run(hook, func(b *testing.B) { benchSteps(b, notebookTrainerOn(b, hook), 2000) })
	}
}

// gaussianTrainer is the notebook's config on Gaussian rows of width dIn
// (d_sae = 4·dIn): no repeated rows, so every step works on all 80 rows.
func gaussianTrainer(b *testing.B, dIn int) *Trainer {
	cfg, _, err := LoadConfig("testdata/notebook_config.json")
	if err != nil {
		b.Fatal(err)
	}
	cfg.TrainingTokens = 1 << 40
	cfg.DIn = dIn
	cfg.Glassbox.BDecInitSamples = 2000
	r, err := cfg.Resolve()
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 5))
	data := make([]float32, 20000*dIn)
	for i := range data {
		data[i] = float32(rng.NormFloat64())
	}
	tr, err := NewTrainer(r, newCycleSource(data, dIn, 1))
	if err != nil {
		b.Fatal(err)
	}
	return tr
}

// BenchmarkGaussianStep is the notebook's step (d_in 12, d_sae 48, batch 80)
// on data without repeated rows.
func BenchmarkGaussianStep(b *testing.B) {
	benchSteps(b, gaussianTrainer(b, 12), 2000)
}

// BenchmarkWide113Step is a case-113-shaped standard step (d_in 244, d_sae
// 976, batch 80, ghost grads, unit-norm decoder) on Gaussian rows: the
// per-step O(parameters) costs with no repeated rows to save work.
func BenchmarkWide113Step(b *testing.B) {
	benchSteps(b, gaussianTrainer(b, 244), 200)
}

// benchSteps times tr.Step after warm steps, reporting tokens per wall and
// per CPU second, and the dead-feature count at the end.
func benchSteps(b *testing.B, tr *Trainer, warm int) {
	for i := 0; i < warm; i++ {
		if _, err := tr.Step(); err != nil {
			b.Fatal(err)
		}
	}
	B := tr.Cfg.TrainBatchSizeTokens
	b.ReportAllocs()
	b.ResetTimer()
	c0 := cpuTime()
	for i := 0; i < b.N; i++ {
		if _, err := tr.Step(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*B)/b.Elapsed().Seconds(), "tokens/s")
	if c := cpuTime() - c0; c > 0 {
		b.ReportMetric(float64(b.N*B)/c.Seconds(), "tokens/cpu-s")
	}
	b.ReportMetric(float64(len(tr.ws.dead)), "dead")
	b.ReportMetric(float64(tr.ws.u), "rows/step") // distinct rows of the last batch
}

// largeTrainer is the large-SAE benchmark setting: d_in 768, d_sae 6144,
// batch 4096, standard architecture, in a trained-like state (decoder = the
// data's dictionary, encoder its transpose, b_enc −0.5) so L0 is small
// (about the 8 atoms per row of the synthetic data), as after warm-up.
func largeTrainer(b *testing.B) *Trainer {
	const dIn, dSAE, batch, atoms = 768, 6144, 4096, 8
	r := rand.New(rand.NewPCG(7, 7))
	dict := make([]float32, dSAE*dIn)
	for i := 0; i < dSAE; i++ {
		row := dict[i*dIn : (i+1)*dIn]
		var ss float64
		for j := range row {
			v := r.NormFloat64()
			row[j] = float32(v)
			ss += v * v
		}
		inv := float32(1 / math.Sqrt(ss))
		for j := range row {
			row[j] *= inv
		}
	}
	n := batch * 4
	data := make([]float32, n*dIn)
	for k := 0; k < n; k++ {
		x := data[k*dIn : (k+1)*dIn]
		for a := 0; a < atoms; a++ {
			i := r.IntN(dSAE)
			axpy(float32(1+r.Float64()), dict[i*dIn:(i+1)*dIn], x)
		}
	}
	cfg := DefaultConfig()
	cfg.DIn, cfg.ExpansionFactor, cfg.TrainBatchSizeTokens = dIn, dSAE/dIn, batch
	cfg.TrainingTokens = 1 << 40
	cfg.ApplyBDecToInput, cfg.UseGhostGrads, cfg.L1Coefficient, cfg.AdamBeta1 = false, false, 1e-3, 0.9
	res, err := cfg.Resolve()
	if err != nil {
		b.Fatal(err)
	}
	s, _ := New(ArchStandard, dIn, dSAE)
	copy(s.WDec, dict)
	copy(s.WEncT, dict)
	for i := range s.BEnc {
		s.BEnc[i] = -0.5
	}
	s.ActivationFn, s.NormalizeActivations = "relu", "none"
	return newTrainer(res, s, newCycleSource(data, dIn, 1))
}

// BenchmarkLargeStep is one training step of the large SAE (sparse path:
// dense encoder, decoder and gradients only for active features).
func BenchmarkLargeStep(b *testing.B) {
	tr := largeTrainer(b)
	for i := 0; i < 2; i++ { // warm-up
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
	b.ReportMetric(float64(b.N*4096)/b.Elapsed().Seconds(), "tokens/s")
	if c := cpuTime() - c0; c > 0 {
		b.ReportMetric(float64(b.N*4096)/c.Seconds(), "tokens/cpu-s")
	}
	var l0 float64
	for _, n := range tr.ws.actN {
		l0 += float64(n)
	}
	b.ReportMetric(l0/4096, "L0")
}

// BenchmarkDedupe is the batch de-duplication alone on 80-row batches of
// the case-3 resid_pre activations (d_in 12).
func BenchmarkDedupe(b *testing.B) {
	const B, D = 80, 12
	src := newCycleSource(case3Activations(b, "0_hook_resid_pre", D), D, 1)
	batches := make([]float32, 64*B*D)
	for k := 0; k < 64; k++ {
		if err := src.NextBatch(batches[k*B*D : (k+1)*B*D]); err != nil {
			b.Fatal(err)
		}
	}
	w := newWorkspace(B, D, 4*D)
	b.ResetTimer()
	u := 0
	for i := 0; i < b.N; i++ {
		k := i & 63
		w.dedupe(batches[k*B*D : (k+1)*B*D])
		u += w.u
	}
	b.ReportMetric(float64(u)/float64(b.N), "rows/step")
}
