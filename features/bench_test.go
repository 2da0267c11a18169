package features

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/glassbox-interp/glassbox/tensor"
)

// sparseActs makes ReLU-like activations where each feature fires on ~2% of positions.
func sparseActs(rows, pos, dsae int, seed int64) *tensor.Tensor {
	r := rand.New(rand.NewSource(seed))
	t := tensor.New(rows, pos, dsae)
	for i := range t.Data {
		if r.Float64() < 0.02 {
			t.Data[i] = float32(r.ExpFloat64())
		}
	}
	return t
}

// syntheticGT is a ground truth the size of a sampled circuits-benchmark
// case: 11 tokens, 3 categorical variables with 5 values, 1 numerical.
func syntheticGT(rows, pos int) *GroundTruth {
	r := rand.New(rand.NewSource(3))
	gt := &GroundTruth{HookOrder: []string{"hook_embed", "hook_pos_embed", "blocks.0.hook_resid_pre", "blocks.0.attn.hook_z", "blocks.0.attn.hook_result", "blocks.0.hook_attn_out", "blocks.0.hook_resid_post"}}
	for i := 0; i < rows; i++ {
		row := make([]string, pos)
		row[0] = "BOS"
		for p := 1; p < pos; p++ {
			row[p] = fmt.Sprint(r.Intn(11))
		}
		gt.Tokens = append(gt.Tokens, row)
	}
	for v := 0; v < 4; v++ {
		vr := Variable{Name: fmt.Sprintf("var_%d", v), Numerical: v == 3, Hooks: []string{"blocks.0.attn.hook_result[0]"}}
		for i := 0; i < rows; i++ {
			vals := make([]any, pos)
			for p := 1; p < pos; p++ {
				if v == 3 {
					vals[p] = r.Float64()
				} else {
					vals[p] = r.Intn(5)
				}
			}
			vr.Values = append(vr.Values, vals)
		}
		gt.Variables = append(gt.Variables, vr)
	}
	return gt
}

func BenchmarkTopKCase3(b *testing.B) {
	acts := sparseActs(320, 5, 52, 1)
	for b.Loop() {
		if _, err := TopK(acts, 20); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLabel(b *testing.B) {
	for _, sz := range []struct{ rows, pos, dsae int }{{320, 5, 52}, {2000, 10, 512}} {
		b.Run(fmt.Sprintf("%dx%dx%d", sz.rows, sz.pos, sz.dsae), func(b *testing.B) {
			acts := sparseActs(sz.rows, sz.pos, sz.dsae, 2)
			gt := syntheticGT(sz.rows, sz.pos)
			for b.Loop() {
				if _, err := Label(acts, gt, "blocks.0.hook_resid_post", nil, LabelOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLabeler is Label with the Labeler made once (what a sweep
// does for the cells of one hook): the per-SAE cost alone.
func BenchmarkLabeler(b *testing.B) {
	for _, sz := range []struct{ rows, pos, dsae int }{{320, 5, 52}, {2000, 10, 512}} {
		b.Run(fmt.Sprintf("%dx%dx%d", sz.rows, sz.pos, sz.dsae), func(b *testing.B) {
			acts := sparseActs(sz.rows, sz.pos, sz.dsae, 2)
			l, err := NewLabeler(syntheticGT(sz.rows, sz.pos), "blocks.0.hook_resid_post", sz.rows, sz.pos)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := l.Label(acts, nil, LabelOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkSummarize(b *testing.B) {
	acts := sparseActs(2000, 10, 512, 4)
	for b.Loop() {
		if _, err := Summarize(acts, SummaryOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
