package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/glassbox-interp/glassbox/pipeline"
	"github.com/glassbox-interp/glassbox/sae"
	"github.com/glassbox-interp/glassbox/workload"
	"github.com/spf13/cobra"
)

var trainFlags struct {
	src        workload.Source
	head       int
	config     string
	out        string
	resume     string
	arch       string
	l1         float64
	tokens     int64
	batch      int
	expansion  int
	lr         float64
	k          float64
	seed       int64
	ckpts      int
	dropBOS    bool
	quiet      bool
	maxGrad    float64
	ghostGrads bool
}

var trainCmd = &cobra.Command{
	Use:   "train (--case N | --model DIR | --activations FILE) --hook HOOK [flags]",
	Short: "Train a sparse autoencoder on one hook's activations (SAELens options, run directory, exact resume)",
	Long: `train trains an SAE with SAELens' training options on the activations of one
hook. The base configuration is the original notebook's (d_sae = 4·d_in, l1 0.1,
lr 3e-4, Adam(0.9, 0.999), 1.5M tokens in batches of 80, ghost grads,
geometric-median b_dec, unit-norm decoder, 5 checkpoints, seed 42); --config
replaces it with a SAELens LanguageModelSAERunnerConfig JSON (every SAELens key
is accepted; the ones glassbox does not use are listed once), and flags given
explicitly override both.

The activations of every dataset row are computed once and served in shuffled
epochs (the notebook's repeat behaviour). The run directory gets config.json,
source.json, metrics.jsonl (wandb metric names), checkpoints/<n_tokens>/ and
final/ in SAELens layout; --resume RUN_DIR continues from the last checkpoint
with results identical to an uninterrupted run.`,
	Example: `  glassbox train --case 3 --hook blocks.0.hook_mlp_out
  glassbox train --case 3 --hook blocks.1.attn.hook_result --head 0 --arch topk --k 4
  glassbox train --activations acts.safetensors --config cfg.json --out runs/mine
  glassbox train --resume runs/case3-blocks.0.hook_mlp_out-52-L1-0.1-LR-0.0003-Tokens-1.500e+06`,
	Args: cobra.NoArgs,
	RunE: runTrain,
}

func init() {
	f := trainCmd.Flags()
	f.IntVar(&trainFlags.src.Case, "case", 0, "circuits-benchmark case id: compile it and use its dataset")
	f.StringVar(&trainFlags.src.Model, "model", "", "glassbox model directory (tokens: the --case dataset, required with --model)")
	f.StringVar(&trainFlags.src.Activations, "activations", "", "activations file: [N,d_in] or [B,T,d_in] safetensors/.npy, or a cache directory")
	f.StringVar(&trainFlags.src.Hook, "hook", "", "TransformerLens hook name, e.g. blocks.0.hook_mlp_out")
	f.IntVar(&trainFlags.head, "head", -1, "head index for per-head hooks (hook_z without --head is flattened over heads)")
	f.BoolVar(&trainFlags.dropBOS, "drop-bos", false, "leave out position 0 (BOS)")
	f.StringVar(&trainFlags.config, "config", "", "SAELens-style JSON config (replaces the notebook defaults)")
	f.StringVar(&trainFlags.out, "out", "", "run directory (default runs/<case or activation file>-<hook>-<run name>)")
	f.StringVar(&trainFlags.resume, "resume", "", "continue the run in this directory from its last checkpoint")
	f.StringVar(&trainFlags.arch, "arch", "standard", "architecture: standard, gated, jumprelu, topk or batchtopk")
	f.Float64Var(&trainFlags.l1, "l1-coefficient", 0.1, "sparsity coefficient (jumprelu: L0 coefficient)")
	f.Int64Var(&trainFlags.tokens, "training-tokens", 1_500_000, "training tokens")
	f.IntVar(&trainFlags.batch, "train-batch-size-tokens", 80, "batch size in tokens")
	f.IntVar(&trainFlags.expansion, "expansion-factor", 4, "d_sae = expansion factor × d_in")
	f.Float64Var(&trainFlags.lr, "lr", 3e-4, "learning rate")
	f.Float64Var(&trainFlags.k, "k", 0, "topk: active features per row; batchtopk: mean per row")
	f.Int64Var(&trainFlags.seed, "seed", 42, "random seed (weights, data order, noise)")
	f.IntVar(&trainFlags.ckpts, "n-checkpoints", 5, "evenly spaced checkpoints")
	f.BoolVar(&trainFlags.ghostGrads, "ghost-grads", true, "ghost grads (standard architecture only)")
	f.Float64Var(&trainFlags.maxGrad, "max-grad-norm", 1, "global gradient-norm clip (<= 0: off)")
	f.BoolVar(&trainFlags.quiet, "quiet", false, "no progress line")
	rootCmd.AddCommand(trainCmd)
}

