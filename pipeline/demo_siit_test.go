package pipeline

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glassbox-interp/glassbox/trained"
	"github.com/glassbox-interp/glassbox/workload"
)

// TestDemoTrained: the SIIT demo trains a (tiny) SIIT model and the
// notebook's three SAEs on it with d_in 12 / d_sae 48, the same on the
// compiled model, and writes the side-by-side comparison; a rerun reuses
// everything; another SIIT model retrains the SAEs that read it.
func TestDemoTrained(t *testing.T) {
	out := filepath.Join(t.TempDir(), "demo")
	var w bytes.Buffer
	opt := DemoOptions{Out: out, TrainingTokens: 16000, Stdout: &w, Model: DemoSIIT, SIIT: trained.Settings{Epochs: 1, Samples: 60}}
	runs, err := Demo(opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 6 {
		t.Fatalf("%d runs, want 3 on each model", len(runs))
	}
	for i, dr := range runs {
		din, dsae, kind := 12, 48, workload.KindSIIT
		if i >= 3 {
			din, dsae, kind = 13, 52, workload.KindCompiled
		}
		if dr.Kind != kind || dr.Result.SAE.DIn != din || dr.Result.SAE.DSAE != dsae || dr.Result.Model.Config().DModel != din {
			t.Errorf("run %s (%s): d_in %d d_sae %d, want %s %d/%d", dr.Dir, dr.Kind, dr.Result.SAE.DIn, dr.Result.SAE.DSAE, kind, din, dsae)
		}
	}
	text := w.String()
	for _, want := range []string{"frac_prevs_1", "HL blocks.1.attn.hook_result[0]", "LL blocks.1.attn.hook_result[2]",
		"on the SIIT model", "| blocks.1.hook_attn_out | siit | 12/48 |", "| blocks.1.hook_attn_out | compiled | 13/52 |", "comparison.md"} {
		if !strings.Contains(text, want) {
			t.Errorf("demo output lacks %q:\n%s", want, text)
		}
	}
	b, err := os.ReadFile(filepath.Join(out, DemoComparisonFile))
	if err != nil || !bytes.Contains(b, []byte("| blocks.0.hook_resid_pre | siit |")) {
		t.Errorf("comparison.md: %v\n%s", err, b)
	}
	for _, f := range []string{"report.html", "siit/resid-pre/report.html", "attn-out/report.html"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	// report.html is the one-page summary of all six runs (key figures and
	// labels, each linking to its full report), not a page of links
	// (issue 15, item 16).
	page, err := os.ReadFile(filepath.Join(out, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`href="siit/resid-pre/report.html"`, `href="attn-out/report.html"`, "frac_prevs_1", "blocks.0.hook_mlp_out"} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("report.html lacks %q", want)
		}
	}

	w.Reset()
	again, err := Demo(opt)
	if err != nil {
		t.Fatal(err)
	}
	for _, dr := range again {
		if !dr.Reused {
			t.Errorf("rerun retrained %s", dr.Dir)
		}
	}
	if !strings.Contains(w.String(), "reused:") && !strings.Contains(w.String(), "reused,") && !strings.Contains(w.String(), "      reused") {
		t.Errorf("rerun does not say the SIIT model was reused:\n%s", w.String())
	}

	// Another SIIT model (another seed): its SAEs are retrained, the
	// compiled model's are kept.
	opt.SIIT.Seed = 3
	w.Reset()
	re, err := Demo(opt)
	if err != nil {
		t.Fatal(err)
	}
	for i, dr := range re {
		if dr.Reused != (i >= 3) {
			t.Errorf("after retraining the model, %s reused %v", dr.Dir, dr.Reused)
		}
	}
}
