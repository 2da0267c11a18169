package sae

import (
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"testing"
)

// maxStepAllocBytes is what a steady-state step may allocate on one core:
// the allocator's accounting granularity (TotalAlloc counts small objects
// by span), never a buffer (the smallest [B, d_sae] one here is 33 KB, a
// [B, k] one 16 KB).
const maxStepAllocBytes = 16 << 10

// TestStepsDoNotAllocate checks that steady-state training steps allocate
// no buffers (at most maxStepAllocBytes), for every architecture, on a wide SAE (d_in 128, d_sae 1024,
// batch 256: the cost-chosen paths of the big SAEs) in its dense phase and
// with the sparse paths forced, and on a notebook-size one (d_in 13, ghost
// grads).
func TestStepsDoNotAllocate(t *testing.T) {
	type shape struct {
		name          string
		dIn, batch    int
		ghost, sparse bool
	}
	shapes := []shape{
		{"wide", 128, 256, false, false},
		{"wide-sparse", 128, 256, false, true},
		{"notebook", 13, 80, true, false},
	}
	for _, sh := range shapes {
		for _, arch := range []string{ArchStandard, ArchGated, ArchJumpReLU, ArchTopK, ArchBatchTopK} {
			t.Run(sh.name+"/"+arch, func(t *testing.T) {
				if sh.sparse {
					defer func(v float64) { denseMinDensity = v }(denseMinDensity)
					denseMinDensity = 2 // never dense
				}
				// On one core from the start: the passes split over the cores
				// start goroutines whose runtime structures the allocator counts
				// (tens of small objects a step, more on a loaded machine), and
				// changing GOMAXPROCS later would drop the sync.Pool scratch
				// buffers (the pools are per P), refilled while measured.
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
				rng := rand.New(rand.NewPCG(3, uint64(sh.dIn)))
				rows := sh.batch * 64 // no epoch change (a new shuffle) while measured
				data := make([]float32, rows*sh.dIn)
				for i := range data {
					data[i] = float32(rng.NormFloat64())
				}
				cfg := DefaultConfig()
				cfg.Architecture = arch
				cfg.DIn, cfg.ExpansionFactor, cfg.TrainBatchSizeTokens = sh.dIn, 8, sh.batch
				cfg.TrainingTokens = 1 << 40
				cfg.NCheckpoints, cfg.WandbLogFrequency, cfg.EvalEveryNWandbLogs = 0, 10, 1<<40
				cfg.UseGhostGrads = sh.ghost && arch == ArchStandard
				cfg.Seed = 42
				if arch == ArchTopK || arch == ArchBatchTopK {
					cfg.K = 16
				}
				res, err := cfg.Resolve()
				if err != nil {
					t.Fatal(err)
				}
				tr, err := NewTrainer(res, newCycleSource(data, sh.dIn, 1))
				if err != nil {
					t.Fatal(err)
				}
				for range 30 { // past the first logged step (ghost grads' buffers) and the entry lists' growth
					if _, err := tr.Step(); err != nil {
						t.Fatal(err)
					}
				}
				// No collection while measured: a GC empties the sync.Pool
				// scratch buffers, whose refill on the next step is not a
				// per-step allocation (the runtime also forces a GC every two
				// minutes, which a loaded CI machine can reach mid-test).
				defer debug.SetGCPercent(debug.SetGCPercent(-1))
				const steps = 5
				var m0, m1 runtime.MemStats
				runtime.ReadMemStats(&m0)
				for range steps {
					if _, err := tr.Step(); err != nil {
						t.Fatal(err)
					}
				}
				runtime.ReadMemStats(&m1)
				perStep := (m1.TotalAlloc - m0.TotalAlloc) / steps
				objs := (m1.Mallocs - m0.Mallocs) / steps
				t.Logf("%d bytes, %d objects per step", perStep, objs)
				if perStep > maxStepAllocBytes {
					t.Errorf("steady-state steps allocate %d bytes (%d objects) each, want at most %d", perStep, objs, maxStepAllocBytes)
				}
			})
		}
	}
}
