package pipeline

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/glassbox-interp/glassbox/cases"
	"github.com/glassbox-interp/glassbox/features"
	"github.com/glassbox-interp/glassbox/features/rundir"
	"github.com/glassbox-interp/glassbox/formats/atomicfile"
	"github.com/glassbox-interp/glassbox/report"
	"github.com/glassbox-interp/glassbox/sae"
	"github.com/glassbox-interp/glassbox/siit"
	"github.com/glassbox-interp/glassbox/trained"
	"github.com/glassbox-interp/glassbox/workload"
)

// Demo models (DemoOptions.Model).
const (
	DemoCompiled = "compiled"
	DemoSIIT     = "siit"
)

// Folders of the SIIT demo inside DemoOptions.Out: the trained model, its
// three SAE runs, and the side-by-side comparison. The compiled model's
// runs stay where the compiled demo puts them (Out/resid-pre, …), so
// either demo reuses the other's.
const (
	DemoModelDir       = "siit-model"
	DemoSIITRuns       = "siit"
	DemoComparisonFile = "comparison.md"
)

// DemoTrained is the notebook's own setting: it trains (or reuses,
// trained.Ensure) the SIIT case-3 model in Out/siit-model, trains the
// notebook's three SAEs on it (d_in 12, d_sae 48) in Out/siit/NAME and on
// the compiled model in Out/NAME, labels every feature, prints the trained
// model's notes, and writes Out/comparison.md (the two models side by side:
// features found, coverage, duplicates, dead fraction, explained variance,
// spliced accuracy) and Out/report.html.
func DemoTrained(opt DemoOptions) ([]*DemoRun, error) {
	start := time.Now()
	if opt.Out == "" {
		opt.Out = filepath.Join("runs", "demo")
	}
	if opt.TrainingTokens <= 0 {
		opt.TrainingTokens = sae.NotebookConfig().TrainingTokens
	}
	ctx := opt.Context
	if ctx == nil {
		ctx = context.Background()
	}
	w := opt.Stdout
	if w == nil {
		w = io.Discard
	}
	if opt.Fresh {
		for _, h := range DemoHooks {
			for _, d := range []string{filepath.Join(opt.Out, h.Name), filepath.Join(opt.Out, DemoSIITRuns, h.Name)} {
				if err := os.RemoveAll(d); err != nil {
					return nil, err
				}
			}
		}
	}
	if err := os.MkdirAll(opt.Out, 0o755); err != nil {
		return nil, err
	}
	c, err := cases.Get(DemoCase)
	if err != nil {
		return nil, err
	}
	cd, err := workload.CatalogueCase(DemoCase)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "glassbox demo: the original notebook's loop on case %d's SIIT-trained model, beside the compiled one, offline\n\n", DemoCase)
	fmt.Fprintf(w, "[1/5] case %d compiled with glassbox's tracr (%d dataset rows): the high-level model\n", DemoCase, len(cd.Rows))
	fmt.Fprint(w, indent(cd.Compiled.Summary(), "      "))

	mdir := filepath.Join(opt.Out, DemoModelDir)
	settings := opt.SIIT
	if settings.Progress == nil && opt.Progress != nil {
		p := opt.Progress
		settings.Progress = func(st siit.EpochStats) {
			fmt.Fprintf(p, "\r  SIIT epoch %d: val acc %.2f%% IIA %.2f%% strict %.2f%%   ", st.Epoch, 100*st.Val.Accuracy, 100*st.Val.IIA, 100*st.Val.Strict)
		}
	}
	fmt.Fprintf(w, "\n[2/5] the SIIT-trained case-%d model (InterpBench's recipe and LL shape; cached by content in %s)\n", DemoCase, mdir)
	m, err := trained.Ensure(ctx, c, mdir, settings)
	if opt.Progress != nil && settings.Progress != nil && opt.SIIT.Progress == nil {
		fmt.Fprintln(opt.Progress)
	}
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	how := fmt.Sprintf("trained in %.1fs", m.Seconds)
	if m.Reused {
		how = "reused"
	}
	tw, err := workload.Open(cd, mdir)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	llc := tw.Model.Config()
	fmt.Fprintf(w, "      %s: d_model %d, %d layers × %d heads (d_head %d), d_mlp %d; val accuracy %.2f%%, IIA %.2f%%, strict accuracy %.2f%%\n",
		how, llc.DModel, llc.NLayers, llc.NHeads, llc.DHead, llc.DMLP, 100*m.Val.Accuracy, 100*m.Val.IIA, 100*m.Val.Strict)
	for _, e := range tw.Corr.Entries {
		ll := make([]string, len(e.LL))
		for i, n := range e.LL {
			ll[i] = n.String()
		}
		fmt.Fprintf(w, "      %-14s HL %-30s → LL %s\n", e.HL.Label, e.HL.Node(), strings.Join(ll, ", "))
	}
	hash := tw.Ref().Hash

	nb := sae.NotebookConfig()
	fmt.Fprintf(w, "\n[3/5] training %d SAEs on each model with the notebook's config: expansion %d, l1 %g, lr %g, %d tokens, batch %d, ghost grads, geometric-median b_dec, seed %d\n",
		len(DemoHooks), nb.ExpansionFactor, nb.L1Coefficient, nb.LR, opt.TrainingTokens, nb.TrainBatchSizeTokens, nb.Seed)
	var siitRuns, compRuns []*DemoRun
	for _, h := range DemoHooks {
		dr := &DemoRun{Name: h.Name, Hook: h.Hook, Dir: filepath.Join(opt.Out, DemoSIITRuns, h.Name), ModelDir: mdir, Kind: workload.KindSIIT}
		if err := trainDemoRunOn(dr, opt, w, hash); err != nil {
			return nil, fmt.Errorf("demo siit %s: %w", h.Hook, err)
		}
		siitRuns = append(siitRuns, dr)
	}
	for _, h := range DemoHooks {
		dr := &DemoRun{Name: h.Name, Hook: h.Hook, Dir: filepath.Join(opt.Out, h.Name), Kind: workload.KindCompiled}
		if err := trainDemoRun(dr, opt, w); err != nil {
			return nil, fmt.Errorf("demo compiled %s: %w", h.Hook, err)
		}
		compRuns = append(compRuns, dr)
	}
	all := append(append([]*DemoRun(nil), siitRuns...), compRuns...)
	for _, dr := range all {
		res, err := rundir.Load(dr.Dir, rundir.Options{Cases: workload.CatalogueCase,
			Label: features.LabelOptions{HookFraction: features.DefaultHookFraction}}) // as `glassbox features`
		if err != nil {
			return all, fmt.Errorf("demo %s: %w", dr.Dir, err)
		}
		dr.Result = res
	}

	fmt.Fprintf(w, "\n[4/5] feature labels on the trained model, scored against the program's variables (the notebook wrote these by hand)\n")
	for _, dr := range siitRuns {
		res := dr.Result
		fmt.Fprintf(w, "\n  == %s on the SIIT model (%s): d_in %d, d_sae %d ==\n", dr.Hook, dr.Dir, res.SAE.DIn, res.SAE.DSAE)
		fmt.Fprintf(w, "  explained variance %.4f, L0 %.2f, dead %d/%d", float64(res.Recon.ExplainedVariance), float64(res.Recon.L0), res.Recon.Dead, res.SAE.DSAE)
		if d := res.Downstream; d != nil {
			fmt.Fprintf(w, ", spliced accuracy %.3f (clean %.3f)", float64(d.Spliced.Accuracy), float64(d.Clean.Accuracy))
		}
		fmt.Fprintln(w)
		var b strings.Builder
		if err := features.WriteTable(&b, res.Analysis.Labels, res.Analysis.Stats); err != nil {
			return all, err
		}
		fmt.Fprint(w, indent(b.String(), "  "))
	}

	fmt.Fprintf(w, "\n[5/5] the trained model beside the compiled one, and reports\n\n")
	table := ComparisonTable(compRuns, siitRuns)
	fmt.Fprint(w, indent(table, "  "))
	cmpPath := filepath.Join(opt.Out, DemoComparisonFile)
	doc := fmt.Sprintf("# glassbox demo: case %d, SIIT-trained vs compiled\n\nSIIT model: %s (%s; val accuracy %.4f, IIA %.4f, strict accuracy %.4f; sha256 %s).\n"+
		"SAEs: the notebook's config, %d training tokens each.\n\n%s\n%s\n",
		DemoCase, mdir, how, m.Val.Accuracy, m.Val.IIA, m.Val.Strict, hash, opt.TrainingTokens, table, comparisonNotes)
	if err := atomicfile.WriteFile(cmpPath, []byte(doc), 0o644); err != nil {
		return all, err
	}
	// The top-level report shows every run's key figures and labels on one
	// page (trained and compiled), each linking to its full report.
	var runs []*report.Run
	var hrefs []string
	for _, dr := range all {
		path := filepath.Join(dr.Dir, "report.html")
		rr := report.FromResult(dr.Result)
		if err := report.WriteStatic(path, rr); err != nil {
			return all, err
		}
		rel, err := filepath.Rel(opt.Out, path)
		if err != nil {
			return all, err
		}
		summary := *rr
		summary.Name = dr.Kind + " model · " + dr.Name // the page holds both models' runs
		runs, hrefs = append(runs, &summary), append(hrefs, filepath.ToSlash(rel))
	}
	indexPath := filepath.Join(opt.Out, "report.html")
	if err := report.WriteSummary(indexPath, "glassbox demo: case 3, SIIT-trained beside compiled", runs, hrefs); err != nil {
		return all, err
	}
	dirs := make([]string, len(all))
	for i, dr := range all {
		dirs[i] = dr.Dir
	}
	fmt.Fprintf(w, "\n  wrote %s and %s (every run's key figures and labels on one page, each linking to its full report)\n", cmpPath, indexPath)
	fmt.Fprintf(w, "  browse the features: glassbox serve %s   (then open http://127.0.0.1:8080)\n", strings.Join(dirs, " "))
	fmt.Fprintf(w, "\ndone in %.1fs\n", time.Since(start).Seconds())
	return all, nil
}

