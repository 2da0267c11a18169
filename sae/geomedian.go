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
//
// The distances of an iteration's objective are kept for the next
// iteration's weights (the median has not moved in between), and large
// inputs split over GOMAXPROCS: the distances by rows, the weighted
// average by columns, each column summing its rows in row order, so the
// result is the same with any core count (gmReference in the tests is the
// plain loop, bit for bit).
func GeometricMedian(points []float32, d int, maxIter int, eps, ftol float64) ([]float64, error) {
	if d < 1 || len(points) == 0 || len(points)%d != 0 {
		return nil, fmt.Errorf("sae: geometric median: %d values do not form rows of %d", len(points), d)
	}
	n := len(points) / d
	w := make([]float64, n)
	for i := range w {
		w[i] = 1
	}
	dd := make([]float64, n)
	median := weightedAverage(points, d, w)
	obj := gmDistances(points, d, median, dd)
	for it := 0; it < maxIter; it++ {
		prev := obj
		for i, di := range dd {
			w[i] = 1 / math.Max(di, eps)
		}
		median = weightedAverage(points, d, w)
		obj = gmDistances(points, d, median, dd)
		if math.Abs(prev-obj) <= ftol*obj {
			break
		}
	}
	return median, nil
}

// gmSpan is the number of rows a goroutine of the geometric median's
// distances takes at a time.
const gmSpan = 64

// weightedAverage returns Σ_i points[i]·w[i]/Σw, each column summed in row
// order (columns split over the cores for large inputs).
func weightedAverage(points []float32, d int, w []float64) []float64 {
	var tot float64
	for _, v := range w {
		tot += v
	}
	out := make([]float64, d)
	// One span of columns per core (a column's sum does not depend on
	// which span holds it): each span streams every row once.
	span := d
	if nw := spanWorkers(d, 8, len(points)); nw > 1 {
		span = ((d+nw-1)/nw + 7) &^ 7
	}
	forSpans(d, span, len(points), func(_, lo, hi int) {
		o := out[lo:hi]
		for i, wi := range w {
			p := points[i*d+lo : i*d+hi]
			for j, v := range p {
				o[j] += float64(v) * wi / tot
			}
		}
	})
	return out
}

// gmDistances writes dd[i] = ‖points[i] − m‖ (rows split over the cores
// for large inputs) and returns their sum in row order: the objective.
func gmDistances(points []float32, d int, m []float64, dd []float64) float64 {
	forSpans(len(dd), gmSpan, len(points), func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			dd[i] = dist(points[i*d:i*d+d], m)
		}
	})
	var s float64
	for _, v := range dd {
		s += v
	}
	return s
}

func dist(p []float32, m []float64) float64 {
	var s float64
	for j, v := range p {
		e := float64(v) - m[j]
		s += e * e
	}
	return math.Sqrt(s)
}
