package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/glassbox-interp/glassbox/pipeline"
	"github.com/glassbox-interp/glassbox/sae"
	"github.com/glassbox-interp/glassbox/sae/trainlog"
	"github.com/glassbox-interp/glassbox/workload"
	"github.com/spf13/cobra"
)

var trainFlags struct {
	src        workload.Source
	program    workload.Program
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
	Use:   "train (--case N | --program FILE.star | --activations FILE) [--model DIR] --hook HOOK [flags]",
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
  glassbox train --case 3 --model runs/siit/case_3 --hook blocks.1.hook_attn_out   # a SIIT-trained model
  glassbox train --program my_prog.star --vocab a,b,c --max-seq-len 6 --model runs/siit/mine --hook blocks.0.hook_mlp_out
  glassbox train --activations acts.safetensors --config cfg.json --out runs/mine
  glassbox train --resume runs/case3-blocks.0.hook_mlp_out-52-L1-0.1-LR-0.0003-Tokens-1.500e+06`,
	Args: cobra.NoArgs,
	RunE: runTrain,
}

func init() {
	f := trainCmd.Flags()
	f.IntVar(&trainFlags.src.Case, "case", 0, "circuits-benchmark case id: compile it and use its dataset")
	f.StringVar(&trainFlags.src.Model, "model", "", "model folder: a glassbox model, a glassbox siit output or an InterpBench download (ll_model.pth + ll_model_cfg.pkl); tokens: the --case dataset, required with --model. The run records the model (source.json model_ref)")
	f.StringVar(&trainFlags.program.Path, "program", "", "a .star program instead of --case: its dataset and traces (and its compiled model unless --model)")
	f.StringVar(&trainFlags.program.Vocab, "vocab", "", "for --program: comma-separated vocabulary")
	f.IntVar(&trainFlags.program.MaxSeqLen, "max-seq-len", 0, "for --program: maximum input length counting BOS")
	f.StringVar(&trainFlags.src.Activations, "activations", "", "activations file: [N,d_in] or [B,T,d_in] safetensors/.npy, or a cache directory")
	f.StringVar(&trainFlags.src.Hook, "hook", "", "TransformerLens hook name, e.g. blocks.0.hook_mlp_out")
	f.IntVar(&trainFlags.head, "head", -1, "head index for per-head hooks (hook_z without --head is flattened over heads)")
	f.BoolVar(&trainFlags.dropBOS, "drop-bos", false, "leave out position 0 (BOS)")
	f.StringVar(&trainFlags.config, "config", "", "SAELens-style JSON config (replaces the notebook defaults)")
	f.StringVar(&trainFlags.out, "out", "", "run directory (default runs/<case or activation file>-<hook>-<run name>)")
	f.StringVar(&trainFlags.resume, "resume", "", "continue the run in this directory from its last checkpoint")
	// The defaults shown are the notebook config's; a flag changes the
	// config (notebook or --config) only when it is given.
	nb := sae.NotebookConfig()
	f.StringVar(&trainFlags.arch, "arch", nb.Architecture, "architecture: "+strings.Join(sae.Architectures(), ", "))
	f.Float64Var(&trainFlags.l1, "l1-coefficient", nb.L1Coefficient, "sparsity coefficient (jumprelu: L0 coefficient)")
	f.Int64Var(&trainFlags.tokens, "training-tokens", nb.TrainingTokens, "training tokens")
	f.IntVar(&trainFlags.batch, "train-batch-size-tokens", nb.TrainBatchSizeTokens, "batch size in tokens")
	f.IntVar(&trainFlags.expansion, "expansion-factor", nb.ExpansionFactor, "d_sae = expansion factor × d_in")
	f.Float64Var(&trainFlags.lr, "lr", nb.LR, "learning rate")
	f.Float64Var(&trainFlags.k, "k", 0, "topk: active features per row; batchtopk: mean per row (required for both)")
	f.Int64Var(&trainFlags.seed, "seed", nb.Seed, "random seed (weights, data order, noise)")
	f.IntVar(&trainFlags.ckpts, "n-checkpoints", nb.NCheckpoints, "evenly spaced checkpoints")
	f.BoolVar(&trainFlags.ghostGrads, "ghost-grads", nb.UseGhostGrads, "ghost grads (standard architecture only; default on for standard)")
	f.Float64Var(&trainFlags.maxGrad, "max-grad-norm", nb.Glassbox.MaxGradNorm, "global gradient-norm clip (<= 0: off)")
	f.BoolVar(&trainFlags.quiet, "quiet", false, "no progress line")
	rootCmd.AddCommand(trainCmd)
}

// trainConfig builds the run config: the notebook config or --config,
// then the flags the user gave (a flag left out changes nothing).
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
		if fl.Changed(name) {
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
	set("k", func() { cfg.K = trainFlags.k })
	arch := strings.ToLower(cfg.Architecture)
	if arch == "" {
		arch = sae.ArchStandard
	}
	info, _ := sae.ArchitectureInfo(arch) // an unknown name is refused by Resolve
	if fl.Changed("ghost-grads") {
		cfg.UseGhostGrads = trainFlags.ghostGrads
	} else if trainFlags.config == "" {
		cfg.UseGhostGrads = info.GhostGrads
	}
	if trainFlags.config == "" && info.UsesK && !fl.Changed("k") {
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
		if trainFlags.program.Path != "" {
			p := trainFlags.program
			src.Program = &p
		} else if trainFlags.program.Vocab != "" || trainFlags.program.MaxSeqLen != 0 {
			return fmt.Errorf("--vocab and --max-seq-len go with --program FILE.star")
		}
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
		if src.Case == 0 && src.Program == nil && src.Activations == "" {
			return fmt.Errorf("give the data source: --case N or --program FILE.star (optionally with --model DIR) or --activations FILE")
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
			r.RunName(), r.TotalSteps, run.Set.N(), r.HookName, run.Set.DIn, r.DSAE, r.Arch)
	}
	var progress io.Writer
	if !trainFlags.quiet {
		progress = stderr
	}
	// Ctrl-C / SIGTERM: the trainer writes a checkpoint at the current step
	// and stops; --resume continues the run exactly.
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	run.Trainer.Context = ctx
	m, err := run.Train(progress)
	if errors.Is(err, sae.ErrInterrupted) {
		return fmt.Errorf("%w: continue with glassbox train --resume %s", err, run.Dir)
	}
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, trainlog.Summary(run.Trainer.Metrics()))
	fmt.Fprintf(stdout, "final SAE on the %d unique activations: explained variance %s, L0 %.2f, dead features %d/%d\n",
		m.N, sae.FormatExplainedVariance(float64(m.ExplainedVariance), 4), float64(m.L0), m.Dead, run.Trainer.SAE.DSAE)
	if m.Diverged() {
		fmt.Fprintf(stdout, "warning: training diverged (explained variance %s, MSE %.3g: the reconstruction is further from the data than its mean is); try a smaller --lr (this run: %g)\n",
			sae.FormatExplainedVariance(float64(m.ExplainedVariance), 4), float64(m.MSE), run.Trainer.Cfg.LR)
	}
	fmt.Fprintf(stdout, "saved %s\n", filepath.Join(run.Dir, sae.FinalDir))
	return nil
}
