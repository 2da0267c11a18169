package features

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"

	"github.com/glassbox-interp/glassbox/tensor"
)

// Verdicts given to a feature's best label.
const (
	VerdictClean       = "clean"       // best score >= CleanScore
	VerdictPartial     = "partial"     // best score >= PartialScore
	VerdictUnexplained = "unexplained" // live, but no candidate scores PartialScore
	VerdictDead        = "dead"        // never active on the dataset
)

// Score thresholds of the verdicts and of coverage and duplicate detection.
const (
	CleanScore      = 0.9
	PartialScore    = 0.5
	DuplicateCosine = 0.9
)

// LabelOptions controls when a feature "fires".
type LabelOptions struct {
	// Threshold: a feature fires where its activation is > Threshold (default 0).
	Threshold float32
	// RelThreshold, if > 0, raises the threshold to RelThreshold × the
	// feature's max activation (e.g. 0.1 ignores faint activations).
	RelThreshold float64
}

// Match is a feature's score against one candidate.
type Match struct {
	Label   string   `json:"label"`
	Aliases []string `json:"aliases,omitempty"`
	// Score is F1 for indicator candidates and |r| for numerical ones.
	Score float64 `json:"score"`
	// Precision and recall of the indicator; for numerical candidates they
	// refer to the event "variable ≠ 0".
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	// R is the signed Pearson correlation (numerical candidates only).
	R         *float64 `json:"r,omitempty"`
	Numerical bool     `json:"numerical,omitempty"`
}

// FeatureLabel is the labelling result of one feature.
type FeatureLabel struct {
	Index      int    `json:"index"`
	Best       *Match `json:"best,omitempty"`
	RunnerUp   *Match `json:"runner_up,omitempty"`
	Verdict    string `json:"verdict"`
	Duplicates []int  `json:"duplicates"`
}

// Labelling is the result of Label: every feature's label and the hook's coverage.
type Labelling struct {
	Hook     string         `json:"hook"`
	Features []FeatureLabel `json:"features"`
	// Expected are the candidate labels the hook should carry; Recovered
	// those some feature matches with score >= CleanScore.
	Expected  []string `json:"expected"`
	Recovered []string `json:"recovered"`
	// Coverage = len(Recovered)/len(Expected); NaN if nothing is expected.
	Coverage float64 `json:"coverage"`
	// BestFor maps each expected label to the feature scoring highest on it
	// and that score.
	BestFor map[string]BestFeature `json:"best_for"`
}

// BestFeature names the feature that matches a candidate best.
type BestFeature struct {
	Feature int     `json:"feature"`
	Score   float64 `json:"score"`
}

