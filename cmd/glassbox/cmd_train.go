package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/glassbox-interp/glassbox/activations"
	"github.com/glassbox-interp/glassbox/features/rundir"
	"github.com/glassbox-interp/glassbox/formats/atomicfile"
	"github.com/glassbox-interp/glassbox/model"
	"github.com/glassbox-interp/glassbox/sae"
	"github.com/spf13/cobra"
)

// trainSourceSpec says where a run's activations come from; it is saved in
// the run directory (source.json) so --resume rebuilds the same store.
type trainSourceSpec struct {
	Case          int    `json:"case,omitempty"`
	Model         string `json:"model,omitempty"`
	Activations   string `json:"activations,omitempty"`
	Hook          string `json:"hook_name,omitempty"`
	Head          *int   `json:"hook_head_index,omitempty"`
	DropPositions []int  `json:"drop_positions,omitempty"`
	Positions     []int  `json:"positions,omitempty"`
}

const trainSourceFile = "source.json"

var trainFlags struct {
	src        trainSourceSpec
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
  glassbox train --resume runs/48-L1-0.1-LR-0.0003-Tokens-1.500e+06`,
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
	f.StringVar(&trainFlags.out, "out", "", "run directory (default runs/<run name>)")
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

var hookLayerPattern = regexp.MustCompile(`^blocks\.(\d+)\.`)

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

// trainData resolves the data source flags to the activations (the single
// place where the model / case / file is chosen).
func trainData(spec trainSourceSpec) (*activations.Set, string, error) {
	if spec.Activations != "" {
		if spec.Case != 0 || spec.Model != "" {
			return nil, "", fmt.Errorf("--activations cannot be combined with --case or --model")
		}
		s, err := activations.LoadFile(spec.Activations)
		if err != nil {
			return nil, "", err
		}
		if spec.Hook == "" {
			spec.Hook = s.HookName
		}
		s.HookName = spec.Hook
		return s, "", nil
	}
	if spec.Hook == "" {
		return nil, "", fmt.Errorf("--hook is required (e.g. blocks.0.hook_mlp_out)")
	}
	if spec.Case == 0 {
		return nil, "", fmt.Errorf("give the data source: --case N (optionally with --model DIR) or --activations FILE")
	}
	cd, err := rundir.CatalogueCase(spec.Case)
	if err != nil {
		return nil, "", fmt.Errorf("case %d: %w", spec.Case, err)
	}
	var m *model.Model
	if spec.Model != "" {
		m, err = model.Load(spec.Model)
	} else {
		m, err = cd.Compiled.Model()
	}
	if err != nil {
		return nil, "", err
	}
	tokens, err := cd.TokenIDs()
	if err != nil {
		return nil, "", err
	}
	s, err := activations.FromModel(m, tokens, spec.Hook, activations.Options{Head: spec.Head, Positions: spec.Positions, DropPositions: spec.DropPositions})
	if err != nil {
		return nil, "", err
	}
	return s, fmt.Sprintf("case%d", spec.Case), nil
}

func runTrain(cmd *cobra.Command, _ []string) error {
	stderr := cmd.ErrOrStderr()
	stdout := cmd.OutOrStdout()
	var tr *sae.Trainer
	var set *activations.Set
	var runDir string
	if trainFlags.resume != "" {
		runDir = trainFlags.resume
		b, err := os.ReadFile(filepath.Join(runDir, trainSourceFile))
		if err != nil {
			return fmt.Errorf("resume: %w", err)
		}
		var spec trainSourceSpec
		if err := json.Unmarshal(b, &spec); err != nil {
			return fmt.Errorf("resume %s: %w", filepath.Join(runDir, trainSourceFile), err)
		}
		cfg, err := sae.ReadRunConfig(runDir)
		if err != nil {
			return err
		}
		if set, _, err = trainData(spec); err != nil {
			return err
		}
		store, err := activations.NewMemory(set.Data, set.DIn, activations.MemoryOptions{Seed: cfg.Seed, Shuffle: true, Repeat: true})
		if err != nil {
			return err
		}
		if tr, err = sae.Resume(runDir, store); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "resuming %s at step %d (%d tokens)\n", runDir, tr.StepN, tr.Tokens)
	} else {
		spec := trainFlags.src
		if trainFlags.head >= 0 {
			h := trainFlags.head
			spec.Head = &h
		}
		if trainFlags.dropBOS {
			spec.DropPositions = []int{0}
		}
		cfg, err := trainConfig(cmd, stderr)
		if err != nil {
			return err
		}
		if spec.Hook == "" && spec.Activations == "" && trainFlags.config != "" {
			spec.Hook = cfg.HookName
		}
		var modelName string
		if set, modelName, err = trainData(spec); err != nil {
			return err
		}
		if trainFlags.config != "" && cfg.DIn != set.DIn && cfg.DIn != sae.DefaultConfig().DIn {
			return fmt.Errorf("config %s: d_in is %d but the activations have %d values per vector", trainFlags.config, cfg.DIn, set.DIn)
		}
		cfg.DIn = set.DIn
		if set.HookName != "" {
			cfg.HookName = set.HookName
		}
		cfg.HookHeadIndex = spec.Head
		if m := hookLayerPattern.FindStringSubmatch(cfg.HookName); m != nil {
			cfg.HookLayer, _ = strconv.Atoi(m[1])
		}
		if set.ContextSize > 0 {
			cfg.ContextSize = set.ContextSize
		}
		if modelName != "" {
			cfg.ModelName = modelName
		}
		r, err := cfg.Resolve()
		if err != nil {
			return err
		}
		runDir = trainFlags.out
		if runDir == "" {
			runDir = filepath.Join("runs", r.RunName())
		}
		if _, err := os.Stat(filepath.Join(runDir, sae.RunConfigFile)); err == nil {
			return fmt.Errorf("run directory %s already holds a run: use --resume %s or another --out", runDir, runDir)
		}
		if err := os.MkdirAll(runDir, 0o755); err != nil {
			return err
		}
		if spec.Activations != "" {
			if abs, err := filepath.Abs(spec.Activations); err == nil {
				spec.Activations = abs
			}
		}
		if spec.Model != "" {
			if abs, err := filepath.Abs(spec.Model); err == nil {
				spec.Model = abs
			}
		}
		spec.Hook = cfg.HookName
		sb, _ := json.MarshalIndent(spec, "", "  ")
		if err := atomicfile.WriteFile(filepath.Join(runDir, trainSourceFile), append(sb, '\n'), 0o644); err != nil {
			return err
		}
		store, err := activations.NewMemory(set.Data, set.DIn, activations.MemoryOptions{Seed: cfg.Seed, Shuffle: true, Repeat: true})
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "Run name: %s\nTotal training steps: %d\n%d unique activations of %s (d_in %d) → d_sae %d, %s\n",
			r.RunName(), r.TotalSteps, set.N(), cfg.HookName, set.DIn, r.DSAEValue, r.Arch)
		if tr, err = sae.NewTrainer(r, store); err != nil {
			return err
		}
	}
	tr.RunDir = runDir
	tr.Eval = set.Data
	if !trainFlags.quiet {
		tr.Progress = stderr
	}
	if err := tr.Run(); err != nil {
		return err
	}
	fmt.Fprint(stdout, sae.Summary(tr.Metrics()))
	m, err := tr.FinalSAE().Evaluate(set.Data)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "final SAE on the %d unique activations: explained variance %.4f, L0 %.2f, dead features %d/%d\n",
		m.Rows, m.ExplainedVariance, m.L0, m.DeadFeatures, tr.SAE.DSAE)
	fmt.Fprintf(stdout, "saved %s\n", filepath.Join(runDir, sae.FinalDir))
	return nil
}
