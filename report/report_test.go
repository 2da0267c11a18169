package report

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glassbox-interp/glassbox/features"
	"github.com/glassbox-interp/glassbox/tensor"
	"github.com/glassbox-interp/glassbox/workload"
)

// testRun builds a small run: 3 tokens × 3 positions over 9 rows; feature 0
// fires on "x" at position 1, feature 1 on "y" anywhere, feature 2 is dead.
func testRun(t testing.TB) *Run {
	t.Helper()
	toks := []string{"x", "y", "z"}
	var rows [][]string
	for _, a := range toks {
		for _, b := range toks {
			rows = append(rows, []string{"BOS", a, b})
		}
	}
	acts := tensor.New(len(rows), 3, 3)
	for r, row := range rows {
		for p, tok := range row {
			if tok == "x" && p == 1 {
				acts.Set(2.5, r, p, 0)
			}
			if tok == "y" {
				acts.Set(1+float32(p)*0.5, r, p, 1)
			}
		}
	}
	gt := &features.GroundTruth{Tokens: rows, HookOrder: []string{"hook_embed", "hook_pos_embed", "blocks.0.hook_resid_pre"}}
	a, err := features.Analyze(acts, gt, "blocks.0.hook_resid_pre", nil, features.SummaryOptions{TopK: 5}, features.LabelOptions{})
	if err != nil {
		t.Fatal(err)
	}
	curves, err := workload.ReadMetrics("testdata/metrics.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	return &Run{Name: "test-run", Hook: "blocks.0.hook_resid_pre", Source: "hand-made", DIn: 4,
		Curves: curves, Analysis: a, Tokens: rows, Acts: acts,
		Recon:   &features.ReconMetrics{N: 27, ExplainedVariance: 0.99},
		Effects: [][]features.Effect{{{Output: "out", Delta: -0.25}}, nil, nil}, EffectNote: "test effect"}
}

func TestRenderRun(t *testing.T) {
	r := testRun(t)
	for _, sortKey := range []string{"", "-density", "label", "bogus"} {
		var b bytes.Buffer
		if err := RenderRun(&b, r, sortKey); err != nil {
			t.Fatal(err)
		}
		s := b.String()
		for _, want := range []string{"<svg", "losses/mse_loss", `href="feature/0"`, ">x@1</a>", ">y</a>", "coverage", "explained variance"} {
			if !strings.Contains(s, want) {
				t.Errorf("sort %q: run page lacks %q", sortKey, want)
			}
		}
		if strings.Contains(s, `href="feature/2"`) {
			t.Error("dead feature 2 is listed")
		}
		if strings.Contains(s, "http://") || strings.Contains(s, "https://") {
			t.Error("page references an external URL")
		}
	}
	// sort order: -density puts y (density 6/27... ) before x@1
	var b bytes.Buffer
	if err := RenderRun(&b, r, "-density"); err != nil {
		t.Fatal(err)
	}
	if strings.Index(b.String(), `>y</a>`) > strings.Index(b.String(), `>x@1</a>`) {
		t.Error("-density did not sort the denser feature first")
	}
}

func TestRenderFeature(t *testing.T) {
	r := testRun(t)
	var b bytes.Buffer
	if err := RenderFeature(&b, r, 0); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	// feature 0 fires on rows 0..2 (x at position 1): 3 examples, active position highlighted.
	if n := strings.Count(s, `<tr class="example">`); n != 3 {
		t.Errorf("%d top examples, want 3", n)
	}
	if n := strings.Count(s, `class="tok active"`); n < 3 {
		t.Errorf("%d active tokens, want >= 3", n)
	}
	for _, want := range []string{"Feature 0: x@1", "F1 1", `class="chart hist"`, "test effect", "-0.25"} {
		if !strings.Contains(s, want) {
			t.Errorf("feature page lacks %q", want)
		}
	}
	for _, i := range []int{-1, 3, 99} {
		err := RenderFeature(&b, r, i)
		if !errors.Is(err, ErrNoFeature) {
			t.Errorf("feature %d: error %v, want ErrNoFeature", i, err)
		}
	}
	if err := RenderFeature(&b, &Run{Name: "empty"}, 0); err == nil {
		t.Error("run without analysis: expected an error")
	}
}

func TestNumericalLabelShowsR(t *testing.T) {
	r := testRun(t)
	rv := -0.75
	r.Analysis.Labels.Features[1].Best = &features.Match{Label: "v", Score: 0.75, R: &rv, Numerical: true}
	var b bytes.Buffer
	if err := RenderFeature(&b, r, 1); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "r -0.75") || strings.Contains(b.String(), "0x") {
		t.Errorf("numerical label not rendered as r -0.75")
	}
}

func TestWriteStatic(t *testing.T) {
	r := testRun(t)
	path := filepath.Join(t.TempDir(), "report.html")
	if err := WriteStatic(path, r); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{`id="feature-0"`, `id="feature-1"`, `href="#feature-1"`, "<svg"} {
		if !strings.Contains(s, want) {
			t.Errorf("static report lacks %q", want)
		}
	}
	if strings.Contains(s, `id="feature-2"`) {
		t.Error("dead feature has a section")
	}
	// No temporary files are left behind.
	ents, _ := os.ReadDir(filepath.Dir(path))
	if len(ents) != 1 {
		t.Errorf("%d files in the directory, want 1", len(ents))
	}
	if err := WriteStatic(filepath.Join(t.TempDir(), "no", "dir", "r.html"), r); err == nil {
		t.Error("write into a missing directory: expected an error")
	}
}
