package bench

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/glassbox-interp/glassbox/features"
	"github.com/glassbox-interp/glassbox/model"
	"github.com/glassbox-interp/glassbox/siit"
)

// Stat is the mean of one metric over the cells that reported it.
type Stat struct {
	Mean float64 `json:"mean"`
	N    int     `json:"n"` // cells averaged (0: no cell reported the metric)
}

// Row is one line of a leaderboard table: a group of cells.
type Row struct {
	Arch string `json:"arch"`
	// Model is the model kind of the row's cells (ModelCompiled,
	// ModelSIIT, ModelInterpBench) when the sweep ran on more than one kind, else "".
	Model    string          `json:"model,omitempty"`
	Group    string          `json:"group,omitempty"` // "l1=0.1", "k=8", or a hook kind; "" for a whole architecture
	Param    string          `json:"param,omitempty"` // ParamL1 or ParamK for sparsity rows
	Value    float64         `json:"value,omitempty"` // the sparsity value for sparsity rows
	Cells    int             `json:"cells"`
	OK       int             `json:"ok"`
	Failed   int             `json:"failed"`
	Metrics  map[string]Stat `json:"metrics"`
	Frontier bool            `json:"frontier,omitempty"` // sparsity rows: on the architecture's L0-vs-coverage Pareto frontier
}

// Name is the row's architecture, with its model kind when it has one
// ("standard · siit").
func (r Row) Name() string {
	if r.Model == "" {
		return r.Arch
	}
	return r.Arch + " · " + r.Model
}

// Stat returns the row's statistic for a metric (zero Stat when absent).
func (r Row) Stat(metric string) Stat { return r.Metrics[metric] }

// Leaderboard is the aggregate of a sweep's results.
type Leaderboard struct {
	Cells    int      `json:"cells"`
	OK       int      `json:"ok"`
	Failed   int      `json:"failed"`
	Archs    []Row    `json:"archs"`    // one per architecture, ranked (see Aggregate)
	Sparsity []Row    `json:"sparsity"` // architecture × sparsity value, in Archs order then value ascending
	Hooks    []Row    `json:"hooks"`    // architecture × hook kind (residual, mlp, attn, …)
	Failures []Result `json:"failures"` // recorded errors, sorted by cell
	// Models lists the model kinds when the results cover more than one
	// (every table is then split by kind: Row.Model); nil otherwise.
	Models []string `json:"models,omitempty"`
	// Kept lists the cells whose SAE `bench --keep-saes` kept (AddKept),
	// each linked to its page in `glassbox serve SAEsDir/*`.
	Kept     []KeptCell `json:"kept,omitempty"`
	SAEsDirs []string   `json:"saes_dirs,omitempty"`
	// Empty counts the successful cells left out of every table because
	// their hook computes nothing (input_variance 0: an empty half-layer of
	// the compiled model, whose SAE trivially scores L0 0, dead 1, spliced
	// accuracy = clean). Cells, OK and the rows do not include them.
	Empty int `json:"empty,omitempty"`
	// ATol lists the numerical accuracy tolerances the cells used (sorted;
	// one value unless results of several sweeps were mixed).
	ATol []float64 `json:"atol,omitempty"`
	// Recovery says which variables the SAEs find (from Result.BestF1; nil
	// when no result records it).
	Recovery *Recovery `json:"recovery,omitempty"`
	// Trained lists the sweep's SIIT models and their quality (AddTrained).
	Trained []siit.SweepRow `json:"trained_models,omitempty"`
}

// EmptyHook reports whether a successful result is at a hook whose
// activation never varies (input_variance recorded as 0): an empty
// half-layer, which Aggregate leaves out.
func EmptyHook(r Result) bool {
	v, ok := r.Metrics["input_variance"]
	return r.OK() && ok && v == 0
}

// HookKind names the kind of a hook for grouping: "residual" for
// hook_resid_pre/hook_resid_post, "mlp" for hook_mlp_out, "attn" for
// hook_attn_out, otherwise the hook name without its layer (or the name).
func HookKind(hook string) string {
	h, err := model.ParseHook(hook)
	if err != nil || !h.InBlock() {
		return hook
	}
	switch h.Point {
	case "hook_resid_pre", "hook_resid_post":
		return "residual"
	case "hook_mlp_out":
		return "mlp"
	case "hook_attn_out":
		return "attn"
	}
	return h.Point
}

type accum struct {
	row  Row
	sums map[string]float64
}

func (a *accum) add(r Result) {
	a.row.Cells++
	if !r.OK() {
		a.row.Failed++
		return
	}
	a.row.OK++
	for k, v := range r.Metrics {
		a.sums[k] += v
		s := a.row.Metrics[k]
		s.N++
		a.row.Metrics[k] = s
	}
}

