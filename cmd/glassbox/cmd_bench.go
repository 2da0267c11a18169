package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/glassbox-interp/glassbox/bench"
	"github.com/glassbox-interp/glassbox/features"
	"github.com/glassbox-interp/glassbox/sae"
	"github.com/glassbox-interp/glassbox/trained"
)

var benchFlags struct {
	cases, hooks, archs, l1, k, seeds, out, shard string
	tokens                                        int64
	expansion, jobs, batchTokens, shards          int
	lr, atol                                      float64
	retryFailed, dryRun, noLeaderboard            bool
	models, siitRecipe, modelDir, siitModels      string
	siitEpochs, siitSamples                       int
	keepSAEs                                      bool
	serveBase                                     string
}

var benchCmd = &cobra.Command{
	Use:   "bench",
	Short: "Sweep SAEs over cases × hooks × architectures × sparsity × seeds; resumable, shardable",
	Long: `bench trains and scores one SAE per cell of the grid
cases × hooks × architectures × sparsity values × seeds, in parallel, and
appends one JSON line per finished cell to OUT/results.jsonl.

Each cell compiles its case with tracr (once per case), runs the model over
the case's dataset, trains the SAE with the original notebook's SAELens
settings, labels its features against the RASP trace and splices the
reconstruction back into the model. Metrics per cell: coverage, mean_f1,
explained_variance, l0, dead_fraction, spliced_accuracy (plus clean/zero
accuracy, accuracy_retained = spliced/clean, ce_loss_score or mse_score,
input_variance). Numerical programs' outputs count as correct when within
--atol of the program's value (|Δ| < 0.05, InterpBench's tolerance, by
default; recorded in spec.json).

Hook selectors: residual (every blocks.L.hook_resid_pre plus the last
hook_resid_post), mlp (blocks.L.hook_mlp_out), attn (blocks.L.hook_attn_out),
all, exact hook names, or KIND:last for the last hook of a kind that
computes something (residual:last is the residual stream after the last
layer; mlp:last is the last MLP that tracr did not leave empty — 10 of the
84 InterpBench cases have an all-zero last MLP, and case 24 has no MLP
that computes anything, so it gets no mlp cell). The kind selectors skip
the hooks of empty half-layers (known from the compiled model's blocks);
an exact hook name is kept. The default, residual:last,mlp:last, is one
residual and one mlp-out hook per case; use --hooks residual,mlp for every
layer's. Cells at a hook whose activations never vary are left out of the
leaderboard's means (and counted apart). l1 values apply to standard, gated
and jumprelu; k values to topk and batchtopk.

Running the same command again resumes: cells already in results.jsonl
(successes and recorded errors) are skipped, and a line cut short by a crash
is dropped. Ctrl-C stops cleanly. A failing cell is recorded with its error
and the sweep goes on.

--shard i/n (0-based i) runs every n-th cell starting at i into
OUT/shard-i-of-n/. In a Slurm array or a Kubernetes indexed Job give
--shards N, the number of shards of the whole grid: the index is
SLURM_ARRAY_TASK_ID (or JOB_COMPLETION_INDEX), 0-based, and the count is
always N (or GLASSBOX_SHARD_COUNT), never the size of the array running the
task. So a task that died or was cancelled is resumed by resubmitting its
index alone, with the same command:

  sbatch --array=0-7 job.sh        # job.sh: glassbox bench --shards 8 --out /scratch/b ...
  sbatch --array=3 job.sh          # task 3 died: resumes OUT/shard-3-of-8/
  sbatch --array=1,5 job.sh        # any subset of 0..7 works

Join shards with "glassbox bench merge", then "glassbox bench leaderboard".

The grid is checked before anything runs: a case that does not exist or
does not compile, or a hook selector that matches no hook, is reported;
when no cell of the grid can run, bench exits with an error. --jobs
defaults to the CPUs this process may use: GOMAXPROCS, the CPU affinity
mask (cgroup cpuset, taskset) and SLURM_CPUS_PER_TASK, whichever is least.

--models compiled,siit sweeps every case on its compiled model and on its
SIIT-trained model (InterpBench's recipe and LL shape, or --siit-recipe,
--siit-epochs, --siit-samples). The first cell that needs a case's SIIT
model trains it into OUT/models/case_N (shared by all shards, keyed by
content, resumed after an interruption, reused by later sweeps);
--siit-models DIR runs them on models trained beforehand instead
(DIR/case_N/, e.g. the output of glassbox siit all). Ground truth
availability on a SIIT model follows its correspondence. The leaderboard
then splits every table by model kind and lists the SIIT models' accuracy,
IIA and strict accuracy.

--models compiled,interpbench --model-dir DIR sweeps released or
downloaded models: DIR holds one folder per case, DIR/case_N/ or DIR/N/,
each an InterpBench download (ll_model.pth + ll_model_cfg.pkl, optional
correspondence.json) or a glassbox model folder (e.g. glassbox siit
output). A case of the grid with no folder in DIR gets no interpbench
cells (one line says so) and the sweep goes on. Every cell on a model
folder records it in results.jsonl ("model": path, kind, sha256 of the
weights); spec.json records DIR, so another DIR needs another --out.

--cases also takes .star program files beside case ids (--cases 3,mine.star):
a program is compiled once and swept like a case on the compiled and siit
models (its SIIT model goes to OUT/models/program_<hash>; it has no
interpbench model). Its cells are keyed by the program's content hash
(program=<16 hex digits> instead of case=N), so a copy of the file gives the
same cells and an edited file new ones; a file edited during a sweep fails
its cells instead of mixing two programs.`,
	Example: `  glassbox bench --cases 3,4 --hooks residual,mlp --archs standard,topk --l1 0.1,1 --k 4 --out runs/bench
  glassbox bench --cases all --shard 0/8 --out /scratch/bench      # one of 8 shards
  glassbox bench --cases all --shards 8 --out /scratch/bench       # in sbatch --array=0-7
  glassbox bench --cases 3 --dry-run                               # list the cells only
  glassbox bench --cases all --models compiled,siit --out runs/bench-siit
  glassbox bench --cases 3,4 --models compiled,interpbench --model-dir downloads --out runs/bench-ib
  glassbox bench --cases 3,mine.star --models compiled,siit --out runs/bench-mine`,
	Args: cobra.NoArgs,
	RunE: runBench,
}

