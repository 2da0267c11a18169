package report

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glassbox-interp/glassbox/features/rundir"
	"github.com/glassbox-interp/glassbox/workload"
)

func contains(t *testing.T, what, s string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(s, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
}

// TestFeatureDetailAndCollapse: the feature page shows the analysis'
// detail, the ground-truth value per example, and collapses identical rows.
func TestFeatureDetailAndCollapse(t *testing.T) {
	r := testRun(t)
	r.Inspect = func(f int) (*rundir.Detail, error) {
		return &rundir.Detail{Feature: f, Basis: []rundir.Component{{Label: "tokens:x", Value: 0.7}, {Label: "indices:0", Value: -0.7}},
			Raised: []rundir.Logit{{Output: "1", Delta: 2}}, Lowered: []rundir.Logit{{Output: "0", Delta: -1}}, LogitNote: "direct path",
			Neighbours: []rundir.Neighbour{{Feature: 1, Cosine: 0.5}}, Predictors: []rundir.Predictor{{Label: "x@1", ScoreName: "F1", Score: 1}},
			GTLabel: "x@1", ExampleValues: map[[2]int]string{{0, 1}: "✓ x@1"}, Scatter: [][2]float64{{0, 0}, {1, 2.5}}}, nil
	}
	var b bytes.Buffer
	if err := RenderFeature(&b, r, 0); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	contains(t, "feature page", s, "tokens:x", "residual basis", "direct path", `href="1"`, "F1 1", "✓ x@1", "Activation against x@1", "<circle", `class="hbar neg"`)
	r.Inspect = func(int) (*rundir.Detail, error) { return nil, errors.New("no model") }
	b.Reset()
	if err := RenderFeature(&b, r, 0); err != nil {
		t.Fatal(err)
	}
	contains(t, "feature page without detail", b.String(), "Detail not available: no model")

	tok := func(s ...string) []TokenView {
		var out []TokenView
		for _, x := range s {
			out = append(out, TokenView{Text: x})
		}
		return out
	}
	ex := []ExampleView{
		{Value: 1, Position: 1, Tokens: tok("BOS", "x", "a")},
		{Value: 1, Position: 1, Tokens: tok("BOS", "x", "a")},
		{Value: 1, Position: 1, Tokens: tok("BOS", "x", "b")},
		{Value: 1, Position: 1, Tokens: tok("BOS", "x", "a")},
	}
	c := collapse(ex, false)
	if len(c) != 2 || c[0].Count != 3 || c[1].Count != 1 {
		t.Errorf("collapse: %+v", c)
	}
	// Causal: the tokens after the active position do not matter.
	if c := collapse(ex, true); len(c) != 1 || c[0].Count != 4 {
		t.Errorf("causal collapse: %+v", c)
	}
}

func TestRunPageDensityAndTryForm(t *testing.T) {
	r := testRun(t)
	r.Probe = func(rundir.ProbeRequest) (*rundir.Probe, error) { return nil, nil }
	var b bytes.Buffer
	if err := RenderRun(&b, r, ""); err != nil {
		t.Fatal(err)
	}
	contains(t, "run page", b.String(), "feature density histogram", "2 live, 1 dead", `action="try"`, `id="curves"`, "metrics-stamp")
	b.Reset()
	if err := RenderStatic(&b, r); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "metrics-stamp") || strings.Contains(b.String(), `action="try"`) {
		t.Error("the static report polls or offers the form (it has no server)")
	}
}

func TestRenderTry(t *testing.T) {
	r := testRun(t)
	var got rundir.ProbeRequest
	r.Probe = func(req rundir.ProbeRequest) (*rundir.Probe, error) {
		got = req
		if req.Input == "bad" {
			return nil, errors.New(`token 1 "bad" is not in the vocabulary`)
		}
		return &rundir.Probe{Request: req, Changed: 1, Positions: []rundir.ProbePosition{
			{Token: "BOS", Chosen: 0, Clean: "0", Spliced: "0", Edited: "0"},
			{Token: "x", Top: []rundir.FeatureAct{{Feature: 0, Label: "x@1", Act: 2.5}}, Chosen: 2.5, Clean: "1", Spliced: "1", Edited: "0.5"}}}, nil
	}
	var b bytes.Buffer
	perr, err := RenderTry(&b, r, rundir.ProbeRequest{Input: "x", Feature: 0, Mode: "zero"})
	if err != nil || perr != nil {
		t.Fatal(err, perr)
	}
	contains(t, "try page", b.String(), `value="x"`, "x@1", `class="changed"`, "feature 0 zeroed", "1 position(s) change")
	if got.Feature != 0 || got.Mode != "zero" {
		t.Errorf("probe got %+v", got)
	}
	b.Reset()
	perr, err = RenderTry(&b, r, rundir.ProbeRequest{Input: "bad", Feature: -1})
	if err != nil || perr == nil {
		t.Fatalf("bad input: %v %v", err, perr)
	}
	contains(t, "try page with bad input", b.String(), "not in the vocabulary")
	b.Reset()
	if _, err := RenderTry(&b, r, rundir.ProbeRequest{Feature: -1}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), `id="probe"`) {
		t.Error("empty input ran the probe")
	}
}

