package siit

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/glassbox-interp/glassbox/cases"
)

// benchEpoch measures one whole SIIT epoch (training steps over every
// train pair, then the validation metrics) of a prepared job whose HL
// targets are all cached (the steady state of a long run). samples > 0
// replaces the recipe's dataset size.
func benchEpoch(b *testing.B, caseID, samples int) {
	c, err := cases.Get(caseID)
	if err != nil {
		b.Fatal(err)
	}
	j, err := Prepare(c, Setup{Adjust: func(r *Recipe) {
		if samples > 0 {
			r.FixSamples(samples)
		}
		r.EarlyStop = 0
	}})
	if err != nil {
		b.Fatal(err)
	}
	t, err := j.newTrainer(Options{AllPairsLimit: -1})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	// Fill the HL target caches (training fills them lazily, a batch's
	// pairs for the node it draws, so later epochs would still run the HL
	// model now and then), then run one epoch to warm up.
	for _, c := range []*targets{t.tgt, t.val.tgt} {
		idx := make([]int, len(c.pairs))
		for i := range idx {
			idx[i] = i
		}
		dst := make([]float32, len(idx)*j.Data.T)
		for k := range j.HL.Nodes() {
			if err := c.get(k, idx, dst); err != nil {
				b.Fatal(err)
			}
		}
	}
	if _, err := t.trainEpoch(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		if _, err := t.trainEpoch(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
}

// cpuTime returns the process's user+system CPU time (all threads): on a
// shared machine the benchmarks' wall time overstates the cost, so they
// report CPU seconds per epoch too.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSIITEpochCase3 is one epoch of `glassbox siit 3` (gen1 recipe:
// 19,200 train and 4,800 validation pairs, batch 512, LL d_model 12, 4
// heads of 3, d_mlp 48, 5 positions).
func BenchmarkSIITEpochCase3(b *testing.B) { benchEpoch(b, 3, 0) }

// BenchmarkSIITEpochCase21Small is an epoch of case 21's shape (LL 4
// layers, d_model 50, 4 heads of 12, d_mlp 200, 10 positions,
// categorical) on a tenth of its dataset (2,400 rows).
func BenchmarkSIITEpochCase21Small(b *testing.B) { benchEpoch(b, 21, 2400) }

// benchRun measures a whole short run of a case at a reduced dataset size:
// the trainer's setup (the HL outputs of every row) and epochs epochs
// from scratch, the first of which caches the HL targets of the
// validation pairs and, lazily, of the training pairs.
func benchRun(b *testing.B, caseID, samples, epochs int) {
	c, err := cases.Get(caseID)
	if err != nil {
		b.Fatal(err)
	}
	j, err := Prepare(c, Setup{Adjust: func(r *Recipe) {
		r.Samples = samples
		r.EarlyStop = 0
	}})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		t, err := j.newTrainer(Options{AllPairsLimit: -1})
		if err != nil {
			b.Fatal(err)
		}
		for e := 0; e < epochs; e++ {
			if _, err := t.trainEpoch(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
}

// BenchmarkSIITRunCase21Small is a whole two-epoch run of case 21 on 2,400
// rows from scratch (HL outputs, targets cached on first use, training,
// validation).
func BenchmarkSIITRunCase21Small(b *testing.B) { benchRun(b, 21, 2400, 2) }
