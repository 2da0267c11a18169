package pipeline

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/glassbox-interp/glassbox/features"
	"github.com/glassbox-interp/glassbox/features/rundir"
	"github.com/glassbox-interp/glassbox/report"
	"github.com/glassbox-interp/glassbox/sae"
	"github.com/glassbox-interp/glassbox/trained"
	"github.com/glassbox-interp/glassbox/workload"
)

// DemoHooks are the original notebook's three SAE sites on case 3, with the
// run directory names the demo gives them.
var DemoHooks = []struct{ Name, Hook string }{
	{"resid-pre", "blocks.0.hook_resid_pre"},
	{"mlp-out", "blocks.0.hook_mlp_out"},
	{"attn-out", "blocks.1.hook_attn_out"},
}

// DemoCase is the circuits-benchmark case the original notebook studies.
const DemoCase = 3

// DemoOptions configure Demo. The zero value is the notebook's setup.
type DemoOptions struct {
	// Out is the demo's directory (default runs/demo).
	Out string
	// TrainingTokens per SAE (default 1.5M, the notebook's).
	TrainingTokens int64
	// Fresh deletes earlier demo runs in Out instead of reusing them.
	Fresh bool
	// Stdout gets the results; Progress the progress lines (nil: none).
	Stdout, Progress io.Writer
	// Model is DemoCompiled ("", the compiled model only) or DemoSIIT (the
	// notebook's setting: the SIIT-trained case-3 model, set beside the
	// compiled model; see DemoTrained).
	Model string
	// SIIT chooses the SIIT model's training (DemoSIIT; zero: InterpBench's
	// default recipe for case 3).
	SIIT trained.Settings
	// Context stops a SIIT training (nil: never).
	Context context.Context
}

// DemoRun is one trained and labelled SAE of the demo.
type DemoRun struct {
	Name, Hook, Dir string
	Result          *rundir.Result
	// Reused is true when a finished run from an earlier demo was kept.
	Reused bool
	// ModelDir is the model folder the SAE read ("" for the compiled
	// model) and Kind its workload kind (compiled, siit).
	ModelDir, Kind string
}

// Demo runs the original notebook's loop on case 3: compile the program,
// train an SAE at each of the notebook's three hooks with the notebook's
// hyper-parameters, label every feature against the program's variables,
// print the notes with their scores, and write Out/report.html (an index of
// one static report per run). Finished runs in Out are reused and
// unfinished ones resumed, so an interrupted demo loses nothing.
func Demo(opt DemoOptions) ([]*DemoRun, error) {
	if opt.Model == DemoSIIT {
		return DemoTrained(opt)
	}
	if opt.Model != "" && opt.Model != DemoCompiled {
		return nil, fmt.Errorf("demo: model %q, want %q or %q", opt.Model, DemoCompiled, DemoSIIT)
	}
	start := time.Now()
	if opt.Out == "" {
		opt.Out = filepath.Join("runs", "demo")
	}
	if opt.TrainingTokens <= 0 {
		opt.TrainingTokens = sae.NotebookConfig().TrainingTokens
	}
	w := opt.Stdout
	if w == nil {
		w = io.Discard
	}
	if opt.Fresh {
		for _, h := range DemoHooks {
			if err := os.RemoveAll(filepath.Join(opt.Out, h.Name)); err != nil {
				return nil, err
			}
		}
	}
	if err := os.MkdirAll(opt.Out, 0o755); err != nil {
		return nil, err
	}

	cd, err := workload.CatalogueCase(DemoCase)
	if err != nil {
		return nil, err
	}
	comp := cd.Compiled
	fmt.Fprintf(w, "glassbox demo: the original notebook's loop on case %d, offline\n\n", DemoCase)
	fmt.Fprintf(w, "[1/4] case %d compiled with glassbox's tracr (%d dataset rows, gen_all_data order)\n", DemoCase, len(cd.Rows))
	fmt.Fprint(w, indent(comp.Summary(), "      "))
	for _, line := range comp.Alignment.Lines() {
		fmt.Fprintf(w, "      %s\n", line)
	}

	nb := sae.NotebookConfig()
	fmt.Fprintf(w, "\n[2/4] training %d SAEs with the notebook's config: expansion %d, l1 %g, lr %g, %d tokens, batch %d, ghost grads, geometric-median b_dec, seed %d\n",
		len(DemoHooks), nb.ExpansionFactor, nb.L1Coefficient, nb.LR, opt.TrainingTokens, nb.TrainBatchSizeTokens, nb.Seed)
	var out []*DemoRun
	for _, h := range DemoHooks {
		dr := &DemoRun{Name: h.Name, Hook: h.Hook, Dir: filepath.Join(opt.Out, h.Name)}
		if err := trainDemoRun(dr, opt, w); err != nil {
			return out, fmt.Errorf("demo %s: %w", h.Hook, err)
		}
		out = append(out, dr)
	}

	fmt.Fprintf(w, "\n[3/4] feature labels, scored against the program's variables (the notebook wrote these by hand)\n")
	for _, dr := range out {
		res, err := rundir.Load(dr.Dir, rundir.Options{Cases: workload.CatalogueCase,
			Label: features.LabelOptions{HookFraction: features.DefaultHookFraction}}) // as `glassbox features`
		if err != nil {
			return out, fmt.Errorf("demo %s: %w", dr.Hook, err)
		}
		dr.Result = res
		fmt.Fprintf(w, "\n  == %s (%s) ==\n", dr.Hook, dr.Dir)
		fmt.Fprintf(w, "  explained variance %s, L0 %.2f, dead %d/%d", sae.FormatExplainedVariance(float64(res.Recon.ExplainedVariance), 4), float64(res.Recon.L0), res.Recon.Dead, res.SAE.DSAE)
		if d := res.Downstream; d != nil && d.MSEScore != nil {
			fmt.Fprintf(w, ", spliced output MSE recovered %.3f", float64(*d.MSEScore))
		}
		fmt.Fprintln(w)
		var b strings.Builder
		if err := features.WriteTable(&b, res.Analysis.Labels, res.Analysis.Stats); err != nil {
			return out, err
		}
		fmt.Fprint(w, indent(b.String(), "  "))
	}

	fmt.Fprintf(w, "\n[4/4] reports\n")
	var runs []*report.Run
	var hrefs []string
	for _, dr := range out {
		path := filepath.Join(dr.Dir, "report.html")
		rr := report.FromResult(dr.Result)
		if err := report.WriteStatic(path, rr); err != nil {
			return out, err
		}
		runs, hrefs = append(runs, rr), append(hrefs, dr.Name+"/report.html")
	}
	// The top-level report shows the runs' key figures and labels on one
	// page, each linking to its full report.
	indexPath := filepath.Join(opt.Out, "report.html")
	if err := report.WriteSummary(indexPath, "glassbox demo: three SAEs on case 3", runs, hrefs); err != nil {
		return out, err
	}
	dirs := make([]string, len(out))
	for i, dr := range out {
		dirs[i] = dr.Dir
	}
	fmt.Fprintf(w, "  wrote %s (the three runs on one page, each linking to its full report)\n", indexPath)
	fmt.Fprintf(w, "  browse the features: glassbox serve %s   (then open http://127.0.0.1:8080)\n", strings.Join(dirs, " "))
	fmt.Fprintf(w, "\ndone in %.1fs\n", time.Since(start).Seconds())
	return out, nil
}