func TestRenderCompare(t *testing.T) {
	runs := []CompareRun{
		{Name: "a", Curves: []workload.Curve{{Name: "losses/mse_loss", XName: "training tokens", X: []float64{1, 2, 3}, Y: []float64{1, 0.1, 0.01}}, {Name: "details/current_learning_rate", X: []float64{1, 2}, Y: []float64{3e-4, 3e-4}}}},
		{Name: "b", Curves: []workload.Curve{{Name: "losses/mse_loss", X: []float64{1, 2}, Y: []float64{2, 0.5}}, {Name: "details/current_learning_rate", X: []float64{1, 2}, Y: []float64{3e-4, 3e-4}}}},
	}
	var b bytes.Buffer
	if err := RenderCompare(&b, runs, true, "run=a&run=b"); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	contains(t, "compare page", s, "losses/mse_loss", "(log y)", "Constant during training", "0.0003 (a, b)", "linear scale")
	if strings.Count(s, "<polyline") != 2 {
		t.Errorf("%d lines, want 2 (one per run for the one varying metric)", strings.Count(s, "<polyline"))
	}
}

func TestSearchAndSummary(t *testing.T) {
	r := testRun(t)
	hits := Search(r, "X@", "/run/test-run/")
	if len(hits) != 1 || hits[0].Feature != 0 || hits[0].Href != "/run/test-run/feature/0" {
		t.Errorf("search hits %+v", hits)
	}
	var b bytes.Buffer
	if err := RenderSearch(&b, "x@1", hits, []string{"other"}); err != nil {
		t.Fatal(err)
	}
	contains(t, "search page", b.String(), "/run/test-run/feature/0", "Not analysed yet (not searched): other")

	// glassbox demo's runs/demo/report.html: key figures and labels of each
	// run on one page, each linking to its full report (issue 15 item 16).
	path := filepath.Join(t.TempDir(), "report.html")
	r2 := testRun(t)
	r2.Name = "second"
	if err := WriteSummary(path, "demo", []*Run{r, r2}, []string{"test-run/report.html", "second/report.html"}); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	contains(t, "summary", string(got), `href="test-run/report.html"`, `href="second/report.html"`, "explained variance", "coverage", "clean features", "<svg")
}

func TestRenderPendingAndCurves(t *testing.T) {
	var b bytes.Buffer
	curves := []workload.Curve{{Name: "losses/mse_loss", X: []float64{1, 2}, Y: []float64{1, math.NaN()}}}
	if err := RenderPending(&b, "run", "no final SAE yet", curves); err != nil {
		t.Fatal(err)
	}
	contains(t, "pending page", b.String(), "no final SAE yet", "losses/mse_loss", "metrics-stamp", `data-reload="1"`)
	b.Reset()
	if err := RenderCurves(&b, curves); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "<html") || !strings.Contains(b.String(), "<svg") {
		t.Errorf("curves fragment: %s", b.String())
	}
}

// TestConstantCurvesFolded: on a run page a constant metric (learning rate)
// is one line of text, not a flat chart.
func TestConstantCurvesFolded(t *testing.T) {
	v := curveViews([]workload.Curve{
		{Name: "details/current_learning_rate", X: []float64{1, 2, 3}, Y: []float64{3e-4, 3e-4, 3e-4}},
		{Name: "losses/mse_loss", X: []float64{1, 2, 3}, Y: []float64{1, 0.5, 0.25}},
	})
	if len(v.Charts) != 1 || v.Charts[0].Name != "losses/mse_loss" || len(v.Constant) != 1 || v.Constant[0][1] != "0.0003" {
		t.Errorf("curves %+v", v)
	}
}
