package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"

	"github.com/glassbox-interp/glassbox/features"

	"github.com/glassbox-interp/glassbox/features/rundir"
	"github.com/glassbox-interp/glassbox/sae"
	"github.com/spf13/cobra"
)

var evalSAEFlags analysisFlags

var evalSAECmd = &cobra.Command{
	Use:   "sae-eval RUN|SAE_DIR",
	Short: "Evaluate an SAE: reconstruction metrics and downstream metrics with the reconstruction spliced in",
	Long: `sae-eval runs the model over the case's dataset and reports, over all
(row, position) activations at the SAE's hook: explained variance
(1 − Σ‖x−x̂‖²/Σ‖x−mean(x)‖²; "n/a (inputs do not vary)" when the activations
are constant), MSE (mean over elements), L0, L1, dead and dense (density > 0.1)
feature counts, shrinkage ‖x̂‖/‖x‖ and cosine(x, x̂); then the model's outputs
with the hook's activation left alone (clean), replaced by the reconstruction
(spliced) and by zeros (zero-ablated): accuracy against the program's outputs,
and for categorical programs CE and KL with SAELens' scores
ce_loss_score = (CE_zero − CE_spliced)/(CE_zero − CE_clean) and
kl_div_score = (KL_zero − KL_spliced)/KL_zero; for numerical programs MSE with
the analogous mse_score and mse_vs_clean_score. A numerical output is
correct when |output − program value| < --atol (InterpBench's 0.05 by
default; printed beside the accuracies). "spliced keeps" is the spliced
accuracy as a fraction of the clean accuracy.`,
	Example: `  glassbox sae-eval runs/case3-resid-pre
  glassbox sae-eval runs/case3-resid-pre --json`,
	Args: cobra.ExactArgs(1),
	RunE: func(cmd *cobra.Command, args []string) error {
		jsonOut, _ := cmd.Flags().GetBool("json")
		if err := evalSAEFlags.check(); err != nil {
			return err
		}
		return runSAEEval(cmd.OutOrStdout(), args[0], evalSAEFlags.options(false), jsonOut)
	},
}

// runSAEEval prints the reconstruction and spliced downstream metrics of
// the SAE at path (a run or SAE directory).
func runSAEEval(w io.Writer, path string, opts rundir.Options, jsonOut bool) error {
	res, err := rundir.Load(path, opts)
	if err != nil {
		return err
	}
	if jsonOut {
		b, err := json.MarshalIndent(map[string]any{"hook": res.Hook, "reconstruction": res.Recon, "downstream": res.Downstream}, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	r, d := res.Recon, res.Downstream
	fmt.Fprintf(w, "SAE %s at %s (%s, %d vectors)\n", res.SAEDir, res.Hook, res.Case.Name, r.N)
	fmt.Fprintf(w, "explained variance %s\nMSE                %.6g\nL0                 %.3f\nL1                 %.4f\n", sae.FormatExplainedVariance(float64(r.ExplainedVariance), 6), r.MSE, r.L0, r.L1)
	fmt.Fprintf(w, "dead features      %d\ndense features     %d\nshrinkage          %.4f\ncosine             %.4f\n", r.Dead, r.Dense, r.Shrinkage, r.Cosine)
	fmt.Fprintf(w, "downstream over %d positions:\n", d.Positions)
	if d.Categorical {
		fmt.Fprintf(w, "%-13s %9s %10s %10s\n", "", "accuracy", "CE", "KL")
		fmt.Fprintf(w, "%-13s %9.4f %10.5g %10.5g\n", "clean", d.Clean.Accuracy, deref(d.Clean.CE), deref(d.Clean.KL))
		fmt.Fprintf(w, "%-13s %9.4f %10.5g %10.5g\n", "spliced", d.Spliced.Accuracy, deref(d.Spliced.CE), deref(d.Spliced.KL))
		fmt.Fprintf(w, "%-13s %9.4f %10.5g %10.5g\n", "zero-ablated", d.Zero.Accuracy, deref(d.Zero.CE), deref(d.Zero.KL))
		fmt.Fprintf(w, "ce_loss_score %.4f\nkl_div_score  %.4f\n", deref(d.CEScore), deref(d.KLScore))
	} else {
		fmt.Fprintf(w, "accuracy: |Δ| < %g (--atol)\n", d.ATol)
		fmt.Fprintf(w, "%-13s %9s %12s %12s\n", "", "accuracy", "MSE", "MSE(clean)")
		fmt.Fprintf(w, "%-13s %9.4f %12.5g %12.5g\n", "clean", d.Clean.Accuracy, deref(d.Clean.MSE), deref(d.Clean.MSEClean))
		fmt.Fprintf(w, "%-13s %9.4f %12.5g %12.5g\n", "spliced", d.Spliced.Accuracy, deref(d.Spliced.MSE), deref(d.Spliced.MSEClean))
		fmt.Fprintf(w, "%-13s %9.4f %12.5g %12.5g\n", "zero-ablated", d.Zero.Accuracy, deref(d.Zero.MSE), deref(d.Zero.MSEClean))
		fmt.Fprintf(w, "mse_score          %.4f\nmse_vs_clean_score %.4f\n", deref(d.MSEScore), deref(d.MSECleanSc))
	}
	if d.Retained != nil {
		fmt.Fprintf(w, "spliced keeps %.4f of the clean accuracy\n", float64(*d.Retained))
	} else {
		fmt.Fprintln(w, "spliced keeps –: the clean model has accuracy 0")
	}
	return nil
}

// deref prints an optional metric (NaN when absent or undefined).
func deref(n *features.Num) float64 {
	if n == nil {
		return math.NaN()
	}
	return float64(*n)
}

func init() {
	evalSAEFlags.add(evalSAECmd)
	evalSAECmd.Flags().Bool("json", false, "print JSON")
	rootCmd.AddCommand(evalSAECmd)
}
