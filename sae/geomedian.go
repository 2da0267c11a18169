package sae

import (
	"fmt"
	"math"
)

// GeometricMedian returns the geometric median of the rows of points
// ([n, d]) by Weiszfeld's algorithm as SAELens computes it
// (training/geometric_median.py): start at the mean, re-weight each point by
// 1/max(‖p − m‖, eps), stop when the objective improves by at most
// ftol·objective or after maxIter iterations. It computes in float64.
func GeometricMedian(points []float32, d int, maxIter int, eps, ftol float64) ([]float64, error) {
	if d < 1 || len(points) == 0 || len(points)%d != 0 {
		return nil, fmt.Errorf("sae: geometric median: %d values do not form rows of %d", len(points), d)
	}
	n := len(points) / d
	w := make([]float64, n)
	for i := range w {
		w[i] = 1
	}
	median := weightedAverage(points, d, w)
	obj := gmObjective(points, d, median)
	for it := 0; it < maxIter; it++ {
		prev := obj
		for i := 0; i < n; i++ {
			w[i] = 1 / math.Max(dist(points[i*d:i*d+d], median), eps)
		}
		median = weightedAverage(points, d, w)
		obj = gmObjective(points, d, median)
		if math.Abs(prev-obj) <= ftol*obj {
			break
		}
	}
	return median, nil
}

func weightedAverage(points []float32, d int, w []float64) []float64 {
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

func dist(p []float32, m []float64) float64 {
	var s float64
	for j, v := range p {
		e := float64(v) - m[j]
		s += e * e
	}
	return math.Sqrt(s)
}

func gmObjective(points []float32, d int, m []float64) float64 {
	var s float64
	for i := 0; i < len(points)/d; i++ {
		s += dist(points[i*d:i*d+d], m)
	}
	return s
}
