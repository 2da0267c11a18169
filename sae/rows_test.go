package sae

import (
	"math"
	"testing"

	"github.com/glassbox-interp/glassbox/activations"
)

// copyOnly hides the RowSource methods of a source: the trainer then
// copies every batch with NextBatch.
type copyOnly struct{ Source }

// TestRowSourceSameRun trains every architecture twice on the same store,
// once with batches taken as row indices and once copied, and requires
// bit-identical weights, losses and logged metrics.
func TestRowSourceSameRun(t *testing.T) {
	data := case3Activations(t, "0_hook_mlp_out", 12)
	for _, arch := range []string{ArchStandard, ArchGated, ArchJumpReLU, ArchTopK, ArchBatchTopK} {
		t.Run(arch, func(t *testing.T) {
			run := func(rows bool) (*Trainer, []float64) {
				cfg, _, err := LoadConfig("testdata/notebook_config.json")
				if err != nil {
					t.Fatal(err)
				}
				cfg.Architecture = arch
				cfg.TrainingTokens = 80 * 60
				cfg.DeadFeatureWindow = 5 // ghost grads take part (standard)
				cfg.UseGhostGrads = arch == ArchStandard
				if arch == ArchTopK || arch == ArchBatchTopK {
					cfg.K = 4
				}
				r, err := cfg.Resolve()
				if err != nil {
					t.Fatal(err)
				}
				mem, err := activations.NewMemory(data, 12, activations.MemoryOptions{Seed: 7, Shuffle: true, Repeat: true})
				if err != nil {
					t.Fatal(err)
				}
				var src Source = mem
				if !rows {
					src = copyOnly{mem}
				}
				tr, err := NewTrainer(r, src)
				if err != nil {
					t.Fatal(err)
				}
				if (tr.rows != nil) != rows {
					t.Fatalf("row path set up: %v, want %v", tr.rows != nil, rows)
				}
				var losses []float64
				for i := 0; i < 60; i++ {
					L, err := tr.Step()
					if err != nil {
						t.Fatal(err)
					}
					losses = append(losses, L.MSE, L.L1, L.Ghost, L.Aux)
					if i%7 == 6 {
						tr.logTrainStep(tr.StepN-1, L)
					}
				}
				return tr, losses
			}
			a, la := run(true)
			b, lb := run(false)
			for i := range la {
				if math.Float64bits(la[i]) != math.Float64bits(lb[i]) {
					t.Fatalf("loss %d of step %d: %v by rows, %v copied", i%4, i/4, la[i], lb[i])
				}
			}
			pa, pb := a.SAE.params(), b.SAE.params()
			for k := range pa {
				for i := range pa[k] {
					if math.Float32bits(pa[k][i]) != math.Float32bits(pb[k][i]) {
						t.Fatalf("%s[%d] = %v by rows, %v copied", a.SAE.paramNames()[k], i, pa[k][i], pb[k][i])
					}
				}
			}
			if len(a.metrics) != len(b.metrics) || len(a.metrics) == 0 {
				t.Fatalf("%d and %d metric records", len(a.metrics), len(b.metrics))
			}
			for i := range a.metrics {
				for _, k := range a.metrics[i].Order {
					if x, y := a.metrics[i].Values[k], b.metrics[i].Values[k]; math.Float64bits(x) != math.Float64bits(y) && !(math.IsNaN(x) && math.IsNaN(y)) {
						t.Errorf("step %d %s: %v by rows, %v copied", a.metrics[i].Step, k, x, y)
					}
				}
			}
		})
	}
}

// badRows is a RowSource whose ids do not fit its table.
type badRows struct {
	copyOnly
	ids []int32
	n   int
}

func (b badRows) NextRows(dst []int32) error   { return nil }
func (b badRows) Rows() []float32              { return make([]float32, 24) }
func (b badRows) RowIDs() (ids []int32, n int) { return b.ids, b.n }

func TestRowSourceInconsistentFallsBack(t *testing.T) {
	for _, tc := range []struct {
		name string
		ids  []int32
		n    int
	}{
		{"too few ids", []int32{0}, 1},
		{"id out of range", []int32{0, 2}, 2},
		{"negative id", []int32{0, -1}, 2},
	} {
		if rb := newRowBatch(badRows{ids: tc.ids, n: tc.n}, 4, 12); rb != nil {
			t.Errorf("%s: row path accepted", tc.name)
		}
	}
	if rb := newRowBatch(badRows{ids: []int32{0, 1}, n: 2}, 4, 12); rb == nil {
		t.Error("consistent row source refused")
	}
}
