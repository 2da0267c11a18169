package bench

import (
	"context"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/glassbox-interp/glassbox/sae"
)

// defaultGrid is the issue's default sweep shape: 84 cases × residual and
// mlp hooks × standard/gated/topk × 3 sparsity values × 1 seed, on models
// of 1–4 layers (layersOf).
func defaultGrid(b *testing.B) []Cell {
	cases := make([]int, 84)
	for i := range cases {
		cases[i] = i + 100
	}
	cells, err := Expand(Spec{
		Cases: cases, Hooks: []string{"residual", "mlp"}, Archs: []string{"standard", "gated", "topk"},
		L1: []float64{0.01, 0.1, 1}, K: []int{2, 4, 8},
	}, layersOf)
	if err != nil {
		b.Fatal(err)
	}
	return cells
}

// BenchmarkExpandDefaultGrid measures grid expansion (IDs included).
func BenchmarkExpandDefaultGrid(b *testing.B) {
	for b.Loop() {
		cells := defaultGrid(b)
		for _, c := range cells {
			_ = c.ID()
		}
	}
}

// BenchmarkSweepOverhead measures the engine's cost per cell with a runner
// that does nothing: scheduling, JSON encoding, one write and one fsync.
func BenchmarkSweepOverhead(b *testing.B) {
	cells := defaultGrid(b)[:500]
	noop := func(ctx context.Context, c Cell) (map[string]float64, error) { return fakeMetrics(c), nil }
	for b.Loop() {
		dir := b.TempDir()
		if _, err := Sweep(context.Background(), cells, noop, Options{Dir: dir, Jobs: 2}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(cells))/1e3, "µs/cell")
}

// BenchmarkResumeScan measures reading back a full default-grid results
// file and finding nothing left to do.
func BenchmarkResumeScan(b *testing.B) {
	cells := defaultGrid(b)
	dir := b.TempDir()
	noop := func(ctx context.Context, c Cell) (map[string]float64, error) { return fakeMetrics(c), nil }
	rs := make([]Result, len(cells))
	for i, c := range cells {
		rs[i], _ = runCell(context.Background(), c, noop)
	}
	data, _ := encodeResults(rs)
	if err := writeFileAtomic(dir+"/"+ResultsFile, data); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		sum, err := Sweep(context.Background(), cells, noop, Options{Dir: dir})
		if err != nil || sum.Skipped != len(cells) {
			b.Fatal(sum, err)
		}
	}
	b.ReportMetric(float64(len(cells)), "cells")
}

// BenchmarkAggregate measures the leaderboard over a default-grid sweep.
func BenchmarkAggregate(b *testing.B) {
	cells := defaultGrid(b)
	rs := make([]Result, len(cells))
	for i, c := range cells {
		rs[i] = okResult(c, fakeMetrics(c))
	}
	for b.Loop() {
		lb := Aggregate(rs)
		if _, err := lb.HTML(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(cells)), "cells")
}

func ExampleCell_Key() {
	c := Cell{Case: 3, Hook: "blocks.0.hook_resid_pre", Arch: "topk", Param: ParamK, Value: 4, Seed: 42, TrainingTokens: 300000, Expansion: 4}
	fmt.Println(c.Key())
	fmt.Println(c.ID())
	// Output:
	// case=3 hook=blocks.0.hook_resid_pre arch=topk k=4 seed=42 tokens=300000 expansion=4
	// 02fc61af814da8cc
}

