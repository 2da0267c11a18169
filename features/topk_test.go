package features

import (
	"math/rand"
	"sort"
	"testing"

	"github.com/glassbox-interp/glassbox/tensor"
)

// randomActs makes ReLU-like activations with many ties (values on a coarse grid).
func randomActs(rows, pos, dsae int, seed int64) *tensor.Tensor {
	r := rand.New(rand.NewSource(seed))
	t := tensor.New(rows, pos, dsae)
	for i := range t.Data {
		v := float32(r.Intn(7)) - 3
		if v < 0 {
			v = 0
		}
		t.Data[i] = v * 0.5
	}
	return t
}

// bruteTopK sorts all flat indices of one feature by the documented rule.
func bruteTopK(t *tensor.Tensor, f, k int) []Example {
	rows, pos, dsae := t.Shape[0], t.Shape[1], t.Shape[2]
	idx := make([]int, rows*pos)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		return t.Data[idx[a]*dsae+f] > t.Data[idx[b]*dsae+f]
	})
	if k > len(idx) {
		k = len(idx)
	}
	out := make([]Example, k)
	for i := 0; i < k; i++ {
		out[i] = Example{Value: t.Data[idx[i]*dsae+f], Row: idx[i] / pos, Position: idx[i] % pos}
	}
	return out
}

func TestTopKMatchesBruteForce(t *testing.T) {
	tests := []struct {
		name            string
		rows, pos, dsae int
		k               int
		seed            int64
	}{
		{"notebook-size", 320, 5, 48, 20, 1},
		{"k-larger-than-data", 2, 3, 4, 10, 2},
		{"k-one", 7, 2, 3, 1, 3},
		{"single-row", 1, 9, 5, 4, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			acts := randomActs(tc.rows, tc.pos, tc.dsae, tc.seed)
			got, err := TopK(acts, tc.k)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tc.dsae {
				t.Fatalf("got %d features, want %d", len(got), tc.dsae)
			}
			for f := 0; f < tc.dsae; f++ {
				want := bruteTopK(acts, f, tc.k)
				if len(got[f]) != len(want) {
					t.Fatalf("feature %d: %d examples, want %d", f, len(got[f]), len(want))
				}
				for i := range want {
					if got[f][i] != want[i] {
						t.Fatalf("feature %d rank %d: got %+v, want %+v", f, i, got[f][i], want[i])
					}
				}
			}
		})
	}
}

func TestTopKErrors(t *testing.T) {
	tests := []struct {
		name string
		acts *tensor.Tensor
		k    int
	}{
		{"nil", nil, 3},
		{"rank2", tensor.New(4, 5), 3},
		{"empty-dim", tensor.New(0, 5, 3), 3},
		{"short-data", &tensor.Tensor{Shape: []int{2, 2, 2}, Data: make([]float32, 7)}, 1},
		{"k-zero", tensor.New(2, 2, 2), 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := TopK(tc.acts, tc.k); err == nil {
				t.Fatal("expected an error")
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	acts := randomActs(40, 5, 6, 7)
	// feature 5 is dead
	for i := 0; i < 200; i++ {
		acts.Data[i*6+5] = 0
	}
	stats, err := Summarize(acts, SummaryOptions{TopK: 5, Bins: 4, QuantileRange: 3, PerQuantile: 2})
	if err != nil {
		t.Fatal(err)
	}
	for f, s := range stats {
		pos, hist := 0, 0
		var max float32
		for i := 0; i < 200; i++ {
			v := acts.Data[i*6+f]
			if v > 0 {
				pos++
			}
			if v > max {
				max = v
			}
		}
		for _, c := range s.Hist.Counts {
			hist += c
		}
		if hist != pos {
			t.Errorf("feature %d: histogram holds %d, want %d positive", f, hist, pos)
		}
		if s.Density != float64(pos)/200 {
			t.Errorf("feature %d: density %v, want %v", f, s.Density, float64(pos)/200)
		}
		if s.Max != max || s.Live != (max != 0) {
			t.Errorf("feature %d: max %v live %v, want %v", f, s.Max, s.Live, max)
		}
		qn := 0
		for _, q := range s.Quantiles {
			qn += q.Count
			for _, e := range q.Examples {
				if !(e.Value > q.Lo && e.Value <= q.Hi) || acts.At(e.Row, e.Position, f) != e.Value {
					t.Errorf("feature %d: example %+v outside (%v,%v]", f, e, q.Lo, q.Hi)
				}
			}
			if len(q.Examples) > 2 {
				t.Errorf("feature %d: %d examples per range, want <= 2", f, len(q.Examples))
			}
		}
		if qn != pos {
			t.Errorf("feature %d: quantile groups hold %d, want %d", f, qn, pos)
		}
	}
	if live := LiveFeatures(stats); len(live) != 5 || live[len(live)-1] != 4 {
		t.Errorf("live features %v, want 0..4", live)
	}
}

func BenchmarkTopK(b *testing.B) {
	acts := sparseActs(2000, 10, 512, 1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := TopK(acts, 20); err != nil {
			b.Fatal(err)
		}
	}
}