var benchMergeCmd = &cobra.Command{
	Use:   "merge OUT DIR...",
	Short: "Join shard outputs into one results.jsonl (deduplicated by cell ID)",
	Long: `merge reads the results of each DIR (a results.jsonl file, a sweep directory, or
a directory of shard-*/ outputs) and writes one results file:
OUT/results.jsonl (OUT is a directory, created if needed), or OUT itself
when it ends in .jsonl. Identical repeats are dropped, a success
replaces a recorded error of the same cell, and two successes with different
metrics are a conflict: nothing is written and the cells are listed.`,
	Example: `  glassbox bench merge runs/bench-all runs/bench          # all shard-*/ under runs/bench
  glassbox bench merge merged/ a/results.jsonl b/results.jsonl`,
	Args: cobra.MinimumNArgs(2),
	RunE: func(cmd *cobra.Command, args []string) error {
		rep, err := bench.Merge(args[0], args[1:]...)
		if err != nil {
			return err
		}
		fmt.Fprintf(cmd.OutOrStdout(), "merged %d files: %d lines → %d cells (%d ok, %d failed); %d duplicates, %d errors superseded by a success",
			len(rep.Inputs), rep.Lines, rep.Cells, rep.OK, rep.Failed, rep.Duplicates, rep.Superseded)
		if rep.Dropped > 0 {
			fmt.Fprintf(cmd.OutOrStdout(), "; %d bytes of partial last lines dropped", rep.Dropped)
		}
		fmt.Fprintln(cmd.OutOrStdout())
		return nil
	},
}

var benchLeaderboardOut string

