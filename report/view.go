package report

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"sort"
	"strings"

	"github.com/glassbox-interp/glassbox/features"
	"github.com/glassbox-interp/glassbox/features/rundir"
	"github.com/glassbox-interp/glassbox/formats/atomicfile"
	"github.com/glassbox-interp/glassbox/sae"
)

//go:embed templates/*.html
var templateFS embed.FS

var tmpl = template.Must(template.New("").Funcs(template.FuncMap{
	"num": func(v any) string {
		switch x := v.(type) {
		case float64:
			return fmtNum(x)
		case float32:
			return fmtNum(float64(x))
		case features.Num:
			return fmtNum(float64(x))
		case *features.Num:
			if x == nil {
				return "–"
			}
			return fmtNum(float64(*x))
		case *float64:
			if x == nil {
				return "–"
			}
			return fmtNum(*x)
		case int:
			return fmt.Sprint(x)
		}
		return fmt.Sprint(v)
	},
	"ints": func(xs []int) string {
		s := make([]string, len(xs))
		for i, x := range xs {
			s[i] = fmt.Sprint(x)
		}
		return strings.Join(s, ", ")
	},
}).ParseFS(templateFS, "templates/*.html"))

// FeatureRow is one line of the feature table.
type FeatureRow struct {
	Index      int
	Label      string
	Aliases    string
	Verdict    string
	ScoreName  string
	Score      float64
	Precision  float64
	Recall     float64
	Density    float64
	Max        float64
	Live       bool
	Duplicates []int
	RunnerUp   string
}

// TokenView is one token of an example strip.
type TokenView struct {
	Text   string
	Act    float32
	Active bool
	Style  template.CSS
}

// ExampleView is one example row shown as a token strip.
type ExampleView struct {
	Value    float32
	Row      int
	Position int
	Tokens   []TokenView
	// GT is the ground-truth value at the example (the best label's
	// variable, or whether the label holds); Count the identical examples
	// this row stands for.
	GT    string
	Count int
}

// QuantileView is one activation range with its examples.
type QuantileView struct {
	Lo, Hi   float32
	Count    int
	Examples []ExampleView
}

// CurveView is one training curve with its chart.
type CurveView struct {
	Name string
	Last float64
	SVG  template.HTML
}

// FeaturePage is the data of one feature page.
type FeaturePage struct {
	Run       *Run
	Static    bool
	Row       FeatureRow
	Best      *features.Match
	RunnerUp  *features.Match
	Top       []ExampleView
	Quantiles []QuantileView
	Hist      template.HTML
	Effects   []features.Effect
	Prev      int
	Next      int
	// Detail is the analysis' extra view of the feature (nil when the run
	// has no Inspect); DetailErr says why it is missing.
	Detail    *rundir.Detail
	DetailErr string
	Basis     []BarView
	Raised    []BarView
	Lowered   []BarView
	Scatter   template.HTML
	// TopShown counts the examples the collapsed Top rows stand for.
	TopShown int
}

// RunPage is the data of the run page (and of the static report).
type RunPage struct {
	Run        *Run
	Static     bool
	Rows       []FeatureRow
	Live       int
	Curves     CurvesView
	Recon      [][2]string
	Expected   []string
	Recovered  map[string]bool
	Coverage   string
	DupGroups  [][]int
	Sort       string
	Features   []*FeaturePage // static report only
	HasLabels  bool
	BestFor    map[string]features.BestFeature
	Downstream *features.DownstreamMetrics
	// DensityHist is the log-density histogram of all features.
	DensityHist template.HTML
	// CanProbe shows the try-your-input form.
	CanProbe bool
	// Refresh makes the page poll metrics.jsonl and redraw the curves.
	Refresh bool
}

// FeatureHref links to a feature from the run page.
func (p *RunPage) FeatureHref(i int) string {
	if p.Static {
		return fmt.Sprintf("#feature-%d", i)
	}
	return fmt.Sprintf("feature/%d", i)
}

// Href links to another feature from a feature page.
func (p *FeaturePage) Href(i int) string {
	if p.Static {
		return fmt.Sprintf("#feature-%d", i)
	}
	return fmt.Sprint(i)
}

func (r *Run) check() error {
	if r == nil || r.Analysis == nil || len(r.Analysis.Stats) == 0 {
		return fmt.Errorf("report: run has no feature analysis")
	}
	if r.Analysis.Labels != nil && len(r.Analysis.Labels.Features) != len(r.Analysis.Stats) {
		return fmt.Errorf("report: run %s has %d labels for %d features", r.Name, len(r.Analysis.Labels.Features), len(r.Analysis.Stats))
	}
	return nil
}

