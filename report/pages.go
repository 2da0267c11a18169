package report

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"math"
	"sort"
	"strings"

	"github.com/glassbox-interp/glassbox/features"
	"github.com/glassbox-interp/glassbox/features/rundir"
	"github.com/glassbox-interp/glassbox/formats/atomicfile"
	"github.com/glassbox-interp/glassbox/workload"
)

// IndexEntry is one run on the index page.
type IndexEntry struct {
	Name, Href, Hook string
	Meta             RunMeta
	// Status is "analysed", "not analysed yet", "training" or the error of
	// a failed analysis.
	Status string
}

// IndexPage is the data of the index.
type IndexPage struct {
	Runs   []IndexEntry
	Static bool
}

// RenderIndex writes the list of runs (sortable, filterable, with a
// compare form and a feature search box).
func RenderIndex(w io.Writer, runs []IndexEntry) error {
	return render(w, "index.html", IndexPage{Runs: runs})
}

// WriteIndex writes a page listing runs (with relative links, e.g. to each
// run's static report) to path atomically.
func WriteIndex(path string, runs []IndexEntry) error {
	var buf bytes.Buffer
	if err := render(&buf, "index.html", IndexPage{Runs: runs, Static: true}); err != nil {
		return fmt.Errorf("report %s: %w", path, err)
	}
	return atomicfile.WriteFile(path, buf.Bytes(), 0o644)
}

// TryPage is the data of the try-your-input page.
type TryPage struct {
	Run      *Run
	Req      rundir.ProbeRequest
	Probe    *rundir.Probe
	Err      string
	Features []FeatureRow
	MaxInput int
	Example  string
}

// RenderTry runs r.Probe on req (when req.Input is set) and writes the
// page: the form, then per position the tokens, the most active features,
// the chosen feature and the model's output clean, spliced and edited. A
// probe error is shown on the page and returned as probeErr.
func RenderTry(w io.Writer, r *Run, req rundir.ProbeRequest) (probeErr error, err error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	p := &TryPage{Run: r, Req: req, MaxInput: rundir.MaxProbeInput}
	for i, s := range r.Analysis.Stats {
		if s.Live {
			p.Features = append(p.Features, r.row(i))
		}
	}
	if len(r.Tokens) > 0 {
		p.Example = strings.Join(r.Tokens[0][1:], " ")
		p.Example = strings.TrimSpace(strings.ReplaceAll(" "+p.Example+" ", " PAD ", " "))
	}
	switch {
	case r.Probe == nil:
		p.Err = "this run cannot be probed (no model attached)"
	case strings.TrimSpace(req.Input) != "":
		p.Probe, probeErr = r.Probe(req)
		if probeErr != nil {
			p.Err = probeErr.Error()
		}
	}
	return probeErr, render(w, "try.html", p)
}

// CompareRun is one run's training curves for the compare page.
type CompareRun struct {
	Name   string
	Curves []workload.Curve
}

// CompareChart is one metric overlaid across runs.
type CompareChart struct {
	Name string
	SVG  template.HTML
}

// ComparePage is the data of the overlaid-curves page.
type ComparePage struct {
	Runs     []string
	Charts   []CompareChart
	Constant [][2]string // metric, "value (runs)"
	LogY     bool
	Query    template.URL
}

func finiteCount(y []float64) int {
	n := 0
	for _, v := range y {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			n++
		}
	}
	return n
}

// constantValue reports whether the defined values of y are all equal.
func constantValue(y []float64) (float64, bool) {
	var v float64
	seen := false
	for _, x := range y {
		if math.IsNaN(x) {
			continue
		}
		if seen && x != v {
			return 0, false
		}
		v, seen = x, true
	}
	return v, seen
}

// RenderCompare writes the training curves of runs overlaid metric by
// metric (log y axis when logY); a metric constant in every run is folded
// into one line of text, and runs with the same constant series share a line.
func RenderCompare(w io.Writer, runs []CompareRun, logY bool, query string) error {
	byMetric := map[string][]Series{}
	var names []string
	for _, r := range runs {
		names = append(names, r.Name)
		for _, c := range r.Curves {
			byMetric[c.Name] = append(byMetric[c.Name], Series{Name: r.Name, X: c.X, Y: c.Y})
		}
	}
	metrics := make([]string, 0, len(byMetric))
	for k := range byMetric {
		metrics = append(metrics, k)
	}
	sort.Strings(metrics)
	p := &ComparePage{Runs: names, LogY: logY, Query: template.URL(query)}
	xName := "training tokens"
	for _, r := range runs {
		if len(r.Curves) > 0 {
			xName = r.Curves[0].XName
		}
	}
	for _, m := range metrics {
		ss := byMetric[m]
		allConst := true
		vals := map[float64][]string{}
		for _, s := range ss {
			v, ok := constantValue(s.Y)
			if !ok {
				allConst = false
				break
			}
			vals[v] = append(vals[v], s.Name)
		}
		if allConst {
			var parts []string
			for v, rs := range vals {
				parts = append(parts, fmt.Sprintf("%s (%s)", fmtNum(v), strings.Join(rs, ", ")))
			}
			sort.Strings(parts)
			p.Constant = append(p.Constant, [2]string{m, strings.Join(parts, "; ")})
			continue
		}
		p.Charts = append(p.Charts, CompareChart{Name: m, SVG: chartSVG(ss, chartOpts{W: 520, H: 220, XName: xName, LogY: logY, Legend: len(ss) > 1})})
	}
	return render(w, "compare.html", p)
}