func (a *accum) finish() Row {
	for k, s := range a.row.Metrics {
		s.Mean = a.sums[k] / float64(s.N)
		a.row.Metrics[k] = s
	}
	return a.row
}

// Aggregate builds the leaderboard of results (reduced first with Latest,
// so a retried cell counts once). Each metric's mean is taken over the
// successful cells that report it. Architectures are ranked by mean
// coverage, then mean F1, then explained variance (higher first; an
// architecture without the metric ranks last), then name.
func Aggregate(results []Result) Leaderboard {
	results = Latest(results)
	var lb Leaderboard
	// Model kinds in a fixed order: compiled first.
	seenKind := map[string]bool{}
	for _, r := range results {
		seenKind[r.Cell.ModelKind()] = true
	}
	kindOrder := map[string]int{}
	if len(seenKind) > 1 {
		// Known kinds first, in a fixed order; any other kind after
		// them, by name.
		order := []string{ModelCompiled, ModelSIIT, ModelInterpBench}
		var other []string
		for k := range seenKind {
			if !slices.Contains(order, k) {
				other = append(other, k)
			}
		}
		sort.Strings(other)
		for _, k := range append(order, other...) {
			if seenKind[k] {
				kindOrder[k] = len(lb.Models)
				lb.Models = append(lb.Models, k)
			}
		}
	}
	modelOf := func(c Cell) string {
		if lb.Models == nil {
			return ""
		}
		return c.ModelKind()
	}
	archs := map[string]*accum{}
	sparsity := map[string]*accum{}
	hooks := map[string]*accum{}
	get := func(m map[string]*accum, key string, row Row) *accum {
		a, ok := m[key]
		if !ok {
			row.Metrics = map[string]Stat{}
			a = &accum{row: row, sums: map[string]float64{}}
			m[key] = a
		}
		return a
	}
	for _, r := range results {
		if EmptyHook(r) {
			lb.Empty++
			continue
		}
		lb.Cells++
		if a, ok := r.Metrics[MetricATol]; ok && r.OK() && !slices.Contains(lb.ATol, a) {
			lb.ATol = append(lb.ATol, a)
		}
		if r.OK() {
			lb.OK++
		} else {
			lb.Failed++
			lb.Failures = append(lb.Failures, r)
		}
		c := r.Cell
		m := modelOf(c)
		get(archs, m+"\x00"+c.Arch, Row{Arch: c.Arch, Model: m}).add(r)
		get(sparsity, m+"\x00"+c.Arch+"\x00"+c.Sparsity(), Row{Arch: c.Arch, Model: m, Group: c.Sparsity(), Param: c.Param, Value: c.Value}).add(r)
		kind := HookKind(c.Hook)
		get(hooks, m+"\x00"+c.Arch+"\x00"+kind, Row{Arch: c.Arch, Model: m, Group: kind}).add(r)
	}
	slices.Sort(lb.ATol)
	for _, a := range archs {
		lb.Archs = append(lb.Archs, a.finish())
	}
	rankKeys := []string{MetricCoverage, MetricMeanF1, MetricExplainedVariance}
	sort.Slice(lb.Archs, func(i, j int) bool {
		a, b := lb.Archs[i], lb.Archs[j]
		if kindOrder[a.Model] != kindOrder[b.Model] {
			return kindOrder[a.Model] < kindOrder[b.Model]
		}
		for _, k := range rankKeys {
			sa, sb := a.Stat(k), b.Stat(k)
			if (sa.N > 0) != (sb.N > 0) {
				return sa.N > 0
			}
			if sa.N > 0 && sa.Mean != sb.Mean {
				return sa.Mean > sb.Mean
			}
		}
		return a.Arch < b.Arch
	})
	rank := map[string]int{}
	for i, r := range lb.Archs {
		rank[r.Model+"\x00"+r.Arch] = i
	}
	for _, a := range sparsity {
		lb.Sparsity = append(lb.Sparsity, a.finish())
	}
	sort.Slice(lb.Sparsity, func(i, j int) bool {
		a, b := lb.Sparsity[i], lb.Sparsity[j]
		if ra, rb := rank[a.Model+"\x00"+a.Arch], rank[b.Model+"\x00"+b.Arch]; ra != rb {
			return ra < rb
		}
		if a.Param != b.Param {
			return a.Param < b.Param
		}
		return a.Value < b.Value
	})
	markFrontier(lb.Sparsity)
	for _, a := range hooks {
		lb.Hooks = append(lb.Hooks, a.finish())
	}
	sort.Slice(lb.Hooks, func(i, j int) bool {
		a, b := lb.Hooks[i], lb.Hooks[j]
		if ra, rb := rank[a.Model+"\x00"+a.Arch], rank[b.Model+"\x00"+b.Arch]; ra != rb {
			return ra < rb
		}
		return a.Group < b.Group
	})
	if rec := recovery(results, modelOf, kindOrder); len(rec.Variables) > 0 {
		lb.Recovery = &rec
	}
	return lb
}

