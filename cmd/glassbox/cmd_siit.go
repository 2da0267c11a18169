package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/glassbox-interp/glassbox/bench"
	"github.com/glassbox-interp/glassbox/cases"
	"github.com/glassbox-interp/glassbox/formats/atomicfile"
	"github.com/glassbox-interp/glassbox/siit"
)

// siitF holds the flags of the siit command.
var siitF struct {
	out, recipe, corr, shard, strictMode                 string
	sameSize, singleLoss, resume, quiet, strictSquared   bool
	ratio, lr, iitW, strictW, behaviorW, earlyStop, clip float64
	dModel, nHeads, dHead, epochs, batch, samples        int
	seed, initSeed                                       int64
	compile                                              compileFlags
	evalCase, evalProgram                                string
	evalJSON                                             bool
	tableThreshold                                       float64
	tableOut                                             string
}

func init() {
	f := &siitF
	cmd := &cobra.Command{
		Use:   "siit CASE|FILE.star|all",
		Short: "Train InterpBench-style models with Strict Interchange Intervention Training",
		Long: `siit trains a low-level (LL) transformer that implements a RASP program's circuit, as
InterpBench trains its released models: the compiled tracr model is the
high-level (HL) model; the LL is smaller (InterpBench's shape rules), GELU, no
LayerNorm, and is trained with the IIT loss (an HL node and its LL nodes patched
from a source input), the strict loss (non-circuit LL nodes patched, the base's
output required) and the behaviour loss.

Recipes: gen1 (June 2024: lr 1e-2, Adam(0.9, 0.999), batch 512, losses over
every position, early stop at 100 %, 24k samples) and gen2 (Sep-Oct 2024: lr
1e-3, Adam(0.9, 0.9), batch 256, BOS dropped, early stop at 99.5 %, the squared
strict weight). The default is the recipe that produced the case's released
model, else gen2 without the squared strict weight; per-case strict weights
(case 3: 10) apply. Flags change single settings.

The output folder has InterpBench's layout (ll_model.pth, ll_model_cfg.pkl,
meta.json, edges.pkl), correspondence.json, glassbox's config.json +
model.safetensors, metrics.jsonl (one line per epoch, flushed), and a
checkpoint after every epoch: --resume continues a stopped run exactly.
Ctrl-C stops after the current batch with the last epoch's checkpoint kept.

"all" trains every InterpBench case into OUT/case_N/ (resumable, --shard i/n),
records one error per failing case and writes OUT/table.md.

A .star program in no catalogue uses the default shape rules with ratio 2;
--correspondence FILE maps its HL nodes to other LL nodes (a JSON list of
{"hl": {"label", "hook", "head"}, "ll": [{"hook", "head"}]}, "head": null for MLPs).`,
		Example: `  glassbox siit 3                                   # case 3 → runs/siit/case_3
  glassbox siit 3 --recipe gen2 --out runs/siit/case_3-gen2
  glassbox siit my_prog.star --vocab a,b,c --max-seq-len 6 --out runs/siit/mine
  glassbox siit all --out runs/siit-all --shard 0/4
  glassbox siit eval runs/siit/case_3
  glassbox run --model runs/siit/case_3 --case 3 --tokens "BOS a x b x"`,
		Args: cobra.ExactArgs(1),
		RunE: runSIIT,
	}
	fl := cmd.Flags()
	fl.StringVar(&f.out, "out", "", "output folder (default runs/siit/case_N, runs/siit/NAME, or runs/siit-all)")
	fl.StringVar(&f.recipe, "recipe", "", "gen1 or gen2 (default: the case's released recipe, else gen2 without the squared strict weight)")
	fl.StringVar(&f.corr, "correspondence", "", "correspondence file overriding the default HL → LL map")
	fl.BoolVar(&f.sameSize, "same-size", false, "keep the HL's head and layer counts (InterpBench's same_size; residual divided by the ratio)")
	fl.Float64Var(&f.ratio, "ratio", 0, "compression ratio (default: the case's, else 2)")
	fl.IntVar(&f.dModel, "d-model", 0, "LL d_model (default: the shape rule)")
	fl.IntVar(&f.nHeads, "n-heads", 0, "LL n_heads (default: max(4, HL))")
	fl.IntVar(&f.dHead, "d-head", 0, "LL d_head (default: the shape rule)")
	fl.IntVar(&f.epochs, "epochs", 0, "maximum epochs (default: the recipe's, 2000)")
	fl.Float64Var(&f.lr, "lr", 0, "learning rate (default: the recipe's)")
	fl.IntVar(&f.batch, "batch-size", 0, "pairs per batch (default: the recipe's)")
	fl.IntVar(&f.samples, "samples", 0, "dataset rows to sample (default: the recipe's)")
	fl.Float64Var(&f.iitW, "iit-weight", -1, "IIT loss weight (default: the recipe's)")
	fl.Float64Var(&f.strictW, "strict-weight", -1, "strict loss weight (default: the case's)")
	fl.Float64Var(&f.behaviorW, "behavior-weight", -1, "behaviour loss weight (default: the recipe's)")
	fl.BoolVar(&f.strictSquared, "strict-weight-squared", false, "multiply the strict loss by its weight twice (iit after 2024-08-12); set =false to turn it off for gen2")
	fl.StringVar(&f.strictMode, "siit-sampling", "", "non-circuit nodes per strict step: individual, sample_all or all")
	fl.BoolVar(&f.singleLoss, "single-loss", false, "one optimiser step on the sum of the three losses")
	fl.Float64Var(&f.earlyStop, "early-stop", -1, "stop when accuracy, IIA and strict accuracy reach this fraction (0 = never; default: the recipe's)")
	fl.Float64Var(&f.clip, "clip-grad-norm", -1, "gradient-norm clip (default: the recipe's, 0.1)")
	fl.Int64Var(&f.seed, "seed", 0, "training seed (pairs, order, node draws)")
	fl.Int64Var(&f.initSeed, "init-seed", 0, "LL initialisation seed (InterpBench: 0)")
	fl.BoolVar(&f.resume, "resume", false, "continue the run in --out from its checkpoint")
	fl.StringVar(&f.shard, "shard", "", "with all: run shard i/n of the case list (0-based i)")
	fl.BoolVar(&f.quiet, "quiet", false, "no per-epoch progress lines")
	fl.StringVar(&f.compile.vocab, "vocab", "", "for a .star file: comma-separated vocabulary")
	fl.IntVar(&f.compile.maxSeqLen, "max-seq-len", 0, "for a .star file: maximum input length counting BOS")

	ev := &cobra.Command{
		Use:   "eval DIR",
		Short: "Accuracy, IIA, strict accuracy and per-node effects of a SIIT model folder",
		Long: `eval scores a model folder — one glassbox siit wrote, or an InterpBench download
(ll_model.pth + ll_model_cfg.pkl) — against its case: accuracy, IIA per HL node
and their mean, strict accuracy per non-circuit node and their mean, and every
LL node's resample-ablation effect (among positions where base and source have
different HL outputs, how often patching the node alone from the source
changes the LL's answer). Pairs: the validation pairs of the case's default
data, and every pair of distinct validation rows when there are few. The
correspondence is the folder's correspondence.json, else InterpBench's default.`,
		Example: `  glassbox siit eval runs/siit/case_3
  glassbox siit eval InterpBench/3 --case 3 --json`,
		Args: cobra.ExactArgs(1),
		RunE: runSIITEval,
	}
	ev.Flags().StringVar(&f.evalCase, "case", "", "case number (default: the folder's meta.json)")
	ev.Flags().StringVar(&f.evalProgram, "program", "", "a .star program instead of a case")
	ev.Flags().BoolVar(&f.evalJSON, "json", false, "print the report as JSON")
	ev.Flags().IntVar(&f.samples, "samples", 0, "dataset rows to sample (default: the case's recipe's); the last 20 % give the validation pairs")
	ev.Flags().StringVar(&f.compile.vocab, "vocab", "", "for --program: comma-separated vocabulary")
	ev.Flags().IntVar(&f.compile.maxSeqLen, "max-seq-len", 0, "for --program: maximum input length counting BOS")
	tb := &cobra.Command{
		Use:   "table DIR...",
		Short: "The quality table of trained model folders (case, LL shape, epochs, accuracy, IIA, strict accuracy)",
		Long: `table reads the meta.json of model folders glassbox siit wrote — each DIR is a
model folder or a folder of them, such as a siit all output (case_N) or a
benchmark's models/ folder — and prints a Markdown table of each model's
best-epoch validation metrics, followed by the cases below --threshold on
any metric. Folders still training (no meta.json yet) are named and skipped.
The seconds column is training time only.`,
		Example: `  glassbox siit table runs/siit-all
  glassbox siit table bench-out/models --out docs/models.md`,
		Args: cobra.MinimumNArgs(1),
		RunE: runSIITTable,
	}
	tb.Flags().Float64Var(&f.tableThreshold, "threshold", 0.99, "name the cases below this fraction on any metric")
	tb.Flags().StringVar(&f.tableOut, "out", "", "also write the table to this file")
	cmd.AddCommand(ev, tb)
	rootCmd.AddCommand(cmd)
}

