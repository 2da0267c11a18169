package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/glassbox-interp/glassbox/cases"
	"github.com/glassbox-interp/glassbox/rasp"
	"github.com/glassbox-interp/glassbox/rasp/star"
)

// evalOptions are the flags of `glassbox eval`.
type evalOptions struct {
	inputs    []string
	vocab     string
	maxSeqLen int
	json      bool
	selectors bool
	maxSteps  uint64
	maxBytes  uint64
}

// newEvalCmd builds the `eval` command (fresh flags each time, for tests).
func newEvalCmd() *cobra.Command {
	var o evalOptions
	cmd := &cobra.Command{
		Use:   "eval FILE.star|CASE --input \"a x b\" | eval RUN|SAE_DIR",
		Short: "Evaluate a RASP program on inputs (trace of every variable), or an SAE run directory",
		Long: `eval runs a RASP program with tracr's reference evaluator (non-causal, no BOS)
and prints its trace: one row per variable of the program graph (every variable
after the ones it reads, output last; label, encoding, then one column per
position), values printed as
Python's str() prints them. Position 0 is the first content token: the trace
has no BOS column (the compiled model's BOS position has no RASP value).

Causal or not: eval evaluates whole inputs (every position sees every
token), as tracr's evaluator does. A .star file is causal unless it sets
causal = False (compile's default, like the catalogue's; tracr's compiler
defaults to non-causal): its causal model computes at position i what eval
prints at i for the first i+1 tokens (give that prefix as --input).

The program is a catalogue case number (see glassbox cases) or a .star file
that assigns program (it may load("lib/common.star", ...) from the catalogue
library). A file without a vocab global needs --vocab (comma-separated;
values are ints when every one parses as an int, else floats when every one
parses as a float, else strings).

An input is a row of tokens separated by spaces or a JSON list; a leading BOS
and trailing PADs are dropped. --input may be repeated.

Given a directory (a training run or an SAELens SAE directory) instead, eval
evaluates the SAE exactly like sae-eval (reconstruction metrics and the
model's outputs with the reconstruction spliced in); use sae-eval for its
--case/--model/--threshold flags.`,
		Example: `  glassbox eval 3 --input "a x b x"
  glassbox eval my_prog.star --vocab a,b,c,x --input "a x b"
  glassbox eval 18 --input '["a","b","a"]' --json
  glassbox eval 3 --input "x a" --selectors
  glassbox eval runs/demo/resid-pre --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if st, err := os.Stat(args[0]); err == nil && st.IsDir() {
				if len(o.inputs) > 0 || o.vocab != "" || o.selectors {
					return fmt.Errorf("eval %s: a directory is an SAE run; --input, --vocab and --selectors are for RASP programs", args[0])
				}
				return runSAEEval(cmd.OutOrStdout(), args[0], (&analysisFlags{top: 20}).options(false), o.json)
			}
			return runEval(cmd, args, &o)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.inputs, "input", nil, "input row (tokens separated by spaces, or a JSON list); repeatable")
	f.StringVar(&o.vocab, "vocab", "", "vocabulary for a .star file that sets none (comma-separated)")
	f.IntVar(&o.maxSeqLen, "max-seq-len", 0, "max_seq_len (counts BOS) for a .star file (default: the file's, else 10)")
	f.BoolVar(&o.json, "json", false, "print one JSON object per input instead of a table")
	f.BoolVar(&o.selectors, "selectors", false, "also print every selector's matrix (rows: queries, columns: keys)")
	f.Uint64Var(&o.maxSteps, "max-steps", star.DefaultMaxSteps, "Starlark step budget of a .star file (loading and every function call share it)")
	f.Uint64Var(&o.maxBytes, "max-memory", star.DefaultMaxBytes, "memory budget of a .star file in bytes (large strings, lists and numbers it builds)")
	return cmd
}

func init() { rootCmd.AddCommand(newEvalCmd()) }

func runEval(cmd *cobra.Command, args []string, o *evalOptions) error {
	if err := checkEvalTarget(args[0], len(o.inputs) > 0); err != nil {
		return err
	}
	if len(o.inputs) == 0 {
		return fmt.Errorf("eval: no --input given")
	}
	c, err := evalProgram(args[0], o)
	if err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	for i, in := range o.inputs {
		content, err := c.ParseRow(in)
		if err != nil {
			return fmt.Errorf("eval: --input %q: %w", in, err)
		}
		tr, err := c.Trace(content)
		if err != nil {
			return fmt.Errorf("eval %s on %q: %w", c.Name(), in, err)
		}
		if o.json {
			if err := writeTraceJSON(w, tr); err != nil {
				return err
			}
			continue
		}
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s — input: %s\n", c.Name(), cases.Format(content))
		if err := writeTraceTable(w, tr, o.selectors); err != nil {
			return err
		}
	}
	return nil
}

// checkEvalTarget explains an argument that is neither a case number nor an
// existing path, and a program file given without --input.
func checkEvalTarget(arg string, haveInput bool) error {
	if _, err := strconv.Atoi(strings.TrimPrefix(arg, "case_")); err == nil {
		return nil
	}
	if _, err := os.Stat(arg); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("eval %s: %s does not exist (no such file or directory; want a catalogue case number, a .star file, or a run or SAE directory)", arg, arg)
		}
		return fmt.Errorf("eval %s: %w", arg, err)
	}
	if !haveInput {
		return fmt.Errorf("eval %s: no --input given (%s is a program file, not a run directory)", arg, arg)
	}
	return nil
}

// evalProgram resolves the argument: a case number or a .star file.
func evalProgram(arg string, o *evalOptions) (*cases.Case, error) {
	if id, err := strconv.Atoi(strings.TrimPrefix(arg, "case_")); err == nil {
		if o.vocab != "" || o.maxSeqLen != 0 {
			return nil, fmt.Errorf("eval: --vocab and --max-seq-len apply to .star files, not to catalogue case %d", id)
		}
		return cases.Get(id)
	}
	src, err := os.ReadFile(arg)
	if err != nil {
		return nil, fmt.Errorf("eval: %w", err)
	}
	opts := cases.LoadOptions{Vocab: cases.ParseVocab(o.vocab), MaxSeqLen: o.maxSeqLen}
	opts.MaxSteps, opts.MaxBytes = o.maxSteps, o.maxBytes
	return cases.LoadFile(arg, src, opts)
}

// traceOrder returns the graph nodes with every variable after the ones it
// reads (inputs first, output last).
func traceOrder(tr *rasp.Trace) []rasp.Expr { return tr.Graph.Topological() }

func writeTraceTable(w io.Writer, tr *rasp.Trace, selectors bool) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	header := []string{"variable", "encoding"}
	for i := range tr.Input {
		header = append(header, strconv.Itoa(i))
	}
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, e := range traceOrder(tr) {
		s, ok := e.(rasp.SOp)
		if !ok {
			continue
		}
		row := []string{e.Label(), string(s.Encoding())}
		for _, v := range tr.SOps[e.Label()] {
			row = append(row, rasp.Str(v))
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if !selectors {
		return nil
	}
	for _, e := range traceOrder(tr) {
		if _, ok := e.(rasp.Selector); !ok {
			continue
		}
		fmt.Fprintf(w, "\n%s (query rows × key columns)\n", e.Label())
		for q, row := range tr.Selectors[e.Label()] {
			var sb strings.Builder
			fmt.Fprintf(&sb, "  %2d ", q)
			for _, b := range row {
				if b {
					sb.WriteString(" 1")
				} else {
					sb.WriteString(" .")
				}
			}
			fmt.Fprintln(w, sb.String())
		}
	}
	return nil
}

// writeTraceJSON writes {"input": [...], "output": [...], "variables":
// [{"label", "encoding", "values"}...], "selectors": {label: [[...]]}} on one line.
func writeTraceJSON(w io.Writer, tr *rasp.Trace) error {
	buf := []byte(`{"input":`)
	var err error
	if buf, err = appendValues(buf, tr.Input); err != nil {
		return err
	}
	buf = append(buf, `,"output":`...)
	if buf, err = appendValues(buf, tr.Output); err != nil {
		return err
	}
	buf = append(buf, `,"variables":[`...)
	first := true
	for _, e := range traceOrder(tr) {
		s, ok := e.(rasp.SOp)
		if !ok {
			continue
		}
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = append(buf, `{"label":`...)
		buf = strconv.AppendQuote(buf, e.Label())
		buf = append(buf, `,"encoding":`...)
		buf = strconv.AppendQuote(buf, string(s.Encoding()))
		buf = append(buf, `,"values":`...)
		if buf, err = appendValues(buf, tr.SOps[e.Label()]); err != nil {
			return err
		}
		buf = append(buf, '}')
	}
	buf = append(buf, `],"selectors":{`...)
	first = true
	for _, e := range traceOrder(tr) {
		if _, ok := e.(rasp.Selector); !ok {
			continue
		}
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = strconv.AppendQuote(buf, e.Label())
		buf = append(buf, ":["...)
		for q, row := range tr.Selectors[e.Label()] {
			if q > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, '[')
			for k, b := range row {
				if k > 0 {
					buf = append(buf, ',')
				}
				buf = strconv.AppendBool(buf, b)
			}
			buf = append(buf, ']')
		}
		buf = append(buf, ']')
	}
	buf = append(buf, "}}\n"...)
	_, err = w.Write(buf)
	return err
}

func appendValues(buf []byte, vs []rasp.Value) ([]byte, error) {
	return cases.AppendJSONList(buf, vs, ",")
}