// SearchHit is one feature whose label matches a search.
type SearchHit struct {
	Run, RunHref, Href string
	Feature            int
	Label              string
	ScoreName          string
	Score              float64
	Verdict            string
}

// SearchPage is the data of the search results page.
type SearchPage struct {
	Query   string
	Hits    []SearchHit
	Pending []string
}

// Search lists r's features whose label or an alias contains q
// (case-insensitive); href links to the run page.
func Search(r *Run, q, href string) []SearchHit {
	if r == nil || r.Analysis == nil || r.Analysis.Labels == nil || q == "" {
		return nil
	}
	q = strings.ToLower(q)
	var hits []SearchHit
	for i, fl := range r.Analysis.Labels.Features {
		b := fl.Best
		if b == nil {
			continue
		}
		match := strings.Contains(strings.ToLower(b.Label), q)
		for _, a := range b.Aliases {
			match = match || strings.Contains(strings.ToLower(a), q)
		}
		if match {
			hits = append(hits, SearchHit{Run: r.Name, RunHref: href, Href: fmt.Sprintf("%sfeature/%d", href, i), Feature: i,
				Label: b.Label, ScoreName: b.ScoreName(), Score: b.Score, Verdict: fl.Verdict})
		}
	}
	return hits
}

// RenderSearch writes the search results; pending names runs not analysed
// yet (their features are not searched).
func RenderSearch(w io.Writer, q string, hits []SearchHit, pending []string) error {
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].Score > hits[j].Score })
	return render(w, "search.html", SearchPage{Query: q, Hits: hits, Pending: pending})
}

// SummaryRun is one run of a summary report.
type SummaryRun struct {
	Run  *Run
	Href string // its full report
	Page *RunPage
	Mse  template.HTML
	// Labels are the clean features' labels.
	Labels []string
}

// WriteSummary writes one page with each run's key figures, its clean
// labels and its reconstruction curve, each linking to its full report
// (glassbox demo's runs/demo/report.html). hrefs[i] links runs[i].
func WriteSummary(path, title string, runs []*Run, hrefs []string) error {
	var srs []SummaryRun
	for i, r := range runs {
		rp, err := r.runPage(true, "")
		if err != nil {
			return fmt.Errorf("report %s: run %s: %w", path, r.Name, err)
		}
		rp.Features = nil
		sr := SummaryRun{Run: r, Page: rp}
		if i < len(hrefs) {
			sr.Href = hrefs[i]
		}
		for _, c := range r.Curves {
			if c.Name == "losses/mse_loss" {
				sr.Mse = chartSVG([]Series{{Name: c.Name, X: c.X, Y: c.Y}}, chartOpts{W: 340, H: 150, XName: c.XName + " · MSE loss", LogY: true})
			}
		}
		if l := r.Analysis.Labels; l != nil {
			seen := map[string]bool{}
			for _, fl := range l.Features {
				if fl.Verdict == features.VerdictClean && fl.Best != nil && !seen[fl.Best.Label] {
					seen[fl.Best.Label] = true
					sr.Labels = append(sr.Labels, fl.Best.Label)
				}
			}
		}
		srs = append(srs, sr)
	}
	var buf bytes.Buffer
	if err := render(&buf, "summary.html", struct {
		Title string
		Runs  []SummaryRun
	}{title, srs}); err != nil {
		return fmt.Errorf("report %s: %w", path, err)
	}
	return atomicfile.WriteFile(path, buf.Bytes(), 0o644)
}

// CurvesView is a run's training curves: a chart per varying metric, and
// the constant ones folded into one line.
type CurvesView struct {
	Charts   []CurveView
	Constant [][2]string
}

// curveViews draws each varying curve as a small chart and lists the
// constant ones (learning rate, l1 coefficient, an unused loss) by value.
func curveViews(curves []workload.Curve) CurvesView {
	var out CurvesView
	for _, c := range curves {
		if v, ok := constantValue(c.Y); ok && finiteCount(c.Y) > 1 {
			out.Constant = append(out.Constant, [2]string{c.Name, fmtNum(v)})
			continue
		}
		out.Charts = append(out.Charts, CurveView{Name: c.Name, Last: c.Last(), SVG: lineSVG(c, 300, 130)})
	}
	return out
}

// RenderCurves writes the training-curve charts alone (the fragment a
// live page fetches when metrics.jsonl grows).
func RenderCurves(w io.Writer, curves []workload.Curve) error {
	return render(w, "curves", curveViews(curves))
}

// PendingPage is the data of the page of a run that cannot be analysed yet.
type PendingPage struct {
	Name, Err string
	Curves    CurvesView
}

// RenderPending writes the page of a run that is still training (or whose
// analysis failed): the reason and the training curves so far, refreshed
// as metrics.jsonl grows.
func RenderPending(w io.Writer, name, reason string, curves []workload.Curve) error {
	return render(w, "pending.html", PendingPage{Name: name, Err: reason, Curves: curveViews(curves)})
}
