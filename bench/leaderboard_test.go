package bench

import (
	"bytes"
	"encoding/xml"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func lbCell(cs int, hook, arch string, v float64, seed int64) Cell {
	p, _ := ArchParam(arch)
	return Cell{Case: cs, Hook: hook, Arch: arch, Param: p, Value: v, Seed: seed, TrainingTokens: 100, Expansion: 4}
}

// knownResults is a hand-made sweep whose aggregates are worked out below.
func knownResults() []Result {
	const r0, m0 = "blocks.0.hook_resid_pre", "blocks.0.hook_mlp_out"
	m := func(cov, f1, l0 float64) map[string]float64 {
		out := map[string]float64{MetricCoverage: cov, MetricL0: l0, MetricExplainedVariance: 0.9, MetricDeadFraction: 0.25}
		if f1 >= 0 {
			out[MetricMeanF1] = f1
		}
		return out
	}
	retried := lbCell(4, m0, "topk", 8, 1)
	return []Result{
		okResult(lbCell(3, r0, "standard", 0.1, 1), m(0.5, 0.6, 10)),
		okResult(lbCell(3, m0, "standard", 0.1, 1), m(0.7, 0.8, 20)),
		okResult(lbCell(3, r0, "standard", 1, 1), m(0.3, 0.4, 2)),
		errResult(lbCell(3, m0, "standard", 1, 1), "train: loss is NaN <script>alert(1)</script>\nstack…"),
		okResult(lbCell(3, r0, "topk", 4, 1), m(0.8, -1, 4)),
		errResult(retried, "out of memory"),
		okResult(retried, m(0.7, 0.9, 8)),
		errResult(lbCell(3, r0, "gated", 0.1, 1), "case does not compile"),
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

func TestAggregateKnownNumbers(t *testing.T) {
	lb := Aggregate(knownResults())
	if lb.Cells != 7 || lb.OK != 5 || lb.Failed != 2 || len(lb.Failures) != 2 {
		t.Fatalf("totals %d/%d/%d, %d failures", lb.Cells, lb.OK, lb.Failed, len(lb.Failures))
	}
	var order []string
	for _, r := range lb.Archs {
		order = append(order, r.Arch)
	}
	if !reflect.DeepEqual(order, []string{"topk", "standard", "gated"}) {
		t.Errorf("ranking %v, want topk (coverage 0.75), standard (0.5), gated (no successes)", order)
	}
	type want struct {
		cells, ok, failed int
		cov, f1, l0       float64
		nF1               int
	}
	check := func(label string, r Row, w want) {
		t.Helper()
		if r.Cells != w.cells || r.OK != w.ok || r.Failed != w.failed {
			t.Errorf("%s: cells %d ok %d failed %d; want %d %d %d", label, r.Cells, r.OK, r.Failed, w.cells, w.ok, w.failed)
		}
		if w.ok == 0 {
			if len(r.Metrics) != 0 {
				t.Errorf("%s: metrics %v without successes", label, r.Metrics)
			}
			return
		}
		if s := r.Stat(MetricCoverage); !near(s.Mean, w.cov) || s.N != w.ok {
			t.Errorf("%s: coverage %+v, want %g over %d", label, s, w.cov, w.ok)
		}
		if s := r.Stat(MetricL0); !near(s.Mean, w.l0) {
			t.Errorf("%s: L0 %+v, want %g", label, s, w.l0)
		}
		if s := r.Stat(MetricMeanF1); s.N != w.nF1 || (w.nF1 > 0 && !near(s.Mean, w.f1)) {
			t.Errorf("%s: F1 %+v, want %g over %d", label, s, w.f1, w.nF1)
		}
		if s := r.Stat(MetricDeadFraction); !near(s.Mean, 0.25) {
			t.Errorf("%s: dead fraction %+v", label, s)
		}
		if s := r.Stat(MetricSplicedAccuracy); s.N != 0 {
			t.Errorf("%s: spliced accuracy reported by no cell but has %+v", label, s)
		}
	}
	check("topk", lb.Archs[0], want{2, 2, 0, 0.75, 0.9, 6, 1})
	check("standard", lb.Archs[1], want{4, 3, 1, 0.5, 0.6, 32.0 / 3, 3})
	check("gated", lb.Archs[2], want{1, 0, 1, 0, 0, 0, 0})

	var groups []string
	for _, r := range lb.Sparsity {
		g := r.Arch + " " + r.Group
		if r.Frontier {
			g += " *"
		}
		groups = append(groups, g)
	}
	wantGroups := []string{"topk k=4 *", "topk k=8", "standard l1=0.1 *", "standard l1=1 *", "gated l1=0.1"}
	if !reflect.DeepEqual(groups, wantGroups) {
		t.Errorf("sparsity rows %v, want %v", groups, wantGroups)
	}
	check("standard l1=0.1", lb.Sparsity[2], want{2, 2, 0, 0.6, 0.7, 15, 2})
	check("standard l1=1", lb.Sparsity[3], want{2, 1, 1, 0.3, 0.4, 2, 1})

	var hooks []string
	for _, r := range lb.Hooks {
		hooks = append(hooks, r.Arch+" "+r.Group)
	}
	if want := []string{"topk mlp", "topk residual", "standard mlp", "standard residual", "gated residual"}; !reflect.DeepEqual(hooks, want) {
		t.Errorf("hook rows %v, want %v", hooks, want)
	}
	check("standard residual", lb.Hooks[3], want{2, 2, 0, 0.4, 0.5, 6, 2})
}

func TestParetoFrontier(t *testing.T) {
	tests := []struct {
		pts  []Point
		want []int
	}{
		{nil, nil},
		{[]Point{{5, 0.5}}, []int{0}},
		{[]Point{{8, 0.7}, {4, 0.8}}, []int{1}},                        // 8 is dominated
		{[]Point{{10, 0.9}, {2, 0.3}, {5, 0.6}}, []int{1, 2, 0}},       // all on the frontier, by L0
		{[]Point{{2, 0.3}, {2, 0.5}, {3, 0.5}, {4, 0.6}}, []int{1, 3}}, // equal L0: higher coverage wins; equal coverage: lower L0
		{[]Point{{1, 0.5}, {1, 0.5}}, []int{0}},                        // identical: first kept
	}
	for _, tc := range tests {
		if got := ParetoFrontier(tc.pts); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParetoFrontier(%v) = %v, want %v", tc.pts, got, tc.want)
		}
	}
}

func TestHookKind(t *testing.T) {
	for hook, want := range map[string]string{
		"blocks.0.hook_resid_pre": "residual", "blocks.3.hook_resid_post": "residual", "blocks.1.hook_mlp_out": "mlp",
		"blocks.0.hook_attn_out": "attn", "blocks.2.hook_resid_mid": "hook_resid_mid", "hook_embed": "hook_embed",
	} {
		if got := HookKind(hook); got != want {
			t.Errorf("HookKind(%q) = %q, want %q", hook, got, want)
		}
	}
}

func TestLeaderboardOutputs(t *testing.T) {
	lb := Aggregate(knownResults())
	md := string(lb.Markdown())
	for _, want := range []string{
		"7 cells: 5 ok, 2 failed.",
		"| rank | arch | coverage | mean F1 | explained var. | L0 | dead frac. | spliced acc. | ok | failed |",
		"| 1 | topk | 0.750 | 0.900 (n=1) | 0.900 | 6.00 | 0.250 | – | 2 | 0 |",
		"| 2 | standard | 0.500 | 0.600 | 0.900 | 10.67 | 0.250 | – | 3 | 1 |",
		"| 3 | gated | – | – | – | – | – | – | 0 | 1 |",
		"| standard | l1=0.1 ★ | 0.600 | 0.700 | 0.900 | 15.00 | 0.250 | – | 2 | 0 |",
		"| `case=3 hook=blocks.0.hook_mlp_out arch=standard l1=1 seed=1 tokens=100 expansion=4` | train: loss is NaN &lt;script&gt;alert(1)&lt;/script&gt; |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	page, err := lb.HTML()
	if err != nil {
		t.Fatal(err)
	}
	html := string(page)
	for _, want := range []string{
		"<td>1</td><td class=\"name\">topk</td><td>0.750</td><td>0.900 (n=1)</td>",
		`<tr class="frontier"><td class="name">standard</td><td class="name">l1=1</td>`,
		"train: loss is NaN &lt;script&gt;alert(1)&lt;/script&gt;</td>",
		"<svg xmlns=\"http://www.w3.org/2000/svg\"",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	if strings.Contains(html, "<script>") || strings.Contains(html, "http://") && strings.Count(html, "http://") != 1 {
		t.Error("HTML must not contain scripts or external links (only the SVG namespace)")
	}

	// The SVG is well-formed XML with one marker per plotted row, filled on the frontier.
	svg := lb.FrontierSVG()
	dec := xml.NewDecoder(bytes.NewReader(svg))
	circles, filled := 0, 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("frontier.svg is not well-formed: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "circle" {
			for _, a := range se.Attr {
				if a.Name.Local == "r" && a.Value == "4.5" {
					circles++
				}
				if a.Name.Local == "fill" && a.Value != "white" {
					filled++
				}
			}
		}
	}
	// 4 plotted rows (gated has none) + 2 legend dots (legend dots are filled, r=5).
	if circles != 4 || filled != 3+2 {
		t.Errorf("svg: %d markers (%d filled incl. legend); want 4 markers, 3 on the frontier + 2 legend", circles, filled)
	}

	dir := t.TempDir()
	paths, err := WriteLeaderboard(filepath.Join(dir, "lb"), lb)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{LeaderboardMarkdown, LeaderboardHTML, LeaderboardJSON, FrontierPlot} {
		if _, err := os.Stat(filepath.Join(dir, "lb", name)); err != nil {
			t.Errorf("%s not written: %v", name, err)
		}
	}
	if len(paths) != 4 {
		t.Errorf("paths %v", paths)
	}
	empty := Aggregate(nil)
	if !strings.Contains(string(empty.FrontierSVG()), "no successful cell") {
		t.Error("empty plot lacks its message")
	}
	if _, err := empty.HTML(); err != nil {
		t.Error(err)
	}
}