var benchLeaderboardCmd = &cobra.Command{
	Use:   "leaderboard DIR...",
	Short: "Write leaderboard.md/.html/.json and frontier.svg from sweep results",
	Long: `leaderboard aggregates the results under DIR (a sweep directory, a directory
of shard-*/ outputs, or results.jsonl files; several are merged in memory with
merge's rules) per architecture, per architecture × sparsity and per
architecture × hook kind: mean coverage, mean F1, explained variance, L0,
dead fraction, spliced accuracy, cells ok/failed. It writes
leaderboard.md, leaderboard.html, leaderboard.json and frontier.svg (the
L0-vs-coverage Pareto frontier per architecture) into --out (default: the
first DIR, or the directory of the first results file) and prints the
markdown.`,
	Example: `  glassbox bench leaderboard runs/bench
  glassbox bench leaderboard runs/bench --out docs/bench`,
	Args: cobra.MinimumNArgs(1),
	RunE: func(cmd *cobra.Command, args []string) error {
		rs, _, err := bench.LoadResults(args...)
		if err != nil {
			return err
		}
		out := benchLeaderboardOut
		if out == "" {
			out = args[0]
			if st, err := os.Stat(out); err == nil && !st.IsDir() {
				out = filepath.Dir(out) // beside a results file given by name
			}
		}
		lb := bench.Aggregate(rs)
		for _, a := range args {
			if st, err := os.Stat(a); err == nil && !st.IsDir() {
				a = filepath.Dir(a) // a results file: its kept SAEs sit beside it
			}
			if err := lb.AddKept(rs, filepath.Join(a, bench.SAEsDir), benchFlags.serveBase); err != nil {
				return err
			}
			if err := lb.AddTrained(a); err != nil {
				return err
			}
		}
		paths, err := bench.WriteLeaderboard(out, lb)
		if err != nil {
			return err
		}
		cmd.OutOrStdout().Write(lb.Markdown())
		for _, p := range paths {
			fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s\n", p)
		}
		return nil
	},
}

func init() {
	nb := sae.NotebookConfig() // the defaults every job starts from
	f := benchCmd.Flags()
	f.StringVar(&benchFlags.cases, "cases", "all", "case ids: all (InterpBench's 84) or a list with ranges, e.g. 3,4,10-12; .star program files too, e.g. 3,my.star")
	f.StringVar(&benchFlags.hooks, "hooks", strings.Join(bench.DefaultHooks, ","), "hook selectors: residual, mlp, attn, all, KIND:last, or hook names (comma-separated)")
	f.StringVar(&benchFlags.archs, "archs", "standard,gated,topk", "SAE architectures (standard, gated, jumprelu, topk, batchtopk)")
	f.StringVar(&benchFlags.l1, "l1", "0.01,0.1,1", "l1 coefficients for standard, gated, jumprelu")
	f.StringVar(&benchFlags.k, "k", "2,4,8", "k values for topk, batchtopk")
	f.StringVar(&benchFlags.seeds, "seeds", "42", "training seeds")
	f.Int64Var(&benchFlags.tokens, "training-tokens", bench.DefaultTrainingTokens, "training tokens per SAE")
	f.IntVar(&benchFlags.batchTokens, "train-batch-size-tokens", nb.TrainBatchSizeTokens, "SAE training batch in tokens (not part of the cell key: use a new --out to change it)")
	f.Float64Var(&benchFlags.lr, "lr", nb.LR, "SAE learning rate, constant (not part of the cell key)")
	f.Float64Var(&benchFlags.atol, "atol", features.DefaultATol, "numerical programs: an output is correct when |output − program value| < atol (InterpBench's 0.05; not part of the cell key)")
	f.IntVar(&benchFlags.expansion, "expansion", bench.DefaultExpansion, "SAE expansion factor (d_sae / d_in)")
	f.StringVar(&benchFlags.out, "out", "bench-out", "output directory (shards write to OUT/shard-i-of-n/)")
	f.IntVar(&benchFlags.jobs, "jobs", 0, "cells run at once (0: the CPUs this process may use, capped by SLURM_CPUS_PER_TASK)")
	f.StringVar(&benchFlags.shard, "shard", "", "run shard i/n of the grid (0-based i)")
	f.IntVar(&benchFlags.shards, "shards", 0, "shards of the whole grid, for array tasks: the index comes from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX")
	f.BoolVar(&benchFlags.retryFailed, "retry-failed", false, "run again the cells recorded with an error")
	f.BoolVar(&benchFlags.dryRun, "dry-run", false, "print this shard's cells (ID and key) and exit")
	f.BoolVar(&benchFlags.keepSAEs, "keep-saes", false, "keep each cell's trained SAE in OUT/saes/<cell id>/ (SAELens layout); the leaderboard links them to glassbox serve")
	f.StringVar(&benchFlags.serveBase, "serve-base", bench.DefaultServeBase, "where the leaderboard's links to kept SAEs point (the address of glassbox serve OUT/saes/*)")
	f.BoolVar(&benchFlags.noLeaderboard, "no-leaderboard", false, "do not write the leaderboard after an unsharded sweep")
	f.StringVar(&benchFlags.models, "models", bench.ModelCompiled, "model kinds: compiled, siit (each case's SIIT-trained model, trained once into OUT/models/case_N), interpbench (each case's folder in --model-dir)")
	f.StringVar(&benchFlags.modelDir, "model-dir", "", "for --models interpbench: a directory with one model folder per case, DIR/case_N/ or DIR/N/ (an InterpBench download or a glassbox model folder)")
	f.StringVar(&benchFlags.siitRecipe, "siit-recipe", "", "SIIT recipe for --models siit: gen1 or gen2 (default: the case's)")
	f.IntVar(&benchFlags.siitEpochs, "siit-epochs", 0, "maximum SIIT epochs (default: the recipe's)")
	f.IntVar(&benchFlags.siitSamples, "siit-samples", 0, "SIIT dataset rows (default: the recipe's)")
	f.StringVar(&benchFlags.siitModels, "siit-models", "", "run the siit cells on SIIT models trained beforehand, DIR/case_N/ (e.g. a glassbox siit all output), instead of training them")
	benchLeaderboardCmd.Flags().StringVar(&benchLeaderboardOut, "out", "", "directory for the leaderboard files (default: the first DIR)")
	benchCmd.AddCommand(benchMergeCmd, benchLeaderboardCmd)
	rootCmd.AddCommand(benchCmd)
}

