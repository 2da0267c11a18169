package svgplot

import (
	"math"
	"testing"
)

func TestScaleAndPoints(t *testing.T) {
	sx := Scale{D0: 0, D1: 10, R0: 50, R1: 150}
	sy := Scale{D0: 0, D1: 1, R0: 100, R1: 0}
	if got := Points([]float64{0, 5, 10}, []float64{0, 0.5, 1}, sx, sy); got != "50.0,100.0 100.0,50.0 150.0,0.0" {
		t.Errorf("points %q", got)
	}
	if Points(nil, nil, sx, sy) != "" {
		t.Error("no points: want empty")
	}
}

func TestNumNiceStepMinMaxEscape(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		want string
	}{{math.NaN(), "–"}, {0, "0"}, {0.5, "0.5"}, {1.5e6, "1.5e+06"}, {1e-4, "0.0001"}, {123.456, "123.5"}} {
		if got := Num(tc.v); got != tc.want {
			t.Errorf("Num(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
	for _, tc := range []struct {
		span float64
		n    int
		want float64
	}{{0, 5, 1}, {10, 5, 2}, {7, 6, 2}, {0.3, 6, 0.05}, {100, 4, 50}} {
		if got := NiceStep(tc.span, tc.n); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("NiceStep(%v, %d) = %v, want %v", tc.span, tc.n, got, tc.want)
		}
	}
	if lo, hi := MinMax([]float64{3, -1, 2}); lo != -1 || hi != 3 {
		t.Errorf("MinMax = %v %v", lo, hi)
	}
	if lo, hi := MinMax([]float64{2, 2}); lo != 2 || hi != 3 {
		t.Errorf("MinMax of a constant = %v %v, want 2 3", lo, hi)
	}
	if got := Escape(`a<b & "c"`); got != "a&lt;b &amp; &#34;c&#34;" {
		t.Errorf("Escape = %q", got)
	}
}