func (r *Run) row(i int) FeatureRow {
	s := r.Analysis.Stats[i]
	fr := FeatureRow{Index: s.Index, Density: s.Density, Max: float64(s.Max), Live: s.Live, Score: math.NaN(), Precision: math.NaN(), Recall: math.NaN()}
	if !s.Live {
		fr.Verdict = features.VerdictDead
	}
	if r.Analysis.Labels != nil {
		fl := r.Analysis.Labels.Features[i]
		fr.Verdict, fr.Duplicates = fl.Verdict, fl.Duplicates
		if fl.Best != nil {
			fr.Label, fr.ScoreName, fr.Score = fl.Best.Label, fl.Best.ScoreName(), fl.Best.Score
			fr.Precision, fr.Recall = fl.Best.Precision, fl.Best.Recall
			fr.Aliases = strings.Join(fl.Best.Aliases, ", ")
		}
		if fl.RunnerUp != nil {
			fr.RunnerUp = fmt.Sprintf("%s (%s %.2f)", fl.RunnerUp.Label, fl.RunnerUp.ScoreName(), fl.RunnerUp.Score)
		}
	}
	return fr
}

// sortRows orders rows by a column name; "-" prefix for descending.
func sortRows(rows []FeatureRow, key string) {
	desc := strings.HasPrefix(key, "-")
	key = strings.TrimPrefix(key, "-")
	less := map[string]func(a, b FeatureRow) bool{
		"label":   func(a, b FeatureRow) bool { return a.Label < b.Label },
		"score":   func(a, b FeatureRow) bool { return nanLess(a.Score, b.Score) },
		"density": func(a, b FeatureRow) bool { return a.Density < b.Density },
		"max":     func(a, b FeatureRow) bool { return a.Max < b.Max },
		"dups":    func(a, b FeatureRow) bool { return len(a.Duplicates) < len(b.Duplicates) },
		"verdict": func(a, b FeatureRow) bool { return a.Verdict < b.Verdict },
	}[key]
	if less == nil {
		return
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if desc {
			return less(rows[j], rows[i])
		}
		return less(rows[i], rows[j])
	})
}

func nanLess(a, b float64) bool {
	if math.IsNaN(a) {
		return !math.IsNaN(b)
	}
	if math.IsNaN(b) {
		return false
	}
	return a < b
}

func (r *Run) runPage(static bool, sortKey string) (*RunPage, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	p := &RunPage{Run: r, Static: static, Sort: sortKey, Downstream: r.Downstream}
	for i, s := range r.Analysis.Stats {
		if s.Live {
			p.Live++
		}
		p.Rows = append(p.Rows, r.row(i))
	}
	sortRows(p.Rows, sortKey)
	p.DensityHist = densityHistSVG(r.Analysis.Stats, 520, 160)
	p.CanProbe = r.Probe != nil && !static
	p.Refresh = !static
	p.Curves = curveViews(r.Curves)
	if m := r.Recon; m != nil {
		p.Recon = [][2]string{
			{"explained variance", fmtEV(float64(m.ExplainedVariance))},
			{"MSE", fmtNum(float64(m.MSE))},
			{"L0", fmtNum(float64(m.L0))},
			{"L1", fmtNum(float64(m.L1))},
			{"dead features", fmt.Sprint(m.Dead)},
			{"dense features (density > 0.1)", fmt.Sprint(m.Dense)},
			{"shrinkage ‖x̂‖/‖x‖", fmtNum(float64(m.Shrinkage))},
			{"cosine(x, x̂)", fmtNum(float64(m.Cosine))},
			{"vectors", fmt.Sprint(m.N)},
		}
	}
	if l := r.Analysis.Labels; l != nil {
		p.HasLabels = true
		p.Expected = l.Expected
		p.BestFor = l.BestFor
		p.Recovered = map[string]bool{}
		for _, x := range l.Recovered {
			p.Recovered[x] = true
		}
		if len(l.Expected) > 0 {
			p.Coverage = fmt.Sprintf("%d / %d = %.2f", len(l.Recovered), len(l.Expected), l.Coverage)
		} else {
			p.Coverage = "no ground-truth candidates expected at this hook"
		}
		p.DupGroups = l.DuplicateGroups()
	}
	if static {
		for i, s := range r.Analysis.Stats {
			if !s.Live {
				continue
			}
			fp, err := r.featurePage(i, true)
			if err != nil {
				return nil, err
			}
			p.Features = append(p.Features, fp)
		}
	}
	return p, nil
}

func (r *Run) example(e features.Example, f int, max float32) ExampleView {
	ev := ExampleView{Value: e.Value, Row: e.Row, Position: e.Position}
	if e.Row < 0 || e.Row >= len(r.Tokens) {
		return ev
	}
	dsae := len(r.Analysis.Stats)
	for p, tok := range r.Tokens[e.Row] {
		tv := TokenView{Text: tok, Active: p == e.Position}
		if r.Acts != nil && len(r.Acts.Shape) == 3 && r.Acts.Shape[2] == dsae && e.Row < r.Acts.Shape[0] && p < r.Acts.Shape[1] {
			tv.Act = r.Acts.Data[(e.Row*r.Acts.Shape[1]+p)*dsae+f]
		} else if p == e.Position {
			tv.Act = e.Value
		}
		if max > 0 && tv.Act > 0 {
			a := float64(tv.Act / max)
			tv.Style = template.CSS(fmt.Sprintf("background: rgba(255, 120, 0, %.2f)", 0.1+0.8*math.Min(a, 1)))
		}
		ev.Tokens = append(ev.Tokens, tv)
	}
	return ev
}

