package sae

import (
	"math"
	"strings"
	"testing"
)

func TestReconSums(t *testing.T) {
	// 2 rows, d_in 2, d_sae 3.
	x := []float32{1, 2, 3, 4}
	recon := []float32{1, 1, 3, 2} // errors 0,1,0,2: Σe² = 5
	feats := []float32{0, 2, 0, 0, -1, 0}
	tests := []struct {
		name    string
		x       []float32
		recon   []float32
		feats   []float32
		mse     float64 // per element
		sumSq   float64 // per row
		ev      float64 // NaN: undefined
		l0      float64
		dead    int
		dense50 int
	}{
		{"varying", x, recon, feats, 5.0 / 4, 5.0 / 2, 1 - 5.0/(2+2), 1, 2, 1},
		{"constant inputs", []float32{1, 1, 1, 1}, []float32{1, 1, 1, 1}, feats, 0, 0, math.NaN(), 1, 2, 1},
		{"all fire", x, x, []float32{1, 1, 1, 1, 1, 1}, 0, 0, 1, 3, 0, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Sums(tc.x, nil, tc.recon, tc.feats, 2, 3)
			if err != nil {
				t.Fatal(err)
			}
			same := func(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }
			if !same(s.MSEPerElement(), tc.mse) || !same(s.SumSqPerRow(), tc.sumSq) || !same(s.ExplainedVariance(), tc.ev) {
				t.Errorf("MSEPerElement %v SumSqPerRow %v EV %v, want %v %v %v", s.MSEPerElement(), s.SumSqPerRow(), s.ExplainedVariance(), tc.mse, tc.sumSq, tc.ev)
			}
			if s.L0() != tc.l0 || s.DeadFeatures() != tc.dead || s.DenseFeatures(0.5) != tc.dense50 {
				t.Errorf("L0 %v dead %d dense %d, want %v %d %d", s.L0(), s.DeadFeatures(), s.DenseFeatures(0.5), tc.l0, tc.dead, tc.dense50)
			}
			m := s.EvalMetrics()
			if !same(m.ExplainedVariance, tc.ev) || m.MSEPerElement != tc.mse || m.SumSqPerRow != tc.sumSq || m.L0 != tc.l0 || m.DeadFeatures != tc.dead {
				t.Errorf("EvalMetrics %+v disagrees with the methods", m)
			}
		})
	}
}

func TestReconSumsRowMap(t *testing.T) {
	// Rows 0 and 2 of x are the same distinct row.
	x := []float32{1, 2, 3, 4, 1, 2}
	recon := []float32{1, 1, 3, 2, 1, 1}
	feats := []float32{0, 2, 0, 0, -1, 0, 0, 2, 0}
	full, err := Sums(x, nil, recon, feats, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := Sums(x, []int32{0, 1, 0}, recon[:4], feats[:6], 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	if full.SqErr != rows.SqErr || full.SqDev != rows.SqDev || full.Active != rows.Active || full.DenseFeatures(0.5) != rows.DenseFeatures(0.5) {
		t.Errorf("row map %+v, expanded %+v", rows, full)
	}
}

func TestReconSumsErrors(t *testing.T) {
	tests := []struct {
		name  string
		x     []float32
		rowOf []int32
		recon []float32
		feats []float32
		want  string
	}{
		{"no rows", nil, nil, nil, nil, "no rows"},
		{"ragged", []float32{1, 2, 3}, nil, []float32{1, 2, 3}, []float32{0, 0, 0}, "do not fit"},
		{"short features", []float32{1, 2}, nil, []float32{1, 2}, []float32{0}, "do not fit"},
		{"row map out of range", []float32{1, 2}, []int32{3}, []float32{1, 2}, []float32{0, 0, 0}, "row 0 maps"},
	}
	for _, tc := range tests {
		if _, err := Sums(tc.x, tc.rowOf, tc.recon, tc.feats, 2, 3); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestFormatExplainedVariance(t *testing.T) {
	if got := FormatExplainedVariance(math.NaN(), 4); got != "n/a (inputs do not vary)" {
		t.Errorf("NaN: %q", got)
	}
	if got := FormatExplainedVariance(0.98765, 3); got != "0.988" {
		t.Errorf("0.98765: %q", got)
	}
}
