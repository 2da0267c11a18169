package features

import (
	"fmt"
	"math"

	"github.com/glassbox-interp/glassbox/tensor"
)

// labelReference is Label as it was before the Labeler (commit e2fed98):
// dense feature-major columns, every candidate scored per feature. The
// tests compare the Labeler against it.
func labelReference(acts *tensor.Tensor, gt *GroundTruth, hook string, decoder *tensor.Tensor, opts LabelOptions) (*Labelling, error) {
	rows, positions, dsae, err := checkActs(acts)
	if err != nil {
		return nil, err
	}
	if err := gt.Validate(rows, positions); err != nil {
		return nil, err
	}
	if decoder != nil && (len(decoder.Shape) != 2 || decoder.Shape[0] != dsae || len(decoder.Data) != tensor.NumElements(decoder.Shape)) {
		return nil, fmt.Errorf("features: decoder must be W_dec [d_sae=%d, d_in], got shape %s", dsae, tensor.ShapeString(decoder.Shape))
	}
	cands, expected, err := gt.Candidates(hook)
	if err != nil {
		return nil, err
	}
	n := rows * positions

	// Numerical candidates: centred values over defined positions.
	type numPre struct {
		centred []float64 // per flat; 0 where undefined
		defined []bool
		ss      float64
		nonzero int
	}
	pre := make([]*numPre, len(cands))
	for ci, c := range cands {
		if c.Kind != KindNumerical {
			continue
		}
		p := &numPre{centred: make([]float64, n), defined: make([]bool, n)}
		var sum float64
		var cnt int
		for _, v := range c.Values {
			if !math.IsNaN(v) {
				sum += v
				cnt++
			}
		}
		if cnt == 0 {
			continue
		}
		mean := sum / float64(cnt)
		for i, v := range c.Values {
			if math.IsNaN(v) {
				continue
			}
			p.defined[i] = true
			p.centred[i] = v - mean
			p.ss += (v - mean) * (v - mean)
			if v != 0 {
				p.nonzero++
			}
		}
		pre[ci] = p
	}

	res := &Labelling{Hook: hook, Expected: expected, BestFor: map[string]BestFeature{}}
	bestScore := make([]float64, len(cands))
	bestFeat := make([]int, len(cands))
	for i := range bestFeat {
		bestFeat[i] = -1
	}
	// Feature-major copy: the per-feature passes below then read memory
	// sequentially instead of with a d_sae stride.
	byFeat := make([]float32, len(acts.Data))
	for i := 0; i < n; i++ {
		for f, v := range acts.Data[i*dsae : (i+1)*dsae] {
			byFeat[f*n+i] = v
		}
	}
	fires := make([]bool, n)
	firedAt := make([]int32, 0, n) // flat indices where the feature fires
	// posBits[ci] is candidate ci's Positive as a bitset, built the first
	// time a feature fires on fewer positions than the candidate has: the
	// true positives are then counted over the firing positions.
	posBits := make([][]uint64, len(cands))
	col := make([]float64, n)
	for f := 0; f < dsae; f++ {
		fa := byFeat[f*n : (f+1)*n]
		var max float32
		for i, v := range fa {
			if v != v {
				return nil, fmt.Errorf("features: feature %d has a NaN activation at row %d position %d", f, i/positions, i%positions)
			}
			col[i] = float64(v)
			if i == 0 || v > max {
				max = v
			}
		}
		thr := opts.Threshold
		if opts.RelThreshold > 0 {
			if t := float32(opts.RelThreshold) * max; t > thr {
				thr = t
			}
		}
		firedAt = firedAt[:0]
		for i, v := range fa {
			fires[i] = v > thr
			if fires[i] {
				firedAt = append(firedAt, int32(i))
			}
		}
		nFire := len(firedAt)
		fl := FeatureLabel{Index: f, Duplicates: []int{}}
		if nFire == 0 {
			fl.Verdict = VerdictDead
			res.Features = append(res.Features, fl)
			continue
		}
		var matches []Match
		var scores []float64
		for ci, c := range cands {
			var m Match
			if c.Kind == KindNumerical {
				p := pre[ci]
				if p == nil || p.ss == 0 {
					continue
				}
				// Pearson r over defined positions.
				var sx, cnt float64
				for i := 0; i < n; i++ {
					if p.defined[i] {
						sx += col[i]
						cnt++
					}
				}
				mx := sx / cnt
				var sxy, sxx float64
				tp, firing := 0, 0
				for i := 0; i < n; i++ {
					if !p.defined[i] {
						continue
					}
					d := col[i] - mx
					sxy += d * p.centred[i]
					sxx += d * d
					if fires[i] {
						firing++
						if c.Values[i] != 0 {
							tp++
						}
					}
				}
				if sxx == 0 {
					continue
				}
				r := sxy / math.Sqrt(sxx*p.ss)
				m = Match{Label: c.Label, Score: math.Abs(r), R: &r, Numerical: true}
				if firing > 0 {
					m.Precision = float64(tp) / float64(firing)
				}
				if p.nonzero > 0 {
					m.Recall = float64(tp) / float64(p.nonzero)
				}
			} else {
				tp := 0
				if nFire < len(c.Positive) {
					bits := posBits[ci]
					if bits == nil {
						bits = make([]uint64, (n+63)/64)
						for _, i := range c.Positive {
							bits[i/64] |= 1 << (i % 64)
						}
						posBits[ci] = bits
					}
					for _, i := range firedAt {
						tp += int(bits[i/64] >> (i % 64) & 1)
					}
				} else {
					for _, i := range c.Positive {
						if fires[i] {
							tp++
						}
					}
				}
				m = Match{Label: c.Label, Aliases: c.Aliases,
					Precision: float64(tp) / float64(nFire),
					Recall:    float64(tp) / float64(len(c.Positive)),
					Score:     2 * float64(tp) / float64(nFire+len(c.Positive)),
				}
			}
			if m.Score > bestScore[ci] || bestFeat[ci] < 0 {
				bestScore[ci], bestFeat[ci] = m.Score, f
			}
			matches = append(matches, m)
			scores = append(scores, m.Score)
		}
		// best and runner-up: higher score first; scores within 1e-9 tie
		// and an indicator beats a correlation; then candidate order.
		above := func(i, j int) bool {
			if d := scores[i] - scores[j]; math.Abs(d) > 1e-9 {
				return d > 0
			}
			return !matches[i].Numerical && matches[j].Numerical
		}
		b, r := -1, -1
		for i := range matches {
			switch {
			case b < 0 || above(i, b):
				b, r = i, b
			case r < 0 || above(i, r):
				r = i
			}
		}
		if b >= 0 {
			m := matches[b]
			fl.Best = &m
		}
		if r >= 0 && scores[r] > 0 {
			m := matches[r]
			fl.RunnerUp = &m
		}
		switch {
		case fl.Best != nil && fl.Best.Score >= CleanScore:
			fl.Verdict = VerdictClean
		case fl.Best != nil && fl.Best.Score >= PartialScore:
			fl.Verdict = VerdictPartial
		default:
			fl.Verdict = VerdictUnexplained
		}
		res.Features = append(res.Features, fl)
	}

	// Coverage.
	labelIdx := map[string]int{}
	for ci, c := range cands {
		labelIdx[c.Label] = ci
	}
	for _, e := range expected {
		ci := labelIdx[e]
		if bestFeat[ci] >= 0 {
			res.BestFor[e] = BestFeature{Feature: bestFeat[ci], Score: bestScore[ci]}
		}
		if bestFeat[ci] >= 0 && bestScore[ci] >= CleanScore {
			res.Recovered = append(res.Recovered, e)
		}
	}
	if res.Expected == nil {
		res.Expected = []string{}
	}
	if res.Recovered == nil {
		res.Recovered = []string{}
	}
	if len(expected) > 0 {
		res.Coverage = float64(len(res.Recovered)) / float64(len(expected))
	} else {
		res.Coverage = math.NaN()
	}
	duplicates(res.Features, decoder)
	return res, nil
}