// benchSpec builds the grid spec from the flags.
func benchSpec(allCases func() []int) (bench.Spec, error) {
	var s bench.Spec
	var err error
	if s.Cases, s.Programs, err = bench.ParseCases(benchFlags.cases, allCases); err != nil {
		return s, fmt.Errorf("--cases: %w", err)
	}
	s.Hooks = bench.ParseList(benchFlags.hooks)
	s.Archs = bench.ParseList(benchFlags.archs)
	needL1, needK := false, false
	for _, a := range s.Archs {
		p, err := bench.ArchParam(a)
		if err != nil {
			return s, fmt.Errorf("--archs: %w", err)
		}
		needL1, needK = needL1 || p == bench.ParamL1, needK || p == bench.ParamK
	}
	if needL1 {
		if s.L1, err = bench.ParseFloatList(benchFlags.l1); err != nil {
			return s, fmt.Errorf("--l1: %w", err)
		}
	}
	if needK {
		if s.K, err = bench.ParseIntList(benchFlags.k); err != nil {
			return s, fmt.Errorf("--k: %w", err)
		}
	}
	if s.Seeds, err = bench.ParseInt64List(benchFlags.seeds); err != nil {
		return s, fmt.Errorf("--seeds: %w", err)
	}
	if benchFlags.tokens <= 0 {
		return s, fmt.Errorf("--training-tokens %d: expected a positive number", benchFlags.tokens)
	}
	if benchFlags.expansion <= 0 {
		return s, fmt.Errorf("--expansion %d: expected a positive number", benchFlags.expansion)
	}
	s.TrainingTokens, s.Expansion = benchFlags.tokens, benchFlags.expansion
	s.Models = bench.ParseList(benchFlags.models)
	return s.Normalize()
}

// benchShard is the shard to run: --shard, or the array task's index out
// of --shards (bench.ShardFromEnv).
func benchShard(getenv func(string) string) (bench.Shard, error) {
	if benchFlags.shards < 0 {
		return bench.Shard{}, fmt.Errorf("--shards %d: expected a positive number", benchFlags.shards)
	}
	if benchFlags.shard != "" {
		s, err := bench.ParseShard(benchFlags.shard)
		if err == nil && benchFlags.shards > 0 && s.Count != benchFlags.shards {
			err = fmt.Errorf("--shard %s and --shards %d disagree on the shard count", benchFlags.shard, benchFlags.shards)
		}
		return s, err
	}
	s, found, err := bench.ShardFromEnv(getenv, benchFlags.shards)
	if err == nil && !found && benchFlags.shards > 1 {
		err = fmt.Errorf("--shards %d but no array index (SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX): use --shard i/%d", benchFlags.shards, benchFlags.shards)
	}
	return s, err
}