// trainDemoRun reuses a finished run, resumes an unfinished one, or starts
// a new one.
func trainDemoRun(dr *DemoRun, opt DemoOptions, w io.Writer) error {
	return trainDemoRunOn(dr, opt, w, "")
}

// trainDemoRunOn is trainDemoRun for the model with weights hash wantHash
// ("" accepts any): a run made with other weights (a retrained model) is
// started over.
func trainDemoRunOn(dr *DemoRun, opt DemoOptions, w io.Writer, wantHash string) error {
	if src, err := workload.ReadSource(dr.Dir); err == nil && wantHash != "" && src.ModelRef != nil && src.ModelRef.Hash != wantHash {
		fmt.Fprintf(w, "  %-24s → %s (made with an earlier model: retrained)\n", dr.Hook, dr.Dir)
		if err := os.RemoveAll(dr.Dir); err != nil {
			return err
		}
	}
	if _, err := os.Stat(filepath.Join(dr.Dir, sae.RunConfigFile)); err == nil {
		cfg, err := sae.ReadRunConfig(dr.Dir)
		if err != nil {
			return err
		}
		if cfg.TrainingTokens != opt.TrainingTokens || cfg.HookName != dr.Hook {
			return fmt.Errorf("%s holds a run of %s with %d training tokens, not %s with %d: run the demo with --fresh",
				dr.Dir, cfg.HookName, cfg.TrainingTokens, dr.Hook, opt.TrainingTokens)
		}
		if Finished(dr.Dir) {
			dr.Reused = true
			fmt.Fprintf(w, "  %-24s → %s (finished earlier: reused; --fresh retrains)\n", dr.Hook, dr.Dir)
			return nil
		}
		run, err := Resume(dr.Dir)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "  %-24s → %s (resumed at %d tokens)\n", dr.Hook, dr.Dir, run.Trainer.Tokens)
		return report1(run, opt, w)
	}
	cfg := sae.NotebookConfig()
	cfg.HookName = dr.Hook
	cfg.TrainingTokens = opt.TrainingTokens
	run, err := Start(dr.Dir, workload.Source{Case: DemoCase, Model: dr.ModelDir, Hook: dr.Hook}, cfg, StartOptions{})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "  %-24s → %s (d_in %d, d_sae %d)\n", dr.Hook, dr.Dir, run.Set.DIn, run.Trainer.Cfg.DSAE)
	return report1(run, opt, w)
}

func report1(run *Run, opt DemoOptions, w io.Writer) error {
	t0 := time.Now()
	m, err := run.Train(opt.Progress)
	if err != nil {
		return err
	}
	secs := time.Since(t0).Seconds()
	fmt.Fprintf(w, "  %-24s   trained in %.2fs: explained variance %s, L0 %.2f, dead %d/%d\n",
		"", secs, sae.FormatExplainedVariance(float64(m.ExplainedVariance), 4), float64(m.L0), m.Dead, run.Trainer.SAE.DSAE)
	return nil
}

func indent(s, pre string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = pre + l
	}
	return strings.Join(lines, "\n") + "\n"
}