// comparisonNotes explains ComparisonTable's rows.
const comparisonNotes = "Rows: coverage = expected labels some feature matches cleanly (F1 ≥ the clean score) / expected labels at the hook; " +
	"features found = live features with a clean label; duplicates = groups of features with the same explanation (features in them); " +
	"dead = features never active on the dataset; spliced accuracy = the model's accuracy with the SAE's reconstruction spliced in at the hook (clean accuracy in brackets)."

// ComparisonTable sets the demo's SAEs on two models side by side: one
// markdown table per metric row and hook, compiled then trained.
func ComparisonTable(compiled, trainedRuns []*DemoRun) string {
	var b strings.Builder
	b.WriteString("| hook | model | d_in/d_sae | coverage | features found | duplicates | dead | explained variance | L0 | spliced accuracy |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|\n")
	byHook := map[string][2]*DemoRun{}
	var order []string
	add := func(runs []*DemoRun, k int) {
		for _, dr := range runs {
			p, ok := byHook[dr.Hook]
			if !ok {
				order = append(order, dr.Hook)
			}
			p[k] = dr
			byHook[dr.Hook] = p
		}
	}
	add(compiled, 0)
	add(trainedRuns, 1)
	for _, h := range order {
		for k, name := range []string{workload.KindCompiled, workload.KindSIIT} {
			dr := byHook[h][k]
			if dr == nil || dr.Result == nil {
				continue
			}
			fmt.Fprintf(&b, "| %s | %s | %s |\n", h, name, strings.Join(comparisonRow(dr.Result), " | "))
		}
	}
	return b.String()
}