// Point is a (L0, coverage) pair of the frontier plot.
type Point struct {
	L0, Coverage float64
}

// ParetoFrontier returns the indices of the points that no other point
// dominates (an L0 at most as large and a coverage at least as large, one
// of them strictly), ordered by increasing L0. Of identical points the
// first is kept.
func ParetoFrontier(pts []Point) []int {
	idx := make([]int, len(pts))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		pa, pb := pts[idx[a]], pts[idx[b]]
		if pa.L0 != pb.L0 {
			return pa.L0 < pb.L0
		}
		return pa.Coverage > pb.Coverage
	})
	var out []int
	best := 0.0
	for n, i := range idx {
		if n == 0 || pts[i].Coverage > best {
			out = append(out, i)
			best = pts[i].Coverage
		}
	}
	return out
}

// markFrontier sets Frontier on the sparsity rows on their architecture's
// Pareto frontier (rows without both L0 and coverage are never on it).
func markFrontier(rows []Row) {
	byArch := map[string][]int{}
	for i, r := range rows {
		if r.Stat(MetricL0).N > 0 && r.Stat(MetricCoverage).N > 0 {
			byArch[r.Model+"\x00"+r.Arch] = append(byArch[r.Model+"\x00"+r.Arch], i)
		}
	}
	for _, ids := range byArch {
		pts := make([]Point, len(ids))
		for j, i := range ids {
			pts[j] = Point{rows[i].Stat(MetricL0).Mean, rows[i].Stat(MetricCoverage).Mean}
		}
		for _, j := range ParetoFrontier(pts) {
			rows[ids[j]].Frontier = true
		}
	}
}

// metricTitles are the leaderboard's column headings.
var metricTitles = map[string]string{
	MetricCoverage:          "coverage",
	MetricMeanF1:            "mean F1",
	MetricExplainedVariance: "explained var.",
	MetricL0:                "L0",
	MetricDeadFraction:      "dead frac.",
	MetricSplicedAccuracy:   "spliced acc.",
}

// formatStat prints a metric mean (L0 with 2 decimals, fractions with 3),
// "–" when no cell reported it, and "(n=…)" when fewer cells than ok did.
func formatStat(metric string, s Stat, ok int) string {
	if s.N == 0 {
		return "–"
	}
	txt := fmt.Sprintf("%.3f", s.Mean)
	if metric == MetricL0 {
		txt = fmt.Sprintf("%.2f", s.Mean)
	}
	if s.N < ok {
		txt += fmt.Sprintf(" (n=%d)", s.N)
	}
	return txt
}

// Markdown renders the leaderboard as a markdown document.
func (lb Leaderboard) Markdown() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# glassbox bench leaderboard\n\n%d cells: %d ok, %d failed. Means over the successful cells that report each metric.\n", lb.Cells, lb.OK, lb.Failed)
	if lb.Models != nil {
		fmt.Fprintf(&b, "\nModels: %s; every table is split by model kind (architectures ranked within each kind).\n", strings.Join(lb.Models, ", "))
	}
	if lb.Empty > 0 {
		fmt.Fprintf(&b, "Left out: %s at hooks that compute nothing (empty half-layers; activations never vary).\n", plural(lb.Empty, "cell"))
	}
	if len(lb.ATol) > 0 {
		fmt.Fprintf(&b, "Spliced accuracy of numerical programs: an output is correct when |Δ| < %s.\n", lb.atolText())
	}
	table := func(title, groupTitle string, rows []Row, rank bool) {
		if len(rows) == 0 {
			return
		}
		fmt.Fprintf(&b, "\n## %s\n\n", title)
		head := []string{}
		if rank {
			head = append(head, "rank")
		}
		head = append(head, "arch")
		if lb.Models != nil {
			head = append(head, "model")
		}
		if groupTitle != "" {
			head = append(head, groupTitle)
		}
		for _, m := range LeaderboardMetrics {
			head = append(head, metricTitles[m])
		}
		head = append(head, "ok", "failed")
		fmt.Fprintf(&b, "| %s |\n|%s\n", strings.Join(head, " | "), strings.Repeat("---|", len(head)))
		for i, r := range rows {
			cols := []string{}
			if rank {
				cols = append(cols, fmt.Sprint(lb.ArchRank(i)))
			}
			cols = append(cols, r.Arch)
			if lb.Models != nil {
				cols = append(cols, r.Model)
			}
			if groupTitle != "" {
				g := r.Group
				if r.Frontier {
					g += " ★"
				}
				cols = append(cols, g)
			}
			for _, m := range LeaderboardMetrics {
				cols = append(cols, formatStat(m, r.Stat(m), r.OK))
			}
			cols = append(cols, fmt.Sprint(r.OK), fmt.Sprint(r.Failed))
			fmt.Fprintf(&b, "| %s |\n", strings.Join(cols, " | "))
		}
	}
	table("Architectures", "", lb.Archs, true)
	table("Architecture × sparsity", "sparsity", lb.Sparsity, false)
	if len(lb.Sparsity) > 0 {
		b.WriteString("\n★ = on the architecture's L0-vs-coverage Pareto frontier (see frontier.svg).\n")
	}
	table("Architecture × hook kind", "hooks", lb.Hooks, false)
	if lb.Recovery != nil {
		b.Write(lb.Recovery.Markdown())
	}
	b.WriteString(lb.trainedMarkdown())
	if len(lb.Failures) > 0 {
		fmt.Fprintf(&b, "\n## Failed cells (%d)\n\n| cell | error |\n|---|---|\n", len(lb.Failures))
		for i, r := range lb.Failures {
			if i == maxFailuresShown {
				fmt.Fprintf(&b, "| … | %d more in results.jsonl |\n", len(lb.Failures)-i)
				break
			}
			fmt.Fprintf(&b, "| `%s` | %s |\n", r.Key, mdEscape(firstLine(r.Error)))
		}
	}
	return b.Bytes()
}