// BenchmarkRealCell measures whole real cells (case data and the hook's
// shared passes cached, then train 300k tokens → SAE forward → label →
// spliced pass) on a small case-3 hook (d_in 13, d_sae 52), a mid-sized
// case-18 hook (d_in 42) and a wide case-113 hook (d_in 244, 7 layers).
// tokens/cpu-s counts the CPU time of every goroutine (getrusage), which
// is what a 2-core sweep is limited by.
func BenchmarkRealCell(b *testing.B) {
	for _, c := range []Cell{
		{Case: 3, Hook: "blocks.0.hook_resid_pre", Arch: "standard", Param: ParamL1, Value: 0.1, Seed: 42, TrainingTokens: 300_000, Expansion: 4},
		{Case: 3, Hook: "blocks.0.hook_resid_pre", Arch: "topk", Param: ParamK, Value: 4, Seed: 42, TrainingTokens: 300_000, Expansion: 4},
		{Case: 18, Hook: "blocks.0.hook_resid_pre", Arch: "standard", Param: ParamL1, Value: 0.1, Seed: 42, TrainingTokens: 300_000, Expansion: 4},
		{Case: 18, Hook: "blocks.1.hook_mlp_out", Arch: "gated", Param: ParamL1, Value: 0.1, Seed: 42, TrainingTokens: 300_000, Expansion: 4},
		{Case: 113, Hook: "blocks.3.hook_resid_pre", Arch: "standard", Param: ParamL1, Value: 0.1, Seed: 42, TrainingTokens: 300_000, Expansion: 4},
	} {
		b.Run(fmt.Sprintf("case%d-%s-%s-%s", c.Case, strings.TrimPrefix(c.Hook, "blocks."), c.Arch, c.Sparsity()), func(b *testing.B) {
			r := NewRunner(RunnerOptions{})
			d, err := r.dataset(c.Subject())
			if err != nil {
				b.Fatal(err)
			}
			if _, err := d.hook(c.Hook); err != nil {
				b.Fatal(err)
			}
			cpu0 := cpuTime()
			b.ResetTimer()
			for b.Loop() {
				if _, err := r.Run(context.Background(), c); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			tokens := float64(c.TrainingTokens) * float64(b.N)
			b.ReportMetric(tokens/b.Elapsed().Seconds(), "tokens/s")
			if cpu := (cpuTime() - cpu0).Seconds(); cpu > 0 {
				b.ReportMetric(tokens/cpu, "tokens/cpu-s")
				b.ReportMetric(cpu/float64(b.N), "cpu-s/cell")
			}
		})
	}
}

// BenchmarkCellScore measures what a cell does after training (SAE pass
// on the distinct rows, metrics, labelling, spliced pass and downstream
// metrics) at the default sweep's hooks of the widest cases, with a
// random top-k SAE (k 4, d_sae 4·d_in); "uncached" is the path Run took
// before the per-hook caches (scoreUncached). The hook's shared passes
// are made before timing.
func BenchmarkCellScore(b *testing.B) {
	for _, id := range []int{97, 113, 39, 2} {
		r := NewRunner(RunnerOptions{})
		hooks, err := r.Hooks(id)
		if err != nil {
			b.Fatal(err)
		}
		d, err := r.dataset(Subject{Case: id})
		if err != nil {
			b.Fatal(err)
		}
		for _, sel := range []string{"residual:last", "mlp:last"} {
			names, err := SelectHooks(sel, hooks)
			if err != nil {
				b.Fatal(err)
			}
			hd, err := d.hook(names[0])
			if err != nil {
				b.Fatal(err)
			}
			s, err := sae.New(sae.ArchTopK, hd.set.DIn, 4*hd.set.DIn)
			if err != nil {
				b.Fatal(err)
			}
			rng := rand.New(rand.NewSource(1))
			for i := range s.WEncT {
				s.WEncT[i] = float32(rng.NormFloat64())
				s.WDec[i] = float32(rng.NormFloat64() * 0.3)
			}
			s.K = 4
			for _, mode := range []string{"cached", "uncached"} {
				b.Run(fmt.Sprintf("case%d-%s-%s", id, strings.TrimPrefix(names[0], "blocks."), mode), func(b *testing.B) {
					cpu0 := cpuTime()
					for b.Loop() {
						var err error
						if mode == "cached" {
							_, err = d.score(hd, s)
						} else {
							_, err = scoreUncached(d, hd, s)
						}
						if err != nil {
							b.Fatal(err)
						}
					}
					if cpu := (cpuTime() - cpu0).Seconds(); cpu > 0 {
						b.ReportMetric(cpu/float64(b.N), "cpu-s/cell")
					}
				})
			}
		}
	}
}
