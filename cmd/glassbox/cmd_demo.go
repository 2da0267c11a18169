package main

import (
	"github.com/glassbox-interp/glassbox/pipeline"
	"github.com/glassbox-interp/glassbox/sae"
	"github.com/spf13/cobra"
)

var demoFlags struct {
	out    string
	tokens int64
	fresh  bool
	quiet  bool
}

var demoCmd = &cobra.Command{
	Use:   "demo",
	Short: "Run the main job: the original notebook's loop end to end on case 3, offline",
	Long: `demo reproduces the original notebook: it compiles circuits-benchmark case 3
(the fraction of "x" so far) with glassbox's tracr, trains SAEs at the
notebook's three hooks (blocks.0.hook_resid_pre, blocks.0.hook_mlp_out,
blocks.1.hook_attn_out) with the notebook's hyper-parameters (expansion 4,
l1 0.1, lr 3e-4, 1.5M tokens in batches of 80, ghost grads, geometric-median
b_dec, seed 42), labels every feature against the program's variables, and
prints the notebook-style notes ("12: x@1  F1 1.00") with their scores and
duplicate groups. It writes OUT/report.html and tells how to open the
feature browser. Finished runs in OUT are reused and interrupted ones
resumed; --fresh starts over.`,
	Example: `  glassbox demo
  glassbox demo --out /tmp/demo --fresh
  glassbox demo --training-tokens 300000`,
	Args: cobra.NoArgs,
	RunE: func(cmd *cobra.Command, args []string) error {
		opt := pipeline.DemoOptions{Out: demoFlags.out, TrainingTokens: demoFlags.tokens, Fresh: demoFlags.fresh, Stdout: cmd.OutOrStdout()}
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
	rootCmd.AddCommand(demoCmd)
}
