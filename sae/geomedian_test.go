package sae

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// gmReference is Weiszfeld's iteration as plain serial loops: every
// distance computed where it is used, the weighted average row by row.
func gmReference(points []float32, d int, maxIter int, eps, ftol float64) []float64 {
	n := len(points) / d
	avg := func(w []float64) []float64 {
		var tot float64
		for _, v := range w {
			tot += v
		}
		out := make([]float64, d)
		for i, wi := range w {
			for j := 0; j < d; j++ {
				out[j] += float64(points[i*d+j]) * wi / tot
			}
		}
		return out
	}
	objective := func(m []float64) float64 {
		var s float64
		for i := 0; i < n; i++ {
			s += dist(points[i*d:i*d+d], m)
		}
		return s
	}
	w := ones(n)
	median := avg(w)
	obj := objective(median)
	for it := 0; it < maxIter; it++ {
		prev := obj
		for i := 0; i < n; i++ {
			w[i] = 1 / math.Max(dist(points[i*d:i*d+d], median), eps)
		}
		median = avg(w)
		obj = objective(median)
		if math.Abs(prev-obj) <= ftol*obj {
			break
		}
	}
	return median
}

// TestGeometricMedianSplit checks GeometricMedian against the plain loop
// bit for bit, on inputs small enough to run serially and large enough to
// split over the cores, with 1 and 2 cores.
func TestGeometricMedianSplit(t *testing.T) {
	for _, tc := range []struct{ n, d int }{{50, 13}, {3000, 40}, {700, 130}} {
		r := rand.New(rand.NewPCG(uint64(tc.n), uint64(tc.d)))
		pts := make([]float32, tc.n*tc.d)
		for i := range pts {
			pts[i] = float32(r.ExpFloat64() - 0.5)
		}
		want := gmReference(pts, tc.d, 30, 1e-6, 1e-20)
		for _, procs := range []int{1, 2} {
			func() {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
				got, err := GeometricMedian(pts, tc.d, 30, 1e-6, 1e-20)
				if err != nil {
					t.Fatal(err)
				}
				for j := range want {
					if math.Float64bits(got[j]) != math.Float64bits(want[j]) {
						t.Fatalf("n %d d %d, %d cores: median[%d] = %v, reference %v", tc.n, tc.d, procs, j, got[j], want[j])
					}
				}
			}()
		}
	}
}
