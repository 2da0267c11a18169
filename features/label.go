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
	// HookFraction, if > 0 and Threshold is 0, sets the threshold (in
	// Analyze) to HookFraction × the hook's activation scale: HookScale
	// when set, else the largest activation of any feature over the
	// dataset. A feature whose activations stay below it is not live. The
	// CLI uses DefaultHookFraction with HookScale = MaxRowNorm of the
	// hook's activations.
	HookFraction float64
	// HookScale is the hook's activation scale, the largest L2 norm of its
	// activation vectors (MaxRowNorm). A feature's activation is its
	// contribution's norm when its decoder row has unit norm (the
	// notebook's SAEs), so the threshold compares like with like.
	HookScale float64
}

// DefaultHookFraction is the default firing threshold relative to the
// hook's activation scale: a feature fires where its activation exceeds
// 1% of the largest activation norm at the hook, so that near-silent
// features (max ≤ 0.008 where activations have norm 1) are not counted as
// live and clean.
const DefaultHookFraction = 0.01

// MaxRowNorm returns the largest L2 norm of the rows of x ([n, d]).
func MaxRowNorm(x []float32, d int) float64 {
	var best float64
	for i := 0; i+d <= len(x) && d > 0; i += d {
		var ss float64
		for _, v := range x[i : i+d] {
			ss += float64(v) * float64(v)
		}
		if ss > best {
			best = ss
		}
	}
	return math.Sqrt(best)
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
	// Threshold is the firing threshold used (activation > Threshold) and
	// ThresholdRule how it was chosen (set by Analyze).
	Threshold     float32 `json:"threshold"`
	ThresholdRule string  `json:"threshold_rule,omitempty"`
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
// sharing a best label. Label is NewLabeler followed by Labeler.Label; to
// label several SAEs at one hook, make the Labeler once.
func Label(acts *tensor.Tensor, gt *GroundTruth, hook string, decoder *tensor.Tensor, opts LabelOptions) (*Labelling, error) {
	rows, positions, _, err := checkActs(acts)
	if err != nil {
		return nil, err
	}
	l, err := NewLabeler(gt, hook, rows, positions)
	if err != nil {
		return nil, err
	}
	return l.Label(acts, decoder, opts)
}

// Labeler holds what labelling derives from the ground truth alone at one
// hook: the candidates, the expected labels, the numerical candidates'
// centred values and, per flat index, the indicator candidates that hold
// there. It is read-only once made, so one Labeler can label any number of
// SAEs at its hook, concurrently.
type Labeler struct {
	hook            string
	rows, positions int
	cands           []Candidate
	expected        []string
	num             []*numPre // per candidate; nil unless a usable numerical candidate
	// The indicator candidates holding at flat index i are
	// candOf[candOff[i]:candOff[i+1]].
	candOff []int32
	candOf  []int32
}

// numPre is a numerical candidate's values centred over the positions
// where it is defined.
type numPre struct {
	centred []float64 // per flat index; 0 where undefined
	defined []bool
	cnt     int     // defined positions
	sumC    float64 // Σ centred over defined positions (0 up to rounding)
	ss      float64 // Σ centred²
	nonzero int     // defined positions with a value ≠ 0
}

// NewLabeler prepares labelling at hook for activations of shape [rows,
// positions, d_sae] on the dataset gt describes.
func NewLabeler(gt *GroundTruth, hook string, rows, positions int) (*Labeler, error) {
	if err := gt.Validate(rows, positions); err != nil {
		return nil, err
	}
	cands, expected, err := gt.Candidates(hook)
	if err != nil {
		return nil, err
	}
	n := rows * positions
	l := &Labeler{hook: hook, rows: rows, positions: positions, cands: cands, expected: expected, num: make([]*numPre, len(cands))}
	for ci, c := range cands {
		if c.Kind != KindNumerical {
			continue
		}
		p := &numPre{centred: make([]float64, n), defined: make([]bool, n)}
		var sum float64
		for _, v := range c.Values {
			if !math.IsNaN(v) {
				sum += v
				p.cnt++
			}
		}
		if p.cnt == 0 {
			continue
		}
		mean := sum / float64(p.cnt)
		for i, v := range c.Values {
			if math.IsNaN(v) {
				continue
			}
			p.defined[i] = true
			p.centred[i] = v - mean
			p.sumC += v - mean
			p.ss += (v - mean) * (v - mean)
			if v != 0 {
				p.nonzero++
			}
		}
		if p.ss == 0 {
			continue // a constant variable correlates with nothing
		}
		l.num[ci] = p
	}
	// Inverse index: per flat index, the indicator candidates holding there.
	l.candOff = make([]int32, n+1)
	for _, c := range cands {
		for _, i := range c.Positive {
			if i < 0 || i >= n {
				return nil, fmt.Errorf("features: candidate %q holds at flat index %d, outside the %d×%d activations", c.Label, i, rows, positions)
			}
			l.candOff[i+1]++
		}
	}
	for i := 0; i < n; i++ {
		l.candOff[i+1] += l.candOff[i]
	}
	l.candOf = make([]int32, l.candOff[n])
	next := append([]int32(nil), l.candOff[:n]...)
	for ci, c := range cands {
		for _, i := range c.Positive {
			l.candOf[next[i]] = int32(ci)
			next[i]++
		}
	}
	return l, nil
}

// Label is Label (the package function) with this Labeler's ground truth
// and hook; acts must be [rows, positions, d_sae] with the Labeler's rows
// and positions.
func (l *Labeler) Label(acts *tensor.Tensor, decoder *tensor.Tensor, opts LabelOptions) (*Labelling, error) {
	rows, positions, dsae, err := checkActs(acts)
	if err != nil {
		return nil, err
	}
	if rows != l.rows || positions != l.positions {
		return nil, fmt.Errorf("features: activations shape %s, the labeller was made for %d rows × %d positions", tensor.ShapeString(acts.Shape), l.rows, l.positions)
	}
	return l.LabelRows(acts.Data, nil, dsae, decoder, opts)
}

// LabelRows labels activations given as distinct rows: uniq holds rows of
// d_sae activations and rowOf maps each flat index (row·positions + pos)
// to its row of uniq; rowOf nil means uniq is the whole [rows·positions,
// d_sae] array. The result is Label's on the expanded activations.
func (l *Labeler) LabelRows(uniq []float32, rowOf []int32, dsae int, decoder *tensor.Tensor, opts LabelOptions) (*Labelling, error) {
	n := l.rows * l.positions
	if dsae < 1 || len(uniq)%dsae != 0 {
		return nil, fmt.Errorf("features: %d activation values do not fit d_sae %d", len(uniq), dsae)
	}
	k := len(uniq) / dsae
	if rowOf == nil && k != n {
		return nil, fmt.Errorf("features: %d activation rows, the labeller was made for %d rows × %d positions", k, l.rows, l.positions)
	}
	if rowOf != nil {
		if len(rowOf) != n {
			return nil, fmt.Errorf("features: %d row indices, the labeller was made for %d rows × %d positions", len(rowOf), l.rows, l.positions)
		}
		for i, r := range rowOf {
			if r < 0 || int(r) >= k {
				return nil, fmt.Errorf("features: row index %d at flat index %d is outside the %d activation rows", r, i, k)
			}
		}
	}
	if decoder != nil && (len(decoder.Shape) != 2 || decoder.Shape[0] != dsae || len(decoder.Data) != tensor.NumElements(decoder.Shape)) {
		return nil, fmt.Errorf("features: decoder must be W_dec [d_sae=%d, d_in], got shape %s", dsae, tensor.ShapeString(decoder.Shape))
	}
	cols, err := l.columns(uniq, rowOf, dsae)
	if err != nil {
		return nil, err
	}
	cands := l.cands
	res := &Labelling{Hook: l.hook, Expected: l.expected, BestFor: map[string]BestFeature{}, Features: make([]FeatureLabel, 0, dsae)}
	bestScore := make([]float64, len(cands))
	bestFeat := make([]int, len(cands))
	for i := range bestFeat {
		bestFeat[i] = -1
	}
	tp := make([]int32, len(cands))
	firedAt := make([]int32, 0, n) // flat indices where the feature fires
	scored := make([]int, 0, len(cands))
	scores := make([]float64, len(cands))
	rs := make([]float64, len(cands))
	numTP := make([]int, len(cands))
	numFiring := make([]int, len(cands))
	for f := 0; f < dsae; f++ {
		idx, val := cols.idx[cols.off[f]:cols.off[f+1]], cols.val[cols.off[f]:cols.off[f+1]]
		// The column is zero outside idx.
		thr := opts.Threshold
		if opts.RelThreshold > 0 {
			var max float32
			if len(idx) < n {
				max = 0
			} else {
				max = val[0]
			}
			for _, v := range val {
				if v > max {
					max = v
				}
			}
			if t := float32(opts.RelThreshold) * max; t > thr {
				thr = t
			}
		}
		firedAt = firedAt[:0]
		if thr >= 0 {
			for j, v := range val {
				if v > thr {
					firedAt = append(firedAt, idx[j])
				}
			}
		} else { // zeros fire too
			j := 0
			for i := 0; i < n; i++ {
				if j < len(idx) && int(idx[j]) == i {
					if val[j] > thr {
						firedAt = append(firedAt, int32(i))
					}
					j++
				} else {
					firedAt = append(firedAt, int32(i))
				}
			}
		}
		nFire := len(firedAt)
		fl := FeatureLabel{Index: f, Duplicates: []int{}}
		if nFire == 0 {
			fl.Verdict = VerdictDead
			res.Features = append(res.Features, fl)
			continue
		}
		clear(tp)
		for _, i := range firedAt {
			for _, ci := range l.candOf[l.candOff[i]:l.candOff[i+1]] {
				tp[ci]++
			}
		}
		scored = scored[:0]
		for ci, c := range cands {
			var score float64
			if c.Kind == KindNumerical {
				p := l.num[ci]
				if p == nil {
					continue
				}
				r, ok := p.pearson(idx, val)
				if !ok {
					continue
				}
				score, rs[ci] = math.Abs(r), r
				t, firing := 0, 0
				for _, i := range firedAt {
					if p.defined[i] {
						firing++
						if c.Values[i] != 0 {
							t++
						}
					}
				}
				numTP[ci], numFiring[ci] = t, firing
			} else {
				score = 2 * float64(tp[ci]) / float64(nFire+len(c.Positive))
			}
			if score > bestScore[ci] || bestFeat[ci] < 0 {
				bestScore[ci], bestFeat[ci] = score, f
			}
			scores[ci] = score
			scored = append(scored, ci)
		}
		// best and runner-up: higher score first; scores within 1e-9 tie
		// and an indicator beats a correlation; then candidate order.
		above := func(i, j int) bool {
			if d := scores[i] - scores[j]; math.Abs(d) > 1e-9 {
				return d > 0
			}
			return cands[i].Kind != KindNumerical && cands[j].Kind == KindNumerical
		}
		b, r := -1, -1
		for _, ci := range scored {
			switch {
			case b < 0 || above(ci, b):
				b, r = ci, b
			case r < 0 || above(ci, r):
				r = ci
			}
		}
		match := func(ci int) *Match {
			c := &cands[ci]
			if c.Kind == KindNumerical {
				p := l.num[ci]
				r := rs[ci]
				m := &Match{Label: c.Label, Score: scores[ci], R: &r, Numerical: true}
				if numFiring[ci] > 0 {
					m.Precision = float64(numTP[ci]) / float64(numFiring[ci])
				}
				if p.nonzero > 0 {
					m.Recall = float64(numTP[ci]) / float64(p.nonzero)
				}
				return m
			}
			return &Match{Label: c.Label, Aliases: c.Aliases, Score: scores[ci],
				Precision: float64(tp[ci]) / float64(nFire),
				Recall:    float64(tp[ci]) / float64(len(c.Positive)),
			}
		}
		if b >= 0 {
			fl.Best = match(b)
		}
		if r >= 0 && scores[r] > 0 {
			fl.RunnerUp = match(r)
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
	for _, e := range l.expected {
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
	} else {
		res.Expected = append([]string(nil), res.Expected...)
	}
	if res.Recovered == nil {
		res.Recovered = []string{}
	}
	if len(l.expected) > 0 {
		res.Coverage = float64(len(res.Recovered)) / float64(len(l.expected))
	} else {
		res.Coverage = math.NaN()
	}
	duplicates(res.Features, decoder)
	return res, nil
}

// pearson is the Pearson correlation between p's values and a feature
// that is val at flat indices idx and 0 elsewhere, over the positions
// where p is defined; ok is false when the feature is constant there.
// Only the nonzero entries are visited: the zeros' share of every sum
// follows from p's totals.
func (p *numPre) pearson(idx []int32, val []float32) (r float64, ok bool) {
	var sx float64
	nz := 0
	for j, i := range idx {
		if p.defined[i] {
			sx += float64(val[j])
			nz++
		}
	}
	mx := sx / float64(p.cnt)
	// sxy = Σ_def (x−mx)·c = Σ_nz (x−mx)·c − mx·Σ_zero c
	var sxy, sxx, sc float64
	for j, i := range idx {
		if p.defined[i] {
			d := float64(val[j]) - mx
			sxy += d * p.centred[i]
			sxx += d * d
			sc += p.centred[i]
		}
	}
	sxy -= mx * (p.sumC - sc)
	sxx += float64(p.cnt-nz) * mx * mx
	if sxx == 0 {
		return 0, false
	}
	return sxy / math.Sqrt(sxx*p.ss), true
}

// sparseCols is a feature-major sparse copy of the activations: feature
// f is val[off[f]:off[f+1]] at flat indices idx[off[f]:off[f+1]]
// (increasing) and zero elsewhere.
type sparseCols struct {
	off []int
	idx []int32
	val []float32
}

// columns builds the feature-major sparse columns of the activations
// (uniq expanded by rowOf, see LabelRows), failing on a NaN.
func (l *Labeler) columns(uniq []float32, rowOf []int32, dsae int) (*sparseCols, error) {
	n := l.rows * l.positions
	k := len(uniq) / dsae
	// Row-major sparse copy of the distinct rows, and how often each row occurs.
	mult := make([]int, k)
	if rowOf == nil {
		for i := range mult {
			mult[i] = 1
		}
	} else {
		for _, r := range rowOf {
			mult[r]++
		}
	}
	rowOff := make([]int, k+1)
	count := make([]int, dsae+1)
	var rf []int32
	var rv []float32
	for r := 0; r < k; r++ {
		for f, v := range uniq[r*dsae : (r+1)*dsae] {
			if v != 0 {
				if v != v {
					return nil, l.nanError(uniq, rowOf, dsae)
				}
				rf = append(rf, int32(f))
				rv = append(rv, v)
				count[f+1] += mult[r]
			}
		}
		rowOff[r+1] = len(rf)
	}
	for f := 0; f < dsae; f++ {
		count[f+1] += count[f]
	}
	c := &sparseCols{off: count, idx: make([]int32, count[dsae]), val: make([]float32, count[dsae])}
	next := append([]int(nil), count[:dsae]...)
	for i := 0; i < n; i++ {
		r := i
		if rowOf != nil {
			r = int(rowOf[i])
		}
		for j := rowOff[r]; j < rowOff[r+1]; j++ {
			f := rf[j]
			c.idx[next[f]] = int32(i)
			c.val[next[f]] = rv[j]
			next[f]++
		}
	}
	return c, nil
}

// nanError names the first NaN activation in feature order.
func (l *Labeler) nanError(uniq []float32, rowOf []int32, dsae int) error {
	n := l.rows * l.positions
	for f := 0; f < dsae; f++ {
		for i := 0; i < n; i++ {
			r := i
			if rowOf != nil {
				r = int(rowOf[i])
			}
			if v := uniq[r*dsae+f]; v != v {
				return fmt.Errorf("features: feature %d has a NaN activation at row %d position %d", f, i/l.positions, i%l.positions)
			}
		}
	}
	return fmt.Errorf("features: NaN activation")
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
	fmt.Fprintf(&b, "hook %s: %d features, %d live", l.Hook, len(l.Features), countLive(stats))
	if l.ThresholdRule != "" {
		fmt.Fprintf(&b, "; a feature fires where %s", thresholdText(l.Threshold, l.ThresholdRule))
	}
	b.WriteByte('\n')
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
