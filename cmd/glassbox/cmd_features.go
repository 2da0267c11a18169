package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/glassbox-interp/glassbox/features"
	"github.com/glassbox-interp/glassbox/features/rundir"
	"github.com/glassbox-interp/glassbox/workload"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// analysisFlags are the flags shared by features, serve, report and sae-eval.
type analysisFlags struct {
	caseID       int
	modelDir     string
	top          int
	threshold    float64
	relThreshold float64
	atol         float64
	flags        *pflag.FlagSet // the command's flags: was --threshold given?
}

func (f *analysisFlags) add(cmd *cobra.Command) {
	cmd.Flags().IntVar(&f.caseID, "case", 0, "circuits-benchmark case the SAE was trained on (default: read from the run, e.g. model_name \"case3\")")
	cmd.Flags().StringVar(&f.modelDir, "model", "", "model folder (glassbox, glassbox siit or InterpBench) to run instead of the compiled case model; a run that recorded its model (source.json model_ref) must get the same weights")
	cmd.Flags().IntVar(&f.top, "top", 20, "top-k examples per feature")
	f.flags = cmd.Flags()
	cmd.Flags().Float64Var(&f.threshold, "threshold", 0, "a feature fires where its activation is > this value (default: 1% of the largest norm of the hook's activation vectors)")
	cmd.Flags().Float64Var(&f.relThreshold, "rel-threshold", 0, "raise the firing threshold to this fraction of each feature's max activation")
	cmd.Flags().Float64Var(&f.atol, "atol", features.DefaultATol, "numerical programs: an output is correct when |output − program value| < atol (InterpBench's 0.05)")
}

// labelOptions is the firing rule: --threshold when given, otherwise
// features.DefaultHookFraction of the hook's largest feature activation.
func (f *analysisFlags) labelOptions() features.LabelOptions {
	o := features.LabelOptions{RelThreshold: f.relThreshold, HookFraction: features.DefaultHookFraction}
	if f.flags != nil && f.flags.Changed("threshold") {
		o.Threshold, o.HookFraction = float32(f.threshold), 0
	}
	return o
}

// check validates the flags.
func (f *analysisFlags) check() error {
	if !(f.atol > 0) || f.atol > 1e300 {
		return fmt.Errorf("--atol %v: expected a positive number", f.atol)
	}
	return nil
}

func (f *analysisFlags) options(effects bool) rundir.Options {
	return rundir.Options{
		Case:      f.caseID,
		Cases:     workload.CatalogueCase,
		ModelDir:  f.modelDir,
		Summary:   features.SummaryOptions{TopK: f.top},
		Label:     f.labelOptions(),
		NoEffects: !effects,
		ATol:      f.atol,
	}
}

var featuresFlags analysisFlags

var featuresCmd = &cobra.Command{
	Use:   "features RUN|SAE_DIR",
	Short: "Label an SAE's features against the program's ground truth",
	Long: `features loads an SAE (a run directory's final/ or newest checkpoint, or any
SAELens SAE directory), runs the model over its case's dataset, and labels
every live feature with the best ground-truth candidate: token, position,
token@position, or a RASP variable the alignment places at or before the
SAE's hook (F1 for indicators, Pearson |r| for numerical variables).

It prints one line per live feature (like the notebook's notes, "35: a@1 F1 1.00"),
the duplicate groups and the hook's coverage. A feature fires where its
activation exceeds 1% of the hook's activation scale, the largest norm of
the hook's activation vectors (so near-silent features are not live);
--threshold sets an absolute value instead. The header states the
threshold used. --json prints one object:
{"hook","d_sae","live","coverage","expected","recovered","features":[{"index","label",
"precision","recall","f1","density","max_activation","live","duplicates",...}]}.
--feature N prints one feature's top examples instead.`,
	Example: `  glassbox features runs/case3-resid-pre
  glassbox features runs/case3-resid-pre --json
  glassbox features runs/case3-resid-pre --feature 35 --top 10
  glassbox features path/to/sae_dir --case 3`,
	Args: cobra.ExactArgs(1),
	RunE: func(cmd *cobra.Command, args []string) error {
		jsonOut, _ := cmd.Flags().GetBool("json")
		feature, _ := cmd.Flags().GetInt("feature")
		if err := featuresFlags.check(); err != nil {
			return err
		}
		res, err := rundir.Load(args[0], featuresFlags.options(false))
		if err != nil {
			return err
		}
		w := cmd.OutOrStdout()
		a := res.Analysis
		if cmd.Flags().Changed("feature") {
			return printFeature(w, res, feature, jsonOut)
		}
		if jsonOut {
			b, err := json.MarshalIndent(a.Report(), "", "  ")
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(w, "%s\n", b)
			return err
		}
		return features.WriteTable(w, a.Labels, a.Stats)
	},
}

// printFeature prints one feature's label and top examples as token strips
// with the active position in brackets.
func printFeature(w io.Writer, res *rundir.Result, i int, jsonOut bool) error {
	a := res.Analysis
	if i < 0 || i >= len(a.Stats) {
		return fmt.Errorf("feature %d: the SAE has %d features (0..%d)", i, len(a.Stats), len(a.Stats)-1)
	}
	s, fl := a.Stats[i], a.Labels.Features[i]
	if jsonOut {
		b, err := json.MarshalIndent(struct {
			Stats features.FeatureStats `json:"stats"`
			Label features.FeatureLabel `json:"label"`
		}{s, fl}, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	fmt.Fprintf(w, "feature %d at %s: %s", i, a.Hook, fl.Verdict)
	if fl.Best != nil {
		fmt.Fprintf(w, ", label %s (%s %.3f, precision %.3f, recall %.3f)", fl.Best.Label, fl.Best.ScoreName(), fl.Best.Score, fl.Best.Precision, fl.Best.Recall)
	}
	fmt.Fprintf(w, "\ndensity %.4f, max activation %.4f", s.Density, s.Max)
	if fl.RunnerUp != nil {
		fmt.Fprintf(w, ", runner-up %s (%.3f)", fl.RunnerUp.Label, fl.RunnerUp.Score)
	}
	if len(fl.Duplicates) > 0 {
		fmt.Fprintf(w, ", duplicates %v", fl.Duplicates)
	}
	fmt.Fprintln(w)
	if !s.Live || len(s.Top) == 0 || s.Top[0].Value <= 0 {
		fmt.Fprintf(w, "feature %d never activates on the dataset (dead): no examples to show\n", i)
		return nil
	}
	fmt.Fprintf(w, "%10s  %4s  %3s  %s\n", "activation", "row", "pos", "tokens")
	for _, e := range s.Top {
		if e.Value <= 0 {
			break // only positions where the feature fires are examples
		}
		toks := res.GT.Tokens[e.Row]
		parts := make([]string, len(toks))
		for p, t := range toks {
			if p == e.Position {
				t = "[" + t + "]"
			}
			parts[p] = t
		}
		fmt.Fprintf(w, "%10.4f  %4d  %3d  %s\n", e.Value, e.Row, e.Position, strings.Join(parts, " "))
	}
	return nil
}

func init() {
	featuresFlags.add(featuresCmd)
	featuresCmd.Flags().Bool("json", false, "print JSON instead of the table")
	featuresCmd.Flags().Int("feature", 0, "print this feature's top examples")
	rootCmd.AddCommand(featuresCmd)
}
