package sae

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkGatedPhases trains a case-113-shaped gated cell (l1 0.01) and
// reports the CPU time per step and open gates per row in windows of 250
// steps: the early, dense-gate phase costs most.
func BenchmarkGatedPhases(b *testing.B) {
	for _, l1 := range []float64{0.01, 0.1, 1} {
		b.Run(fmt.Sprintf("l1=%v", l1), func(b *testing.B) {
			data := tracrLikeData(244, 300, 20000, 1)
			for it := 0; it < b.N; it++ {
				tr, err := NewTrainer(cellConfig(b, ArchGated, 244, l1, 1<<40), newCycleSource(data, 244, 1))
				if err != nil {
					b.Fatal(err)
				}
				for win := 0; win < 6; win++ {
					c0 := cpuTime()
					var gates, rows float64
					for i := 0; i < 250; i++ {
						if _, err := tr.Step(); err != nil {
							b.Fatal(err)
						}
						for r := 0; r < tr.ws.u; r++ {
							gates += float64(tr.ws.actN[r])
						}
						rows += float64(tr.ws.u)
					}
					if it == 0 {
						b.Logf("l1=%v steps %4d-%4d: %.2f ms CPU/step, U %.1f, active/row %.1f", l1, win*250, win*250+250, float64(cpuTime()-c0)/250/1e6, rows/250, gates/rows)
					}
				}
			}
		})
	}
}

// BenchmarkDenseStepMid times one dense training step (forwardBackward,
// no optimiser) of a random gated and standard SAE at the medium whole-run
// shape (d_in 768, d_sae 1536, 256 Gaussian rows; about half the gates
// open, so both take their dense paths), reporting CPU ms per step next to
// the wall time (the CPU time is the steadier number on a shared machine).
func BenchmarkDenseStepMid(b *testing.B) {
	const B, D, S = 256, 768, 1536
	for _, arch := range []string{ArchGated, ArchStandard} {
		b.Run(arch, func(b *testing.B) {
			r := rand.New(rand.NewPCG(9, 23))
			x := make([]float32, B*D)
			for i := range x {
				x[i] = float32(r.NormFloat64()*1.5 + 0.3)
			}
			s, err := New(arch, D, S)
			if err != nil {
				b.Fatal(err)
			}
			wr := rand.New(rand.NewPCG(4, 24))
			for _, p := range s.params() {
				for i := range p {
					p[i] = float32(wr.NormFloat64() * 0.4)
				}
			}
			w := newWorkspace(B, D, S)
			g := newGrads(s)
			dead := make([]bool, S)
			in := make([]float32, B*D)
			step := func() {
				for _, t := range g {
					clear(t)
				}
				copy(in, x)
				o := stepOptions{coeff: 0.3, lp: 1, bandwidth: 0.5}
				if _, err := s.forwardBackward(w, in, dead, &o, g); err != nil {
					b.Fatal(err)
				}
				if !w.denseActs {
					b.Fatal("the step did not run dense")
				}
			}
			step() // allocates the buffers
			b.ResetTimer()
			c0 := cpuTime()
			for i := 0; i < b.N; i++ {
				step()
			}
			b.ReportMetric(float64(cpuTime()-c0)/1e6/float64(b.N), "cpu-ms/op")
		})
	}
}