// trainConfig builds the run config: notebook defaults or --config, then
// the flags the user set.
func trainConfig(cmd *cobra.Command, stderr io.Writer) (sae.Config, error) {
	cfg := sae.NotebookConfig()
	if trainFlags.config != "" {
		c, ignored, err := sae.LoadConfig(trainFlags.config)
		if err != nil {
			return cfg, err
		}
		if len(ignored) > 0 {
			fmt.Fprintf(stderr, "glassbox: ignoring SAELens keys glassbox has no use for: %s\n", strings.Join(ignored, ", "))
		}
		cfg = c
	}
	fl := cmd.Flags()
	set := func(name string, apply func()) {
		if fl.Changed(name) || (trainFlags.config == "" && name != "k") {
			apply()
		}
	}
	set("arch", func() { cfg.Architecture = trainFlags.arch })
	set("l1-coefficient", func() { cfg.L1Coefficient = trainFlags.l1 })
	set("training-tokens", func() { cfg.TrainingTokens = trainFlags.tokens })
	set("train-batch-size-tokens", func() { cfg.TrainBatchSizeTokens = trainFlags.batch })
	set("expansion-factor", func() { cfg.ExpansionFactor = trainFlags.expansion; cfg.DSAE = nil })
	set("lr", func() { cfg.LR = trainFlags.lr })
	set("seed", func() { cfg.Seed = trainFlags.seed })
	set("n-checkpoints", func() { cfg.NCheckpoints = trainFlags.ckpts })
	set("max-grad-norm", func() { cfg.Glassbox.MaxGradNorm = trainFlags.maxGrad })
	if fl.Changed("k") {
		cfg.K = trainFlags.k
	}
	arch := strings.ToLower(cfg.Architecture)
	if fl.Changed("ghost-grads") {
		cfg.UseGhostGrads = trainFlags.ghostGrads
	} else if trainFlags.config == "" {
		cfg.UseGhostGrads = arch == "" || arch == sae.ArchStandard
	}
	if trainFlags.config == "" && (arch == sae.ArchTopK || arch == sae.ArchBatchTopK) && !fl.Changed("k") {
		return cfg, fmt.Errorf("--arch %s needs --k", arch)
	}
	return cfg, nil
}

func runTrain(cmd *cobra.Command, _ []string) error {
	stderr := cmd.ErrOrStderr()
	stdout := cmd.OutOrStdout()
	var run *pipeline.Run
	if trainFlags.resume != "" {
		var err error
		if run, err = pipeline.Resume(trainFlags.resume); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "resuming %s at step %d (%d tokens)\n", run.Dir, run.Trainer.StepN, run.Trainer.Tokens)
	} else {
		src := trainFlags.src
		if trainFlags.head >= 0 {
			h := trainFlags.head
			src.Head = &h
		}
		if trainFlags.dropBOS {
			src.DropPositions = []int{0}
		}
		cfg, err := trainConfig(cmd, stderr)
		if err != nil {
			return err
		}
		if src.Hook == "" && src.Activations == "" && trainFlags.config != "" {
			src.Hook = cfg.HookName
		}
		if src.Hook == "" && src.Activations == "" {
			return fmt.Errorf("--hook is required (e.g. blocks.0.hook_mlp_out)")
		}
		if src.Case == 0 && src.Activations == "" {
			return fmt.Errorf("give the data source: --case N (optionally with --model DIR) or --activations FILE")
		}
		if run, err = pipeline.Start(trainFlags.out, src, cfg, pipeline.StartOptions{ConfigFile: trainFlags.config}); err != nil {
			var exists *pipeline.ExistsError
			if errors.As(err, &exists) {
				return fmt.Errorf("%w: use --resume %s or another --out", err, exists.Dir)
			}
			return err
		}
		r := run.Trainer.Cfg
		fmt.Fprintf(stderr, "Run name: %s\nTotal training steps: %d\n%d unique activations of %s (d_in %d) → d_sae %d, %s\n",
			r.RunName(), r.TotalSteps, run.Set.N(), r.HookName, run.Set.DIn, r.DSAEValue, r.Arch)
	}
	var progress io.Writer
	if !trainFlags.quiet {
		progress = stderr
	}
	m, err := run.Train(progress)
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, sae.Summary(run.Trainer.Metrics()))
	fmt.Fprintf(stdout, "final SAE on the %d unique activations: explained variance %.4f, L0 %.2f, dead features %d/%d\n",
		m.N, float64(m.ExplainedVariance), float64(m.L0), m.Dead, run.Trainer.SAE.DSAE)
	fmt.Fprintf(stdout, "saved %s\n", filepath.Join(run.Dir, sae.FinalDir))
	return nil
}
