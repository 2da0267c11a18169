package features

import (
	"fmt"
	"math"
	"sort"

	"github.com/glassbox-interp/glassbox/tensor"
)

// Example is one (row, position) of the dataset and a feature's activation there.
type Example struct {
	Value    float32 `json:"value"`
	Row      int     `json:"row"`
	Position int     `json:"position"`
}

// checkActs validates a [rows, positions, d_sae] activation tensor.
func checkActs(acts *tensor.Tensor) (rows, pos, dsae int, err error) {
	if acts == nil {
		return 0, 0, 0, fmt.Errorf("features: activations are nil")
	}
	if len(acts.Shape) != 3 {
		return 0, 0, 0, fmt.Errorf("features: activations must be [rows, positions, d_sae], got shape %s", tensor.ShapeString(acts.Shape))
	}
	rows, pos, dsae = acts.Shape[0], acts.Shape[1], acts.Shape[2]
	if rows < 1 || pos < 1 || dsae < 1 {
		return 0, 0, 0, fmt.Errorf("features: activations shape %s has an empty dimension", tensor.ShapeString(acts.Shape))
	}
	if len(acts.Data) != rows*pos*dsae {
		return 0, 0, 0, fmt.Errorf("features: activations shape %s needs %d values, have %d", tensor.ShapeString(acts.Shape), rows*pos*dsae, len(acts.Data))
	}
	return rows, pos, dsae, nil
}

// better reports whether (v, i) ranks above (w, j): larger value first, then
// lower flat index. NaN ranks below every number.
func better(v float32, i int, w float32, j int) bool {
	vn, wn := v != v, w != w
	switch {
	case vn && wn:
		return i < j
	case vn:
		return false
	case wn:
		return true
	}
	if v != w {
		return v > w
	}
	return i < j
}

// TopK returns, for every feature, its k largest activations over all rows ×
// positions (flattened row-major, like torch.topk over a [rows·positions,
// d_sae] view), best first. Ties: larger value first, then lower flat index.
// Like torch.topk it always returns min(k, rows·positions) entries, zeros
// included. The result is indexed [feature][rank].
func TopK(acts *tensor.Tensor, k int) ([][]Example, error) {
	rows, pos, dsae, err := checkActs(acts)
	if err != nil {
		return nil, err
	}
	if k < 1 {
		return nil, fmt.Errorf("features: top-k needs k >= 1, got %d", k)
	}
	n := rows * pos
	if k > n {
		k = n
	}
	// Per feature a sorted (best first) list of flat indices.
	vals := make([]float32, dsae*k)
	idxs := make([]int, dsae*k)
	fill := make([]int, dsae)
	// kth[f] is the current k-th best value once the list is full; a later
	// element (higher flat index) must be strictly larger to enter.
	kth := make([]float32, dsae)
	for flat := 0; flat < n; flat++ {
		row := acts.Data[flat*dsae : (flat+1)*dsae]
		for f, v := range row {
			m := fill[f]
			if m == k && !(v > kth[f]) {
				continue
			}
			vs, is := vals[f*k:(f+1)*k], idxs[f*k:(f+1)*k]
			if m == k && !better(v, flat, vs[k-1], is[k-1]) {
				continue
			}
			// insertion position
			p := m
			if m == k {
				p = k - 1
			} else {
				fill[f]++
			}
			for p > 0 && better(v, flat, vs[p-1], is[p-1]) {
				vs[p], is[p] = vs[p-1], is[p-1]
				p--
			}
			vs[p], is[p] = v, flat
			if fill[f] == k {
				kth[f] = vs[k-1]
				if kth[f] != kth[f] { // NaN ranks last: anything else enters
					kth[f] = float32(math.Inf(-1))
				}
			}
		}
	}
	out := make([][]Example, dsae)
	for f := range out {
		ex := make([]Example, k)
		for r := 0; r < k; r++ {
			flat := idxs[f*k+r]
			ex[r] = Example{Value: vals[f*k+r], Row: flat / pos, Position: flat % pos}
		}
		out[f] = ex
	}
	return out, nil
}

// Histogram counts a feature's positive activations in equal-width bins over
// (0, Max].
type Histogram struct {
	Max    float32 `json:"max"`
	Counts []int   `json:"counts"`
}

// QuantileGroup holds a few examples whose activation lies in (Lo, Hi], like
// the activation-range groups of sae_vis.
type QuantileGroup struct {
	Lo       float32   `json:"lo"`
	Hi       float32   `json:"hi"`
	Count    int       `json:"count"`
	Examples []Example `json:"examples"`
}

