package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/glassbox-interp/glassbox/cases"
	"github.com/glassbox-interp/glassbox/rasp/star"
	"github.com/glassbox-interp/glassbox/tracr"
)

type compileFlags struct {
	out          string
	vocab        string
	maxSeqLen    int
	minSeqLen    int
	causal       bool
	noCausal     bool
	check        bool
	rows         int
	mlpExactness float64
	quiet        bool
	maxSteps     uint64
	maxBytes     uint64
	maxParams    int64
}

// compileF holds the flags of the compile command.
var compileF = compileFlags{mlpExactness: 100, maxSteps: star.DefaultMaxSteps, maxBytes: star.DefaultMaxBytes}

func init() {
	f := &compileF
	cmd := &cobra.Command{
		Use:   "compile N|FILE.star|all",
		Short: "Compile a RASP program to transformer weights with tracr's rules",
		Long: `compile runs glassbox's Go port of the tracr compiler (the circuits-benchmark fork)
on a catalogue case (by number), a .star file, or every case ("all").

It prints the model's layout (layers, heads, d_model, d_mlp, and the variables
each block reads and writes) and the hl→ll alignment. With --out it writes
config.json and model.safetensors (TransformerLens names, the layout
"glassbox run" and model.Load read), residual_labels.json, alignment.json and
tokenizer.json.

Causal or not: catalogue cases are causal as circuits-benchmark compiles
them; a .star file is causal (a causal attention mask) unless it sets
causal = False or you pass --bidirectional. Note that tracr's compiler
defaults to non-causal (compile_rasp_to_model(causal=False)): to reproduce a
plain tracr compile of your program, pass --bidirectional.

--check runs the compiled model on the case's dataset (every gen_all_data row
when there are at most 5000, otherwise 2000 rows sampled with seed 42, or
--rows N sampled rows) and compares it with RASP evaluation, split into
unpadded and padded rows: ordinary evaluation for a bidirectional model, and
for a causal one causal evaluation (position i compared with the program's
value at i on the first i+1 tokens, all a causal mask lets the model see).
The exit status is 1 if an unpadded row differs.
tracr itself is inexact on padded rows of some bidirectional cases (PAD is
not masked): such cases are listed as "tracr-inexact (padded)".`,
		Example: `  glassbox compile 3
  glassbox compile 3 --out runs/case3-model --check
  glassbox compile my_prog.star --vocab a,b,c --max-seq-len 6 --causal
  glassbox compile all --check --rows 200`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if args[0] == "all" {
				return compileAll(cmd, *f)
			}
			return compileOne(cmd, args[0], *f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.out, "out", "", "directory to write the compiled model to")
	fl.StringVar(&f.vocab, "vocab", "", "comma-separated vocabulary (ints and floats are parsed as numbers) for a .star file")
	fl.IntVar(&f.maxSeqLen, "max-seq-len", 0, "maximum input length counting BOS (default: the file's, else 10)")
	fl.IntVar(&f.minSeqLen, "min-seq-len", 0, "minimum input length counting BOS, for --check data (default: the file's, else 4)")
	fl.BoolVar(&f.causal, "causal", false, "force a causal attention mask")
	fl.BoolVar(&f.noCausal, "bidirectional", false, "force bidirectional attention")
	fl.BoolVar(&f.check, "check", false, "compare the compiled model with RASP evaluation on the dataset")
	fl.IntVar(&f.rows, "rows", 0, "with --check: number of seeded sample rows (0: the reference dataset)")
	fl.Float64Var(&f.mlpExactness, "mlp-exactness", 100, "slope of the discretising MLPs (tracr's mlp_exactness)")
	fl.BoolVar(&f.quiet, "quiet", false, "print only the check result")
	fl.Int64Var(&f.maxParams, "max-params", tracr.DefaultMaxParams, "refuse models (and compiler blocks) with more parameters than this")
	fl.Uint64Var(&f.maxSteps, "max-steps", star.DefaultMaxSteps, "Starlark step budget of a .star file (loading, compiling and checking share it)")
	fl.Uint64Var(&f.maxBytes, "max-memory", star.DefaultMaxBytes, "memory budget of a .star file in bytes (large strings, lists and numbers it builds)")
	rootCmd.AddCommand(cmd)
}

func loadCompileCase(arg string, f compileFlags) (*cases.Case, error) {
	if id, err := strconv.Atoi(arg); err == nil {
		if f.vocab != "" || f.maxSeqLen != 0 || f.minSeqLen != 0 || f.causal || f.noCausal {
			return nil, errors.New("--vocab, --max-seq-len, --min-seq-len, --causal and --bidirectional apply to .star files, not catalogue cases")
		}
		return cases.Get(id)
	}
	src, err := os.ReadFile(arg)
	if err != nil {
		return nil, fmt.Errorf("read program: %w", err)
	}
	opts := cases.LoadOptions{MaxSeqLen: f.maxSeqLen, MinSeqLen: f.minSeqLen, MaxSteps: f.maxSteps, MaxBytes: f.maxBytes}
	if f.vocab != "" {
		opts.Vocab = cases.ParseVocab(f.vocab)
	}
	if f.causal && f.noCausal {
		return nil, errors.New("--causal and --bidirectional are exclusive")
	}
	if f.causal || f.noCausal {
		c := f.causal
		opts.Causal = &c
	}
	return cases.LoadFile(filepath.Base(arg), src, opts)
}

func compileOne(cmd *cobra.Command, arg string, f compileFlags) error {
	out := cmd.OutOrStdout()
	c, err := loadCompileCase(arg, f)
	if err != nil {
		return err
	}
	start := time.Now()
	comp, err := tracr.CompileCaseLimit(c, f.mlpExactness, f.maxParams)
	if err != nil {
		return err
	}
	took := time.Since(start)
	if !f.quiet {
		fmt.Fprintf(out, "case %s: compiled in %s\n", c.Name(), took.Round(time.Millisecond))
		fmt.Fprint(out, comp.Summary())
		fmt.Fprintln(out, "alignment:")
		for _, l := range comp.Alignment.Lines() {
			fmt.Fprintln(out, "  "+l)
		}
	}
	if f.out != "" {
		if err := comp.Save(f.out); err != nil {
			return err
		}
		if !f.quiet {
			fmt.Fprintf(out, "wrote %s\n", f.out)
		}
	}
	if !f.check {
		return nil
	}
	res, err := tracr.CheckCase(c, comp, f.rows)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, checkLine(c, res))
	if res.FirstMismatch != "" && !f.quiet {
		fmt.Fprintf(out, "  first mismatch: %s\n", res.FirstMismatch)
	}
	if res.MismatchRowsUnpadded > 0 {
		return fmt.Errorf("case %s: %d unpadded rows differ from RASP (%s)", c.Name(), res.MismatchRowsUnpadded, maskNote(c))
	}
	return nil
}