func comparisonRow(res *rundir.Result) []string {
	dsae := res.SAE.DSAE
	cov, found, dups := "–", 0, "0"
	if l := res.Analysis.Labels; l != nil {
		if !math.IsNaN(l.Coverage) {
			cov = fmt.Sprintf("%d/%d = %.2f", len(l.Recovered), len(l.Expected), l.Coverage)
		}
		for _, f := range l.Features {
			if f.Verdict == features.VerdictClean {
				found++
			}
		}
		groups := l.DuplicateGroups()
		n := 0
		for _, g := range groups {
			n += len(g)
		}
		dups = fmt.Sprintf("%d (%d)", len(groups), n)
	}
	spliced := "–"
	if d := res.Downstream; d != nil {
		spliced = fmt.Sprintf("%.3f (%.3f)", float64(d.Spliced.Accuracy), float64(d.Clean.Accuracy))
	}
	return []string{
		fmt.Sprintf("%d/%d", res.SAE.DIn, dsae),
		cov,
		fmt.Sprint(found),
		dups,
		fmt.Sprintf("%d/%d = %.2f", res.Recon.Dead, dsae, float64(res.Recon.Dead)/float64(dsae)),
		fmt.Sprintf("%.4f", float64(res.Recon.ExplainedVariance)),
		fmt.Sprintf("%.2f", float64(res.Recon.L0)),
		spliced,
	}
}
