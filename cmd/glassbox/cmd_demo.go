package main

import (
	"os"
	"os/signal"
	"syscall"

	"github.com/glassbox-interp/glassbox/pipeline"
	"github.com/glassbox-interp/glassbox/sae"
	"github.com/glassbox-interp/glassbox/trained"
	"github.com/spf13/cobra"
)

var demoFlags struct {
	out            string
	tokens         int64
	fresh          bool
	quiet          bool
	model, recipe  string
	epochs, sample int
}

var demoCmd = &cobra.Command{
	Use:   "demo",
	Short: "Run the main job: the original notebook's loop end to end on case 3, offline",
	Long: `demo reproduces the original notebook: it compiles circuits-benchmark case 3
(the fraction of "x" so far) with glassbox's tracr, trains (or reuses) the
SIIT-trained case-3 model as the notebook studied (InterpBench's recipe and
LL shape, d_model 12; cached by content in OUT/siit-model), trains SAEs at the
notebook's three hooks (blocks.0.hook_resid_pre, blocks.0.hook_mlp_out,
blocks.1.hook_attn_out) with the notebook's hyper-parameters (expansion 4,
l1 0.1, lr 3e-4, 1.5M tokens in batches of 80, ghost grads, geometric-median
b_dec, seed 42), labels every feature against the program's variables, and
prints the notebook-style notes ("12: x@1  F1 1.00") with their scores and
duplicate groups. The same SAEs are trained on the compiled model (d_model 13)
and OUT/comparison.md sets the two side by side: coverage, features found,
duplicates, dead fraction, explained variance and spliced accuracy. It
writes OUT/report.html and tells how to open the feature browser. Finished
runs in OUT are reused and interrupted ones resumed; --fresh retrains the
SAEs (the SIIT model is reused while its settings and code are unchanged).
--model compiled runs the compiled model alone (no SIIT training).`,
	Example: `  glassbox demo
  glassbox demo --out /tmp/demo --fresh
  glassbox demo --training-tokens 300000
  glassbox demo --model compiled
  glassbox demo --siit-epochs 5          # a quicker, less converged SIIT model`,
	Args: cobra.NoArgs,
	RunE: func(cmd *cobra.Command, args []string) error {
		opt := pipeline.DemoOptions{Out: demoFlags.out, TrainingTokens: demoFlags.tokens, Fresh: demoFlags.fresh, Stdout: cmd.OutOrStdout(),
			Model: demoFlags.model, SIIT: trained.Settings{Recipe: demoFlags.recipe, Epochs: demoFlags.epochs, Samples: demoFlags.sample}}
		ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		opt.Context = ctx
		if !demoFlags.quiet {
			opt.Progress = cmd.ErrOrStderr()
		}
		_, err := pipeline.Demo(opt)
		return err
	},
}

func init() {
	f := demoCmd.Flags()
	f.StringVar(&demoFlags.out, "out", "runs/demo", "directory for the three runs and report.html")
	f.Int64Var(&demoFlags.tokens, "training-tokens", sae.NotebookConfig().TrainingTokens, "training tokens per SAE")
	f.BoolVar(&demoFlags.fresh, "fresh", false, "delete earlier demo runs in --out and retrain")
	f.BoolVar(&demoFlags.quiet, "quiet", false, "no progress lines")
	f.StringVar(&demoFlags.model, "model", pipeline.DemoSIIT, "siit (the SIIT-trained case-3 model beside the compiled one) or compiled (the compiled model only)")
	f.StringVar(&demoFlags.recipe, "siit-recipe", "", "SIIT recipe gen1 or gen2 (default: case 3's, gen1)")
	f.IntVar(&demoFlags.epochs, "siit-epochs", 0, "maximum SIIT epochs (default: the recipe's; early stopping usually ends sooner)")
	f.IntVar(&demoFlags.sample, "siit-samples", 0, "SIIT dataset rows (default: the recipe's)")
	rootCmd.AddCommand(demoCmd)
}