// FeatureStats summarises one feature's activations over a dataset.
type FeatureStats struct {
	Index int `json:"index"`
	// Top holds the top-k examples, best first (see TopK).
	Top []Example `json:"top"`
	// Max is the largest activation (Top[0].Value).
	Max float32 `json:"max_activation"`
	// Live reports a nonzero top activation (the notebook's live_features).
	Live bool `json:"live"`
	// Density is the fraction of (row, position) pairs with activation > 0.
	Density float64 `json:"density"`
	// Hist counts positive activations in bins over (0, Max].
	Hist Histogram `json:"histogram"`
	// Quantiles are example groups from several activation ranges, highest first.
	Quantiles []QuantileGroup `json:"quantiles"`
}

// SummaryOptions sets the sizes used by Summarize. Zero fields take defaults.
type SummaryOptions struct {
	TopK          int // examples per feature (default 20)
	Bins          int // histogram bins (default 20)
	QuantileRange int // activation ranges for quantile examples (default 4)
	PerQuantile   int // examples per range (default 5)
}

func (o SummaryOptions) withDefaults() SummaryOptions {
	if o.TopK <= 0 {
		o.TopK = 20
	}
	if o.Bins <= 0 {
		o.Bins = 20
	}
	if o.QuantileRange <= 0 {
		o.QuantileRange = 4
	}
	if o.PerQuantile <= 0 {
		o.PerQuantile = 5
	}
	return o
}

// Summarize computes FeatureStats for every feature of acts [rows, positions, d_sae].
//
// Quantile examples: (0, Max] is cut into QuantileRange equal intervals; from
// each, PerQuantile examples are picked evenly spaced through the interval's
// members in flat-index order (deterministic, no RNG).
func Summarize(acts *tensor.Tensor, opts SummaryOptions) ([]FeatureStats, error) {
	opts = opts.withDefaults()
	rows, pos, dsae, err := checkActs(acts)
	if err != nil {
		return nil, err
	}
	top, err := TopK(acts, opts.TopK)
	if err != nil {
		return nil, err
	}
	n := rows * pos
	stats := make([]FeatureStats, dsae)
	positive := make([]int, dsae)
	for flat := 0; flat < n; flat++ {
		for f, v := range acts.Data[flat*dsae : (flat+1)*dsae] {
			if v > 0 {
				positive[f]++
			}
		}
	}
	for f := 0; f < dsae; f++ {
		s := &stats[f]
		s.Index = f
		s.Top = top[f]
		s.Max = top[f][0].Value
		if s.Max != s.Max {
			return nil, fmt.Errorf("features: feature %d has NaN activations", f)
		}
		s.Live = s.Max != 0
		s.Density = float64(positive[f]) / float64(n)
		s.Hist = Histogram{Max: s.Max, Counts: make([]int, opts.Bins)}
	}
	// Histograms and quantile membership in one more pass.
	members := make([][][]int, dsae) // [feature][range] flat indices
	for f := range members {
		if stats[f].Max > 0 {
			members[f] = make([][]int, opts.QuantileRange)
		}
	}
	for flat := 0; flat < n; flat++ {
		for f, v := range acts.Data[flat*dsae : (flat+1)*dsae] {
			if !(v > 0) {
				continue
			}
			mx := stats[f].Max
			b := binOf(v, mx, opts.Bins)
			stats[f].Hist.Counts[b]++
			q := binOf(v, mx, opts.QuantileRange)
			members[f][q] = append(members[f][q], flat)
		}
	}
	for f := 0; f < dsae; f++ {
		if members[f] == nil {
			continue
		}
		mx := stats[f].Max
		for q := opts.QuantileRange - 1; q >= 0; q-- {
			m := members[f][q]
			g := QuantileGroup{
				Lo:    mx * float32(q) / float32(opts.QuantileRange),
				Hi:    mx * float32(q+1) / float32(opts.QuantileRange),
				Count: len(m),
			}
			for _, flat := range spread(m, opts.PerQuantile) {
				g.Examples = append(g.Examples, Example{Value: acts.Data[flat*dsae+f], Row: flat / pos, Position: flat % pos})
			}
			stats[f].Quantiles = append(stats[f].Quantiles, g)
		}
	}
	return stats, nil
}

// binOf maps v in (0, max] to a bin 0..bins-1 (v == max goes to the last bin).
func binOf(v, max float32, bins int) int {
	b := int(math.Ceil(float64(v)/float64(max)*float64(bins))) - 1
	if b < 0 {
		b = 0
	}
	if b >= bins {
		b = bins - 1
	}
	return b
}

// spread picks up to n elements of s evenly spaced (first element included).
func spread(s []int, n int) []int {
	if len(s) <= n {
		return s
	}
	out := make([]int, n)
	for i := range out {
		out[i] = s[i*len(s)/n]
	}
	return out
}

// LiveFeatures returns the indices of live features in increasing order.
func LiveFeatures(stats []FeatureStats) []int {
	var live []int
	for _, s := range stats {
		if s.Live {
			live = append(live, s.Index)
		}
	}
	sort.Ints(live)
	return live
}
