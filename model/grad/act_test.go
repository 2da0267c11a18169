package grad

import (
	"math"
	"testing"
)

func TestGeluAccuracy(t *testing.T) {
	var src []float32
	for x := -9.0; x <= 9; x += 0.0037 {
		src = append(src, float32(x))
	}
	src = append(src, 0, -0, 1e-8, -1e-8, float32(geluLo), float32(geluHi), float32(math.Inf(1)), float32(math.Inf(-1)))
	dst, grad := make([]float32, len(src)), make([]float32, len(src))
	geluRows(dst, grad, src)
	for i, v := range src {
		x := float64(v)
		want, wantG := float32(geluExact(x)), float32(geluGradExact(x))
		// One float32 ulp of max(1,|y|); tails (|x| ≥ 6): 1e-8 absolute or exact.
		if d := math.Abs(float64(dst[i] - want)); d > 1.2e-7*math.Max(1, math.Abs(float64(want))) && !(math.IsInf(x, 0) && dst[i] == want) {
			t.Errorf("gelu(%v) = %v, want %v", x, dst[i], want)
		}
		if math.IsInf(x, 0) {
			continue
		}
		if d := math.Abs(float64(grad[i] - wantG)); d > 2.4e-7*math.Max(1, math.Abs(float64(wantG))) { // two float32 ulps (3.6e-8 absolute in the tails)
			t.Errorf("gelu'(%v) = %v, want %v", x, grad[i], wantG)
		}
	}
	nan := float32(math.NaN())
	geluRows(dst[:1], grad[:1], []float32{nan})
	if dst[0] == dst[0] {
		t.Error("gelu(NaN) is not NaN")
	}
}

func TestExpNeg(t *testing.T) {
	for x := -90.0; x <= 0; x += 0.01 {
		got, want := float64(expNeg(float32(x))), float64(float32(math.Exp(float64(float32(x)))))
		if d := math.Abs(got - want); d > 2.4e-7*want && want > 1e-37 { // two float32 ulps
			t.Fatalf("expNeg(%v) = %v, want %v", x, got, want)
		}
	}
	if expNeg(0) != 1 || expNeg(-100) != 0 || expNeg(float32(math.Inf(-1))) != 0 {
		t.Error("expNeg edge cases")
	}
	if v := expNeg(float32(math.NaN())); v == v {
		t.Error("expNeg(NaN) is not NaN")
	}
}
