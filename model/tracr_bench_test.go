//go:build unix

package model_test

import (
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/glassbox-interp/glassbox/cases"
	"github.com/glassbox-interp/glassbox/model"
	"github.com/glassbox-interp/glassbox/tracr"
)

func cpuNow() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCompiledCase runs the real tracr-compiled models of cases 113
// (d_model 244, 7 layers, d_mlp 910) and 97 (d_model 219, 3 layers) on
// 2000 rows (the size of their datasets), with the sparse weight layout and dense-only:
// a full forward, and the rest of the model from the middle layer's
// resid_pre (what a bench cell's spliced pass does).
func BenchmarkCompiledCase(b *testing.B) {
	for _, id := range []int{113, 97} {
		for _, layout := range []string{"sparse", "dense"} {
			for _, pass := range []string{"forward", "from-mid"} {
				b.Run(fmt.Sprintf("case%d-%s-%s", id, layout, pass), func(b *testing.B) {
					m, tokens := compiledCase(b, id, layout == "dense")
					mid := fmt.Sprintf("blocks.%d.hook_resid_pre", m.Config().NLayers/2)
					_, cache, err := m.RunWithCache(tokens, mid)
					if err != nil {
						b.Fatal(err)
					}
					resid := cache[mid]
					cpu0 := cpuNow()
					b.ResetTimer()
					for b.Loop() {
						if pass == "forward" {
							_, err = m.Forward(tokens)
						} else {
							_, _, err = m.RunFrom(mid, resid, model.RunOptions{})
						}
						if err != nil {
							b.Fatal(err)
						}
					}
					n := float64(b.N * len(tokens) * len(tokens[0]))
					b.ReportMetric(n/b.Elapsed().Seconds(), "tokens/s")
					if cpu := (cpuNow() - cpu0).Seconds(); cpu > 0 {
						b.ReportMetric(n/cpu, "tokens/cpu-s")
					}
				})
			}
		}
	}
}

// compiledCase compiles a catalogue case and returns its model (built
// with or without the sparse layout) and 2000 rows of n_ctx random token
// ids (the weights' sparsity, not the values, sets the cost).
func compiledCase(b *testing.B, id int, dense bool) (*model.Model, [][]int) {
	old := model.SetDenseOnly(dense)
	defer model.SetDenseOnly(old)
	c, err := cases.Get(id)
	if err != nil {
		b.Fatal(err)
	}
	prog, err := c.Build()
	if err != nil {
		b.Fatal(err)
	}
	comp, err := tracr.Compile(prog, c.Vocab(), c.MaxSeqLen-1, tracr.Options{Causal: c.Causal})
	if err != nil {
		b.Fatal(err)
	}
	m, err := comp.Model()
	if err != nil {
		b.Fatal(err)
	}
	cfg := m.Config()
	rng := rand.New(rand.NewPCG(uint64(id), 1))
	tokens := make([][]int, 2000)
	for i := range tokens {
		tokens[i] = make([]int, cfg.NCtx)
		for t := range tokens[i] {
			tokens[i][t] = rng.IntN(cfg.DVocab)
		}
	}
	return m, tokens
}