func (r *Run) featurePage(i int, static bool) (*FeaturePage, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	if i < 0 || i >= len(r.Analysis.Stats) {
		return nil, fmt.Errorf("%w: feature %d (the SAE has %d features, 0..%d)", ErrNoFeature, i, len(r.Analysis.Stats), len(r.Analysis.Stats)-1)
	}
	s := r.Analysis.Stats[i]
	p := &FeaturePage{Run: r, Static: static, Row: r.row(i), Prev: -1, Next: -1}
	if l := r.Analysis.Labels; l != nil {
		p.Best, p.RunnerUp = l.Features[i].Best, l.Features[i].RunnerUp
	}
	if r.Inspect != nil {
		d, err := r.Inspect(i)
		if err != nil {
			p.DetailErr = err.Error()
		} else {
			p.setDetail(d)
		}
	}
	for _, e := range s.Top {
		if e.Value <= 0 {
			break // only positive examples are worth showing
		}
		ev := r.example(e, i, s.Max)
		if p.Detail != nil {
			ev.GT = p.Detail.ExampleValues[[2]int{e.Row, e.Position}]
		}
		p.Top = append(p.Top, ev)
	}
	p.TopShown = len(p.Top)
	p.Top = collapse(p.Top, r.Causal)
	for _, q := range s.Quantiles {
		qv := QuantileView{Lo: q.Lo, Hi: q.Hi, Count: q.Count}
		for _, e := range q.Examples {
			qv.Examples = append(qv.Examples, r.example(e, i, s.Max))
		}
		qv.Examples = collapse(qv.Examples, r.Causal)
		p.Quantiles = append(p.Quantiles, qv)
	}
	p.Hist = histSVG(s.Hist.Counts, float64(s.Hist.Max), 420, 150)
	if i < len(r.Effects) {
		p.Effects = r.Effects[i]
	}
	live := features.LiveFeatures(r.Analysis.Stats)
	for _, j := range live {
		if j < i {
			p.Prev = j
		}
		if j > i && p.Next < 0 {
			p.Next = j
		}
	}
	return p, nil
}

// setDetail adds the analysis' detail to the page.
func (p *FeaturePage) setDetail(d *rundir.Detail) {
	p.Detail = d
	var ls []string
	var vs []float64
	for _, c := range d.Basis {
		ls, vs = append(ls, c.Label), append(vs, c.Value)
	}
	p.Basis = bars(ls, vs)
	ls, vs = nil, nil
	for _, l := range d.Raised {
		ls, vs = append(ls, l.Output), append(vs, l.Delta)
	}
	p.Raised = bars(ls, vs)
	ls, vs = nil, nil
	for _, l := range d.Lowered {
		ls, vs = append(ls, l.Output), append(vs, l.Delta)
	}
	p.Lowered = bars(ls, vs)
	if len(d.Scatter) > 0 {
		p.Scatter = scatterSVG(d.Scatter, d.GTLabel, 420, 220)
	}
}

// ErrNoFeature is wrapped by errors for a feature index outside the SAE.
var ErrNoFeature = fmt.Errorf("no such feature")

// RenderRun writes the run page; sortKey orders the feature table
// (label, score, density, max, dups, verdict; "-" prefix for descending).
func RenderRun(w io.Writer, r *Run, sortKey string) error {
	p, err := r.runPage(false, sortKey)
	if err != nil {
		return err
	}
	return render(w, "run.html", p)
}

// RenderFeature writes feature i's page. An index outside the SAE gives an
// error wrapping ErrNoFeature.
func RenderFeature(w io.Writer, r *Run, i int) error {
	p, err := r.featurePage(i, false)
	if err != nil {
		return err
	}
	return render(w, "feature.html", p)
}

// RenderStatic writes the single-file report: the run page followed by
// every live feature's section.
func RenderStatic(w io.Writer, r *Run) error {
	p, err := r.runPage(true, "")
	if err != nil {
		return err
	}
	return render(w, "static.html", p)
}

// WriteStatic writes the static report to path atomically.
func WriteStatic(path string, r *Run) error {
	var buf bytes.Buffer
	if err := RenderStatic(&buf, r); err != nil {
		return fmt.Errorf("report %s: %w", path, err)
	}
	return atomicfile.WriteFile(path, buf.Bytes(), 0o644)
}

// render executes a template into memory first so a failure never leaves a
// half-written page.
func render(w io.Writer, name string, data any) error {
	var buf bytes.Buffer
	if err := tmpl.ExecuteTemplate(&buf, name, data); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// fmtEV prints an explained variance, saying why when it is undefined.
func fmtEV(v float64) string {
	if math.IsNaN(v) {
		return sae.NoVariance
	}
	return fmtNum(v)
}
