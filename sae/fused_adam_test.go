package sae

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// TestAdamSpans checks that Adam on a parameter long enough to split over
// the cores gives the values of one serial pass, bit for bit, with 1 and 2
// cores (and a length that leaves a tail outside the vector lanes).
func TestAdamSpans(t *testing.T) {
	n := 2*adamSpan + 13
	r := rand.New(rand.NewPCG(3, 7))
	fill := func() []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(r.NormFloat64())
		}
		return v
	}
	p0, g0, m0, v0 := fill(), fill(), fill(), fill()
	for i := range v0 {
		v0[i] *= v0[i]
	}
	cp := func(v []float32) []float32 { return append([]float32(nil), v...) }
	run := func(serial bool, procs int) [4][]float32 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		p, g, m, v := cp(p0), cp(g0), cp(m0), cp(v0)
		if serial {
			adamScaleZeroSerial(p, g, m, v, 0.7, 0.9, 0.1, 0.999, 0.001, 3e-4, 1e-8)
		} else {
			adamScaleZero(p, g, m, v, 0.7, 0.9, 0.1, 0.999, 0.001, 3e-4, 1e-8)
		}
		return [4][]float32{p, g, m, v}
	}
	want := run(true, 1)
	for _, procs := range []int{1, 2} {
		got := run(false, procs)
		for k, name := range []string{"p", "g", "m", "v"} {
			for i := range want[k] {
				if math.Float32bits(got[k][i]) != math.Float32bits(want[k][i]) {
					t.Fatalf("%d cores: %s[%d] = %v, serial %v", procs, name, i, got[k][i], want[k][i])
				}
			}
		}
	}
}