// siitSetup turns the flags into a siit.Setup.
func siitSetup(cmd *cobra.Command) siit.Setup {
	f := &siitF
	s := siit.Setup{Recipe: f.recipe, Correspondence: f.corr,
		Shape: siit.Shape{SameSize: f.sameSize, Ratio: f.ratio, DModel: f.dModel, NHeads: f.nHeads, DHead: f.dHead}}
	changed := cmd.Flags().Changed
	s.Adjust = func(r *siit.Recipe) {
		if f.epochs != 0 {
			r.Epochs = f.epochs
		}
		if changed("lr") {
			r.LR = f.lr
		}
		if changed("batch-size") {
			r.BatchSize = f.batch
		}
		if changed("samples") {
			r.FixSamples(f.samples)
		}
		if changed("iit-weight") {
			r.IITWeight = f.iitW
		}
		if changed("strict-weight") {
			r.StrictWeight = f.strictW
		}
		if changed("behavior-weight") {
			r.BehaviorWeight = f.behaviorW
		}
		if changed("strict-weight-squared") {
			r.StrictSquared = f.strictSquared
		}
		if changed("siit-sampling") {
			r.StrictMode = f.strictMode
		}
		if changed("single-loss") {
			r.SingleLoss = f.singleLoss
		}
		if changed("early-stop") {
			r.EarlyStop = f.earlyStop
		}
		if changed("clip-grad-norm") {
			r.ClipGradNorm = f.clip
		}
	}
	return s
}

