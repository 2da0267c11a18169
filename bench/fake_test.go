package bench

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
)

// fakeRun is a deterministic stand-in for the real cell runner: its metrics
// are smooth functions of the cell's parameters (plus a per-case offset), so
// that sweeps, merges and leaderboards have known contents. Case 13 "does
// not compile" and case 66 with seed 7 panics.
func fakeRun(ctx context.Context, c Cell) (map[string]float64, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if c.Case == 13 {
		return nil, errors.New("compile case 13: numerical aggregate with a non-mean selector")
	}
	if c.Case == 66 && c.Seed == 7 {
		panic(fmt.Sprintf("fake panic in %s", c.Key()))
	}
	return fakeMetrics(c), nil
}

func fakeMetrics(c Cell) map[string]float64 {
	h := fnv.New32a()
	fmt.Fprintf(h, "%d/%s", c.Case, c.Hook)
	jitter := float64(h.Sum32()%1000) / 1e4 // 0 … 0.0999
	var l0 float64
	switch c.Param {
	case ParamK:
		l0 = c.Value
	default:
		l0 = 40 / (1 + 10*c.Value)
		if c.Arch == "gated" {
			l0 *= 0.8
		}
	}
	cov := math.Min(1, 1-math.Exp(-l0/6)+jitter)
	return map[string]float64{
		MetricCoverage:          cov,
		MetricMeanF1:            0.5 + cov/4,
		MetricExplainedVariance: 1 - 1/(1+l0),
		MetricL0:                l0,
		MetricDeadFraction:      0.1 + jitter,
		MetricSplicedAccuracy:   0.9 + jitter,
	}
}

// layersOf is a HookLister over StandardHooks: case id % 4 + 1 layers;
// case 13 fails to compile.
func layersOf(caseID int) ([]string, error) {
	if caseID == 13 {
		return nil, errors.New("numerical aggregate with a non-mean selector")
	}
	return StandardHooks(caseID%4 + 1), nil
}