// Label scores every feature of acts [rows, positions, d_sae] against the
// candidates available at hook (GroundTruth.Candidates) and returns best
// labels, runner-ups, verdicts, duplicate groups and coverage. decoder, if
// not nil, is W_dec [d_sae, d_in]; features whose decoder rows have cosine
// >= DuplicateCosine are duplicates as well as features (clean or partial)
// sharing a best label.
func Label(acts *tensor.Tensor, gt *GroundTruth, hook string, decoder *tensor.Tensor, opts LabelOptions) (*Labelling, error) {
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

// duplicates fills FeatureLabel.Duplicates: connected groups of non-dead
// features that share a best label (both clean or partial) or whose decoder
// rows have cosine >= DuplicateCosine.
func duplicates(fls []FeatureLabel, decoder *tensor.Tensor) {
	parent := make([]int, len(fls))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	union := func(a, b int) {
		ra, rb := find(a), find(b)
		if ra != rb {
			if ra < rb {
				parent[rb] = ra
			} else {
				parent[ra] = rb
			}
		}
	}
	byLabel := map[string]int{}
	for i, fl := range fls {
		if fl.Verdict != VerdictClean && fl.Verdict != VerdictPartial {
			continue
		}
		if j, ok := byLabel[fl.Best.Label]; ok {
			union(i, j)
		} else {
			byLabel[fl.Best.Label] = i
		}
	}
	if decoder != nil {
		din := decoder.Shape[1]
		norms := make([]float64, len(fls))
		for i := range fls {
			norms[i] = math.Sqrt(dot(decoder.Data[i*din:(i+1)*din], decoder.Data[i*din:(i+1)*din]))
		}
		for i := range fls {
			if fls[i].Verdict == VerdictDead || norms[i] == 0 {
				continue
			}
			for j := i + 1; j < len(fls); j++ {
				if fls[j].Verdict == VerdictDead || norms[j] == 0 {
					continue
				}
				c := dot(decoder.Data[i*din:(i+1)*din], decoder.Data[j*din:(j+1)*din]) / (norms[i] * norms[j])
				if c >= DuplicateCosine {
					union(i, j)
				}
			}
		}
	}
	groups := map[int][]int{}
	for i := range fls {
		groups[find(i)] = append(groups[find(i)], i)
	}
	for i := range fls {
		for _, j := range groups[find(i)] {
			if j != i {
				fls[i].Duplicates = append(fls[i].Duplicates, fls[j].Index)
			}
		}
	}
}

func dot(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

// DuplicateGroups returns the duplicate groups with more than one member,
// each sorted, ordered by their first member.
func (l *Labelling) DuplicateGroups() [][]int {
	seen := map[int]bool{}
	var out [][]int
	for _, fl := range l.Features {
		if len(fl.Duplicates) == 0 || seen[fl.Index] {
			continue
		}
		g := append([]int{fl.Index}, fl.Duplicates...)
		sort.Ints(g)
		for _, x := range g {
			seen[x] = true
		}
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

// ScoreName is "F1" for indicator matches and "|r|" for numerical ones.
func (m *Match) ScoreName() string {
	if m.Numerical {
		return "|r|"
	}
	return "F1"
}

// WriteTable prints one line per live feature in the style of the notebook's
// notes ("35: a@1  F1 0.98 …"), then duplicate groups and coverage.
func WriteTable(w io.Writer, l *Labelling, stats []FeatureStats) error {
	if l == nil {
		return fmt.Errorf("features: no labelling to print")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "hook %s: %d features, %d live\n", l.Hook, len(l.Features), countLive(stats))
	for i, fl := range l.Features {
		if fl.Verdict == VerdictDead || (stats != nil && !stats[i].Live) {
			continue
		}
		label, score := "?", ""
		if fl.Best != nil {
			label = fl.Best.Label
			score = fmt.Sprintf("%s %.2f  P %.2f R %.2f", fl.Best.ScoreName(), fl.Best.Score, fl.Best.Precision, fl.Best.Recall)
		}
		fmt.Fprintf(&b, "%3d: %-16s %-28s %-11s", fl.Index, label, score, fl.Verdict)
		if stats != nil {
			fmt.Fprintf(&b, " density %.3f  max %.3f", stats[i].Density, stats[i].Max)
		}
		if fl.RunnerUp != nil {
			fmt.Fprintf(&b, "  (next %s %.2f)", fl.RunnerUp.Label, fl.RunnerUp.Score)
		}
		if len(fl.Duplicates) > 0 {
			fmt.Fprintf(&b, "  dup %s", joinInts(fl.Duplicates))
		}
		b.WriteByte('\n')
	}
	if g := l.DuplicateGroups(); len(g) > 0 {
		b.WriteString("duplicates:")
		for _, x := range g {
			fmt.Fprintf(&b, " [%s]", joinInts(x))
		}
		b.WriteByte('\n')
	}
	if len(l.Expected) > 0 {
		fmt.Fprintf(&b, "coverage %d/%d = %.2f\n", len(l.Recovered), len(l.Expected), l.Coverage)
		if miss := l.Missing(); len(miss) > 0 {
			fmt.Fprintf(&b, "missing: %s\n", strings.Join(miss, ", "))
		}
	} else {
		b.WriteString("coverage: no ground-truth candidates expected at this hook\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Missing lists the expected labels not recovered.
func (l *Labelling) Missing() []string {
	rec := map[string]bool{}
	for _, r := range l.Recovered {
		rec[r] = true
	}
	var out []string
	for _, e := range l.Expected {
		if !rec[e] {
			out = append(out, e)
		}
	}
	return out
}

func countLive(stats []FeatureStats) int {
	n := 0
	for _, s := range stats {
		if s.Live {
			n++
		}
	}
	return n
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ",")
}