const maxFailuresShown = 100

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "\r", " ", "<", "&lt;", ">", "&gt;").Replace(s)
}

//go:embed templates/leaderboard.html
var leaderboardHTML string

var leaderboardTmpl = template.Must(template.New("leaderboard").Funcs(template.FuncMap{
	"stat":  func(m string, r Row) string { return formatStat(m, r.Stat(m), r.OK) },
	"title": func(m string) string { return metricTitles[m] },
	"first": firstLine,
	"all":   orAll,
	"share": share,
	"pct":   func(v float64) string { return fmt.Sprintf("%.2f%%", 100*v) },
	"short": shortHook,
	"metric": func(m map[string]float64, k string) string {
		if v, ok := m[k]; ok {
			return strconv.FormatFloat(v, 'g', 4, 64)
		}
		return "–"
	},
}).Parse(leaderboardHTML))

// HTML renders the leaderboard as a self-contained HTML page with the
// frontier plot inline.
func (lb Leaderboard) HTML() ([]byte, error) {
	failures := lb.Failures
	more := 0
	if len(failures) > maxFailuresShown {
		more = len(failures) - maxFailuresShown
		failures = failures[:maxFailuresShown]
	}
	var b bytes.Buffer
	err := leaderboardTmpl.Execute(&b, map[string]any{
		"LB":       lb,
		"Metrics":  LeaderboardMetrics,
		"Plot":     template.HTML(lb.FrontierSVG()), // generated by FrontierSVG, which escapes every text it prints
		"Failures": failures,
		"More":     more,
		"Clean":    features.CleanScore,
	})
	if err != nil {
		return nil, fmt.Errorf("render leaderboard HTML: %w", err)
	}
	return b.Bytes(), nil
}

// Files WriteLeaderboard writes.
const (
	LeaderboardMarkdown = "leaderboard.md"
	LeaderboardHTML     = "leaderboard.html"
	LeaderboardJSON     = "leaderboard.json"
	FrontierPlot        = "frontier.svg"
)

// WriteLeaderboard writes leaderboard.md, leaderboard.html, leaderboard.json
// and frontier.svg into dir, each atomically, and returns their paths.
func WriteLeaderboard(dir string, lb Leaderboard) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("leaderboard: %w", err)
	}
	page, err := lb.HTML()
	if err != nil {
		return nil, err
	}
	js, err := json.MarshalIndent(lb, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("leaderboard: encode JSON: %w", err)
	}
	files := []struct {
		name string
		data []byte
	}{
		{LeaderboardMarkdown, lb.Markdown()},
		{LeaderboardHTML, page},
		{LeaderboardJSON, append(js, '\n')},
		{FrontierPlot, lb.FrontierSVG()},
	}
	var paths []string
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		if err := writeFileAtomic(p, f.data); err != nil {
			return paths, fmt.Errorf("leaderboard: %w", err)
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// plural returns "1 cell", "2 cells".
func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// atolText prints the tolerances, e.g. "0.05" or "0.05 / 0.1".
func (lb Leaderboard) atolText() string {
	parts := make([]string, len(lb.ATol))
	for i, a := range lb.ATol {
		parts[i] = formatFloat(a)
	}
	return strings.Join(parts, " / ")
}

// ArchRank is the rank of Archs[i] among the architectures of its model
// kind (1 = best): every kind's ranking starts at 1.
func (lb Leaderboard) ArchRank(i int) int {
	n := 1
	for j := 0; j < i && j < len(lb.Archs); j++ {
		if lb.Archs[j].Model == lb.Archs[i].Model {
			n++
		}
	}
	return n
}