// checkGrid reports the cells that cannot run (unknown or uncompilable
// cases, selectors that match no hook) on w, one line per distinct
// reason, and fails when the grid is empty or no cell can run.
func checkGrid(cells []bench.Cell, w io.Writer) error {
	if len(cells) == 0 {
		return errors.New("bench: the grid has no cells")
	}
	bad, seen := 0, map[string]bool{}
	var reasons []string
	for _, c := range cells {
		if c.ExpandErr == "" {
			continue
		}
		bad++
		if !seen[c.ExpandErr] {
			seen[c.ExpandErr] = true
			reasons = append(reasons, c.ExpandErr)
		}
	}
	if bad == 0 {
		return nil
	}
	if len(reasons) > 10 {
		reasons = append(reasons[:10], fmt.Sprintf("… and %d more", len(reasons)-10))
	}
	msg := fmt.Sprintf("%d of %d cells cannot run:\n  %s", bad, len(cells), strings.Join(reasons, "\n  "))
	if bad == len(cells) {
		return fmt.Errorf("bench: no cell of the grid can run (%s)", msg)
	}
	fmt.Fprintf(w, "bench: warning: %s\n(they are recorded as failed)\n", msg)
	return nil
}

func runBench(cmd *cobra.Command, _ []string) error {
	shard, err := benchShard(nil)
	if err != nil {
		return err
	}
	if benchFlags.batchTokens <= 0 || !(benchFlags.lr > 0) {
		return fmt.Errorf("--train-batch-size-tokens %d, --lr %v: expected positive numbers", benchFlags.batchTokens, benchFlags.lr)
	}
	if !(benchFlags.atol > 0) || benchFlags.atol > 1e300 {
		return fmt.Errorf("--atol %v: expected a positive number", benchFlags.atol)
	}
	ropts := bench.RunnerOptions{TrainBatchSizeTokens: benchFlags.batchTokens, LR: benchFlags.lr, ATol: benchFlags.atol}.WithDefaults()
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if benchFlags.keepSAEs {
		ropts.KeepDir = filepath.Join(bench.ShardDir(benchFlags.out, shard), bench.SAEsDir)
	}
	backend, err := bench.RealBackend(ropts)
	if err != nil {
		return err
	}
	spec, err := benchSpec(backend.AllCases)
	if err != nil {
		return err
	}
	withSIIT, withIB := slices.Contains(spec.Models, bench.ModelSIIT), slices.Contains(spec.Models, bench.ModelInterpBench)
	if !withSIIT && (benchFlags.siitRecipe != "" || benchFlags.siitEpochs != 0 || benchFlags.siitSamples != 0 || benchFlags.siitModels != "") {
		return fmt.Errorf("--siit-recipe, --siit-epochs, --siit-samples and --siit-models need --models with siit")
	}
	if benchFlags.siitModels != "" && (benchFlags.siitRecipe != "" || benchFlags.siitEpochs != 0 || benchFlags.siitSamples != 0) {
		return fmt.Errorf("--siit-models uses models trained beforehand: --siit-recipe, --siit-epochs and --siit-samples do not apply")
	}
	siitModels := ""
	if benchFlags.siitModels != "" {
		if siitModels, err = modelFoldersDir("--siit-models", benchFlags.siitModels); err != nil {
			return err
		}
	}
	switch {
	case withIB && benchFlags.modelDir == "":
		return fmt.Errorf("--models %s needs --model-dir DIR (one model folder per case: DIR/case_N/ or DIR/N/)", bench.ModelInterpBench)
	case !withIB && benchFlags.modelDir != "":
		return fmt.Errorf("--model-dir needs --models with %s", bench.ModelInterpBench)
	}
	if withIB {
		if ropts.ModelDir, err = modelFoldersDir("--model-dir", benchFlags.modelDir); err != nil {
			return err
		}
	}
	if withSIIT || withIB {
		if withSIIT {
			ropts.SIIT = bench.SIITOptions{Enabled: true, Recipe: benchFlags.siitRecipe, Epochs: benchFlags.siitEpochs, Samples: benchFlags.siitSamples, Models: siitModels}
		}
		stderr := cmd.ErrOrStderr()
		backend, err = bench.RealBackendModels(ropts, bench.ModelsOptions{Dir: benchFlags.out, SIIT: ropts.SIIT.Settings(), Context: ctx, InterpBenchDir: ropts.ModelDir, SIITDir: siitModels,
			Trained: func(subj bench.Subject, m *trained.Model) {
				if !m.Reused {
					fmt.Fprintf(stderr, "\n%s: SIIT model trained in %.1fs into %s (val accuracy %.4f, IIA %.4f, strict %.4f)\n", subj, m.Seconds, m.Dir, m.Val.Accuracy, m.Val.IIA, m.Val.Strict)
				}
			}})
		if err != nil {
			return err
		}
	}
	cells, notes, err := backend.Expand(spec)
	if err != nil {
		return err
	}
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	for _, n := range notes {
		fmt.Fprintf(stderr, "bench: %s\n", n)
	}
	if err := checkGrid(cells, stderr); err != nil {
		if len(notes) > 0 && len(cells) == 0 {
			err = fmt.Errorf("%w (%s)", err, strings.Join(notes, "; "))
		}
		return err
	}
	if benchFlags.dryRun {
		mine := shard.Select(cells)
		for _, c := range mine {
			line := c.ID() + "  " + c.Key()
			if c.ExpandErr != "" {
				line += "  (fails: " + c.ExpandErr + ")"
			}
			fmt.Fprintln(stdout, line)
		}
		fmt.Fprintf(stderr, "%d of %d cells in shard %s\n", len(mine), len(cells), shard)
		return nil
	}
	dir := bench.ShardDir(benchFlags.out, shard)
	if err := bench.WriteSpec(dir, bench.SweepInfo{Spec: spec, Shard: shard.String(), Runner: ropts}); err != nil {
		return err
	}
	if backend.Plan != nil {
		backend.Plan(shard.Select(cells))
	}
	jobs := benchFlags.jobs
	if jobs <= 0 {
		jobs = bench.DefaultJobs(nil)
	}
	fmt.Fprintf(stderr, "bench: shard %s, %d of %d cells, %d at once, into %s\n", shard, len(shard.Select(cells)), len(cells), jobs, dir)
	sum, err := bench.Sweep(ctx, cells, backend.Run, bench.Options{
		Dir: dir, Jobs: jobs, Shard: shard, RetryFailed: benchFlags.retryFailed,
		Progress: progressPrinter(stderr), Cost: backend.Cost, Provenance: backend.Provenance,
	})
	fmt.Fprintf(stderr, "\n%s: %d cells, %d already done, %d ok and %d failed this run, %d left\n",
		sum.Path, sum.Total, sum.Skipped, sum.OK, sum.Failed, sum.Remaining)
	if err != nil {
		return err
	}
	if shard.Whole() && !benchFlags.noLeaderboard {
		rs, _, err := bench.ReadResults(dir)
		if err != nil {
			return err
		}
		lb := bench.Aggregate(rs)
		if err := lb.AddKept(rs, filepath.Join(dir, bench.SAEsDir), benchFlags.serveBase); err != nil {
			return err
		}
		if err := lb.AddTrained(dir); err != nil {
			return err
		}
		if _, err := bench.WriteLeaderboard(dir, lb); err != nil {
			return err
		}
		stdout.Write(lb.Markdown())
		if len(lb.Kept) > 0 {
			fmt.Fprintf(stderr, "kept %d SAEs in %s: browse them with glassbox serve %s/* (the leaderboard links each cell)\n",
				len(lb.Kept), filepath.Join(dir, bench.SAEsDir), filepath.Join(dir, bench.SAEsDir))
		}
	}
	return nil
}

// progressPrinter reports progress on w: on a terminal it rewrites one
// status line at most twice a second; otherwise (a batch job's log) it
// prints a line every 30 seconds. The last cell is always reported.
func progressPrinter(w io.Writer) func(bench.Progress) {
	tty := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil {
			tty = st.Mode()&os.ModeCharDevice != 0
		}
	}
	every, prefix, suffix := 30*time.Second, "", "\n"
	if tty {
		every, prefix, suffix = 500*time.Millisecond, "\r", "   "
	}
	var last time.Time
	return func(p bench.Progress) {
		if time.Since(last) < every && p.Remaining() > 0 {
			return
		}
		last = time.Now()
		fmt.Fprintf(w, "%s%s%s", prefix, p, suffix)
	}
}

// modelFoldersDir checks that dir, the value of flag, is a directory (of
// model folders, DIR/case_N/ or DIR/N/) and returns it absolute, as
// spec.json records it.
func modelFoldersDir(flag, dir string) (string, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return "", fmt.Errorf("%s: %w", flag, err)
	}
	if !st.IsDir() {
		return "", fmt.Errorf("%s %s: expected a directory of model folders (DIR/case_N/ or DIR/N/)", flag, dir)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("%s: %w", flag, err)
	}
	return abs, nil
}