// maskNote says how a check compared: causal models with causal evaluation.
func maskNote(c *cases.Case) string {
	if c.Causal {
		return "causal model, compared with RASP on each prefix; .star files are causal unless they set causal = False or get --bidirectional, while tracr's compiler defaults to non-causal"
	}
	return "bidirectional model, compared with RASP on whole inputs"
}

func pct(bad, total int) string {
	if total == 0 {
		return "    -"
	}
	return fmt.Sprintf("%5.1f%%", 100*float64(total-bad)/float64(total))
}

func checkLine(c *cases.Case, r *tracr.CheckResult) string {
	unp := r.Rows - r.RowsPadded
	status := "exact"
	switch {
	case r.MismatchRowsUnpadded > 0:
		status = "MISMATCH"
	case r.MismatchRowsPadded > 0:
		status = "tracr-inexact (padded rows: PAD is not masked)"
	}
	if c.Causal {
		status += " (causal: RASP on each prefix)"
	}
	line := fmt.Sprintf("case %-4s rows %5d  unpadded %s (%d/%d)  padded %s (%d/%d)  %s",
		c.Name(), r.Rows, pct(r.MismatchRowsUnpadded, unp), unp-r.MismatchRowsUnpadded, unp,
		pct(r.MismatchRowsPadded, r.RowsPadded), r.RowsPadded-r.MismatchRowsPadded, r.RowsPadded, status)
	if !c.Categorical {
		line += fmt.Sprintf("  max |err| %.2g", r.MaxAbsErr)
	}
	return line
}

func compileAll(cmd *cobra.Command, f compileFlags) error {
	out := cmd.OutOrStdout()
	if f.out != "" {
		return errors.New("--out is for a single case")
	}
	all, err := cases.All()
	if err != nil {
		return err
	}
	start := time.Now()
	var compileTime time.Duration
	failed, inexact := 0, 0
	for _, c := range all {
		t0 := time.Now()
		comp, err := tracr.CompileCaseLimit(c, f.mlpExactness, f.maxParams)
		compileTime += time.Since(t0)
		if err != nil {
			fmt.Fprintf(out, "case %-4d ERROR %v\n", c.ID, err)
			failed++
			continue
		}
		if !f.check {
			cfg := comp.Config
			fmt.Fprintf(out, "case %-4d layers %d heads %d d_model %4d d_head %3d d_mlp %4d  %s\n",
				c.ID, cfg.NLayers, cfg.NHeads, cfg.DModel, cfg.DHead, cfg.DMLP, comp.OutputLabel)
			continue
		}
		res, err := tracr.CheckCase(c, comp, f.rows)
		if err != nil {
			fmt.Fprintf(out, "case %-4d ERROR %v\n", c.ID, err)
			failed++
			continue
		}
		fmt.Fprintln(out, checkLine(c, res))
		if res.MismatchRowsUnpadded > 0 {
			failed++
		} else if res.MismatchRowsPadded > 0 {
			inexact++
		}
	}
	fmt.Fprintf(out, "%d cases: compile %s, total %s; %d failed, %d tracr-inexact on padded rows\n",
		len(all), compileTime.Round(time.Millisecond), time.Since(start).Round(time.Millisecond), failed, inexact)
	if failed > 0 {
		return fmt.Errorf("%d cases failed", failed)
	}
	return nil
}
