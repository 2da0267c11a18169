package sae

import (
	"fmt"
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