func epochPrinter(w io.Writer, prefix string) func(siit.EpochStats) {
	return func(st siit.EpochStats) {
		best := ""
		if st.Best {
			best = "  *best"
		}
		fmt.Fprintf(w, "%sepoch %4d  loss iit %.4g strict %.4g behaviour %.4g  val acc %6.2f%% IIA %6.2f%% strict %6.2f%%  %7.0f samples/s%s\n",
			prefix, st.Epoch, st.IITLoss, st.StrictLoss, st.BehaviorLoss, 100*st.Val.Accuracy, 100*st.Val.IIA,
			100*st.Val.Strict, st.SamplesPerS, best)
	}
}

func runSIIT(cmd *cobra.Command, args []string) error {
	f := &siitF
	out, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	setup := siitSetup(cmd)
	opt := siit.Options{Seed: f.seed, InitSeed: f.initSeed}
	if args[0] == "all" {
		dir := f.out
		if dir == "" {
			dir = "runs/siit-all"
		}
		so := siit.SweepOptions{Out: dir, Setup: setup, Train: opt, ShardCount: 1}
		if f.shard != "" {
			sh, err := bench.ParseShard(f.shard)
			if err != nil {
				return err
			}
			so.ShardIndex, so.ShardCount = sh.Index, sh.Count
		}
		if !f.quiet {
			so.Progress = func(name string, st siit.EpochStats) {
				if st.Epoch%10 == 0 || st.Best {
					epochPrinter(stderr, "case "+name+" ")(st)
				}
			}
		}
		so.Done = func(r siit.SweepRow) {
			if r.Error != "" {
				fmt.Fprintf(out, "case %-4s error: %s\n", r.Case, r.Error)
				return
			}
			fmt.Fprintf(out, "case %-4s %-22s epochs %4d (best %4d)  acc %6.2f%% IIA %6.2f%% strict %6.2f%%  %.1fs\n",
				r.Case, r.LL, r.Epochs, r.BestEpoch, 100*r.Accuracy, 100*r.IIA, 100*r.Strict, r.Seconds)
		}
		if _, err := siit.Sweep(ctx, interpBenchIDs(), so); err != nil {
			return err
		}
		rows, err := siit.ReadSweeps(dir)
		if err != nil {
			return err
		}
		table := siit.Table(rows, 0.99)
		if err := os.WriteFile(filepath.Join(dir, "table.md"), []byte(table), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(out, "wrote %s\n", filepath.Join(dir, "table.md"))
		return nil
	}
	c, err := loadCompileCase(args[0], f.compile)
	if err != nil {
		return err
	}
	j, err := siit.Prepare(c, setup)
	if err != nil {
		return err
	}
	opt.Out = f.out
	if opt.Out == "" {
		opt.Out = filepath.Join("runs", "siit", "case_"+strings.TrimSuffix(filepath.Base(c.Name()), ".star"))
	}
	opt.Resume = f.resume
	fmt.Fprintf(out, "case %s: HL %d layers, %d heads, d_model %d, d_head %d → LL %s (init σ %.4f)\n", c.Name(),
		j.Comp.Config.NLayers, j.Comp.Config.NHeads, j.Comp.Config.DModel, j.Comp.Config.DHead, siit.ShapeString(j), j.InitStd)
	fmt.Fprintf(out, "recipe %s\n", j.Recipe)
	fmt.Fprintf(out, "data: %s; %d training / %d validation rows\n", j.Data.Rule, len(j.Data.Train), len(j.Data.Val))
	for _, e := range j.Corr.Entries {
		ll := make([]string, len(e.LL))
		for i, n := range e.LL {
			ll[i] = n.String()
		}
		fmt.Fprintf(out, "  %-28s %-32s → %s\n", e.HL.Label, e.HL.Node(), strings.Join(ll, ", "))
	}
	fmt.Fprintf(out, "  %d non-circuit LL nodes\n", len(j.Corr.NonCircuit))
	if !f.quiet {
		opt.Progress = epochPrinter(stderr, "")
	}
	res, err := j.TrainModel(ctx, opt)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%s after %d epochs (%.1fs); best epoch %d: %s\n", res.Stopped, res.Epochs, res.Seconds, res.BestEpoch, res.Val)
	if res.AllPairs != nil {
		fmt.Fprintf(out, "over every pair of distinct validation rows: %s\n", res.AllPairs)
	}
	fmt.Fprintf(out, "wrote %s (ll_model.pth, ll_model_cfg.pkl, meta.json, edges.pkl, correspondence.json, config.json, model.safetensors, metrics.jsonl)\n", opt.Out)
	return nil
}

func interpBenchIDs() []int {
	var ids []int
	for _, id := range cases.IDs() {
		if cases.InInterpBench(id) {
			ids = append(ids, id)
		}
	}
	return ids
}

func runSIITTable(cmd *cobra.Command, args []string) error {
	f := &siitF
	if f.tableThreshold < 0 || f.tableThreshold > 1 {
		return fmt.Errorf("siit table: --threshold %v, want 0 … 1", f.tableThreshold)
	}
	rows, skipped, err := siit.FolderRows(args)
	if err != nil {
		return fmt.Errorf("siit table: %w", err)
	}
	for _, s := range skipped {
		fmt.Fprintf(cmd.ErrOrStderr(), "siit table: %s: no meta.json yet (still training?), skipped\n", s)
	}
	table := siit.Table(rows, f.tableThreshold)
	if f.tableOut != "" {
		if err := atomicfile.WriteFile(f.tableOut, []byte(table), 0o644); err != nil {
			return fmt.Errorf("siit table: %w", err)
		}
	}
	_, err = io.WriteString(cmd.OutOrStdout(), table)
	return err
}

func runSIITEval(cmd *cobra.Command, args []string) error {
	f := &siitF
	out := cmd.OutOrStdout()
	dir := args[0]
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return fmt.Errorf("siit eval: %s is not a model folder", dir)
	}
	var c *cases.Case
	var err error
	switch {
	case f.evalProgram != "" && f.evalCase != "":
		return errors.New("siit eval: give --case or --program, not both")
	case f.evalProgram != "":
		c, err = loadCompileCase(f.evalProgram, f.compile)
	default:
		name := f.evalCase
		if name == "" {
			name = siit.FolderCase(dir)
		}
		if name == "" {
			return fmt.Errorf("siit eval: %s does not say which case it implements (no glassbox meta.json): give --case N or --program FILE", dir)
		}
		id, perr := strconv.Atoi(name)
		if perr != nil {
			return fmt.Errorf("siit eval: %s was trained on %q, which is not a catalogue case: give --program FILE", dir, name)
		}
		c, err = cases.Get(id)
	}
	if err != nil {
		return err
	}
	var setup siit.Setup
	if cmd.Flags().Changed("samples") {
		setup.Adjust = func(r *siit.Recipe) { r.FixSamples(f.samples) }
	}
	ev, err := siit.EvaluateFolder(dir, c, setup, 0, 0)
	if err != nil {
		return err
	}
	if f.evalJSON {
		b, err := json.MarshalIndent(ev, "", " ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(out, string(b))
		return err
	}
	fmt.Fprintf(out, "%s on case %s (LL %s)\n", dir, ev.Case, siit.ShapeString(ev.Job))
	printMetrics := func(title string, m *siit.Metrics) {
		fmt.Fprintf(out, "%s: %s\n", title, m)
		for k, e := range ev.Correspondence {
			fmt.Fprintf(out, "  IIA    %-28s %-32s %7.2f%%\n", e.HL.Label, e.HL.Node(), 100*m.IIAPerNode[k])
		}
		for s, n := range ev.NonCircuit {
			fmt.Fprintf(out, "  strict %-61s %7.2f%%\n", n, 100*m.StrictPerNode[s])
		}
		for _, e := range m.Effect {
			kind := "non-circuit"
			if e.Circuit {
				kind = "circuit"
			}
			fmt.Fprintf(out, "  effect %-40s %-12s %.3f (%d positions)\n", e.Node, kind, e.Effect, e.Positions)
		}
	}
	printMetrics("validation pairs", &ev.Val)
	if ev.AllPairs != nil {
		printMetrics("every pair of distinct validation rows", ev.AllPairs)
	}
	return nil
}
