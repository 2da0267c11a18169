package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/glassbox-interp/glassbox/cases"
	"github.com/glassbox-interp/glassbox/rasp"
)

// CaseDetail is an extra section of `glassbox case N`. Other command files
// register theirs in an init function (the tracr compiler adds the residual
// layout and the circuit alignment here), for example:
//
//	func init() { caseDetails = append(caseDetails, CaseDetail{Title: "Compiled model", Print: printLayout}) }
type CaseDetail struct {
	Title string
	Print func(w io.Writer, c *cases.Case) error
}

// caseDetails are printed, in order, after the catalogue's own sections.
var caseDetails []CaseDetail

var casesFlags struct{ json bool }

var casesCmd = &cobra.Command{
	Use:   "cases",
	Short: "List the circuits-benchmark cases of the catalogue",
	Long: `cases lists the 129 tracr cases of circuits-benchmark that glassbox ships as
embedded .star programs: id, vocabulary size, max_seq_len (BOS included),
whether the compiled model is causal, whether the output is numerical or
categorical, whether upstream marks the case trivial, whether InterpBench has
a trained model for it, and the task description.`,
	Example: `  glassbox cases
  glassbox cases --json | jq '.[] | select(.interpbench) | .id'`,
	Args: cobra.NoArgs,
	RunE: func(cmd *cobra.Command, args []string) error {
		all, err := cases.All()
		if err != nil {
			return err
		}
		if casesFlags.json {
			return writeCasesJSON(cmd.OutOrStdout(), all)
		}
		return writeCasesTable(cmd.OutOrStdout(), all)
	},
}

type caseSummary struct {
	ID              int          `json:"id"`
	Description     string       `json:"description"`
	VocabSize       int          `json:"vocab_size"`
	Vocab           []rasp.Value `json:"-"`
	MaxSeqLen       int          `json:"max_seq_len"`
	MinSeqLen       int          `json:"min_seq_len"`
	Causal          bool         `json:"causal"`
	Categorical     bool         `json:"categorical"`
	Trivial         bool         `json:"trivial"`
	InterpBench     bool         `json:"interpbench"`
	OverridesOutput bool         `json:"overrides_output"`
	TotalDataLen    string       `json:"total_data_len"`
	DatasetRows     int64        `json:"dataset_rows"`
	DatasetMode     string       `json:"dataset_mode"`
}

func summarize(c *cases.Case) caseSummary {
	total := c.TotalDataLen()
	rows, mode := int64(cases.DatasetSamples), "sampled"
	if total.Cmp(big.NewInt(cases.DatasetLimit)) <= 0 {
		rows, mode = total.Int64(), "all"
	}
	return caseSummary{
		ID: c.ID, Description: c.Description, VocabSize: len(c.Vocab()), Vocab: c.Vocab(),
		MaxSeqLen: c.MaxSeqLen, MinSeqLen: c.MinSeqLen, Causal: c.Causal, Categorical: c.Categorical,
		Trivial: c.Trivial, InterpBench: c.InterpBench, OverridesOutput: c.OverridesOutput,
		TotalDataLen: total.String(), DatasetRows: rows, DatasetMode: mode,
	}
}

func writeCasesJSON(w io.Writer, all []*cases.Case) error {
	out := make([]caseSummary, len(all))
	for i, c := range all {
		out[i] = summarize(c)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

func yesNo(b bool, yes string) string {
	if b {
		return yes
	}
	return ""
}

func writeCasesTable(w io.Writer, all []*cases.Case) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\t|V|\tLEN\tCAUSAL\tOUT\tTRIVIAL\tINTERPBENCH\tDESCRIPTION")
	for _, c := range all {
		out := "cat"
		if !c.Categorical {
			out = "num"
		}
		desc := c.Description
		if len([]rune(desc)) > 70 {
			desc = string([]rune(desc)[:67]) + "..."
		}
		fmt.Fprintf(tw, "%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\n", c.ID, len(c.Vocab()), c.MaxSeqLen,
			yesNo(c.Causal, "yes"), out, yesNo(c.Trivial, "yes"), yesNo(c.InterpBench, "yes"), desc)
	}
	return tw.Flush()
}

var caseCmd = &cobra.Command{
	Use:   "case N",
	Short: "Show one case: program source, vocabulary, token ids, dataset size, compiled layout and alignment",
	Long: `case prints a catalogue case: its metadata, its vocabulary in Python's sorted()
order (the data order), the token ids of the compiled model (tracr's sorted
token basis, BOS and PAD included), the size of its dataset, the labels of
its program graph as tracr numbers them, and the .star source. With --lib
NAME it prints a file of the shared library instead (common.star,
vocabs.star).`,
	Example: `  glassbox case 3
  glassbox case 3 --source        # only the .star program
  glassbox case --lib common.star # the shared helpers (make_frac_prevs, …)`,
	Args: func(cmd *cobra.Command, args []string) error {
		if caseFlags.lib != "" {
			return cobra.NoArgs(cmd, args)
		}
		return cobra.ExactArgs(1)(cmd, args)
	},
	RunE: runCase,
}

var caseFlags struct {
	source bool
	lib    string
}

func parseCaseID(s string) (int, error) {
	id, err := strconv.Atoi(strings.TrimPrefix(s, "case_"))
	if err != nil {
		return 0, fmt.Errorf("case %q: want a case number such as 3 (see glassbox cases)", s)
	}
	return id, nil
}

func runCase(cmd *cobra.Command, args []string) error {
	w := cmd.OutOrStdout()
	if caseFlags.lib != "" {
		src, err := cases.LibrarySource(caseFlags.lib)
		if err != nil {
			return err
		}
		_, err = io.WriteString(w, src)
		return err
	}
	id, err := parseCaseID(args[0])
	if err != nil {
		return err
	}
	c, err := cases.Get(id)
	if err != nil {
		return err
	}
	if caseFlags.source {
		_, err = io.WriteString(w, c.Source())
		return err
	}
	s := summarize(c)
	fmt.Fprintf(w, "Case %d: %s\n\n", c.ID, c.Description)
	out := "categorical"
	if !c.Categorical {
		out = "numerical"
	}
	fmt.Fprintf(w, "  file          programs/%s\n", c.File)
	fmt.Fprintf(w, "  max_seq_len   %d (BOS included; compiled with max_seq_len %d)\n", c.MaxSeqLen, c.MaxSeqLen-1)
	fmt.Fprintf(w, "  min_seq_len   %d\n", c.MinSeqLen)
	fmt.Fprintf(w, "  causal        %v\n", c.Causal)
	fmt.Fprintf(w, "  output        %s\n", out)
	fmt.Fprintf(w, "  trivial       %v\n", c.Trivial)
	fmt.Fprintf(w, "  interpbench   %v\n", c.InterpBench)
	if c.OverridesOutput {
		fmt.Fprintf(w, "  outputs       correct_output() replaces program evaluation in dataset rows\n")
	}
	if s.DatasetMode == "all" {
		fmt.Fprintf(w, "  dataset       %d rows: all of gen_all_data(%d, %d)\n", s.DatasetRows, c.MinSeqLen, c.MaxSeqLen)
	} else {
		fmt.Fprintf(w, "  dataset       %d rows sampled with seed %d (of %s possible inputs)\n", s.DatasetRows, cases.DatasetSeed, s.TotalDataLen)
	}
	fmt.Fprintf(w, "\nVocabulary (%d, sorted):\n  %s\n", len(c.Vocab()), wrapWords(reprs(c.Vocab()), 90, "  "))
	fmt.Fprintf(w, "\nToken ids (%d):\n", c.Tokenizer().Size())
	var ids []string
	for id, tok := range c.Tokenizer().Tokens() {
		ids = append(ids, fmt.Sprintf("%s=%d", rasp.Str(tok), id))
	}
	fmt.Fprintf(w, "  %s\n", wrapWords(ids, 90, "  "))
	sop, err := c.Build()
	if err != nil {
		return err
	}
	g := rasp.ExtractGraph(sop)
	var labels []string
	for _, n := range g.Nodes {
		labels = append(labels, n.Label())
	}
	fmt.Fprintf(w, "\nProgram graph (%d nodes, output %s, tracr's breadth-first order):\n  %s\n", len(labels), sop.Label(), wrapWords(labels, 90, "  "))
	for _, d := range caseDetails {
		fmt.Fprintf(w, "\n%s:\n", d.Title)
		if err := d.Print(w, c); err != nil {
			return fmt.Errorf("case %d: %s: %w", c.ID, d.Title, err)
		}
	}
	fmt.Fprintf(w, "\nSource (programs/%s):\n\n%s", c.File, c.Source())
	return nil
}

func reprs(vs []rasp.Value) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = rasp.Repr(v)
	}
	return out
}

func wrapWords(words []string, width int, indent string) string {
	var sb strings.Builder
	line := 0
	for i, wd := range words {
		if i > 0 {
			if line+1+len(wd) > width {
				sb.WriteString("\n" + indent)
				line = 0
			} else {
				sb.WriteByte(' ')
				line++
			}
		}
		sb.WriteString(wd)
		line += len(wd)
	}
	return sb.String()
}

var dataFlags struct {
	format, inputs string
	limit, sample  int
	seed           int64
	all            bool
}

var dataCmd = &cobra.Command{
	Use:   "data N",
	Short: "Print a case's dataset rows (input tokens, token ids, RASP output)",
	Long: `data prints the rows circuits-benchmark builds for a case, one per line:
{"input": [...], "tokens": [...], "output": [...]} where input is
["BOS"] + content + ["PAD"] * pad, tokens are the compiled model's token ids,
and output is ["BOS"] + the program's output + ["PAD"] * pad (null where RASP
gives None; numbers printed as Python's json does: 0.0, 0.3333333333333333).

Which rows: by default the reference data's rule — every row of
gen_all_data(min_seq_len, max_seq_len), in its order, when there are at most
5000 (cases 3, 15, 119), else 2000 rows sampled with seed 42. --all forces
gen_all_data (refused above 10 million rows unless --limit is given),
--sample K [--seed S] draws K rows exactly as Python's random.Random(S) would
(randint(min_seq_len, max_seq_len), then choice over the sorted vocabulary).
--inputs FILE (or - for stdin) evaluates your own rows instead: one per line,
a JSON list or tokens separated by spaces; BOS and PAD are optional.
--limit K stops after K rows.

--format csv writes one column per position: input_0.., token_0.., output_0..
(Python str() of each value; an empty cell for None).`,
	Example: `  glassbox data 3                       # the 320 rows of the case-3 notebook
  glassbox data 3 --format csv > case3.csv
  glassbox data 12 --sample 100 --seed 7
  echo "a x b x" | glassbox data 3 --inputs -`,
	Args: cobra.ExactArgs(1),
	RunE: runData,
}

const maxAllRows = 10_000_000

func runData(cmd *cobra.Command, args []string) error {
	id, err := parseCaseID(args[0])
	if err != nil {
		return err
	}
	c, err := cases.Get(id)
	if err != nil {
		return err
	}
	if dataFlags.limit < 0 || dataFlags.sample < 0 {
		return fmt.Errorf("--limit and --sample must not be negative")
	}
	if dataFlags.format != "jsonl" && dataFlags.format != "csv" {
		return fmt.Errorf("--format %q: want jsonl or csv", dataFlags.format)
	}
	modes := 0
	for _, on := range []bool{dataFlags.all, cmd.Flags().Changed("sample"), dataFlags.inputs != ""} {
		if on {
			modes++
		}
	}
	if modes > 1 {
		return fmt.Errorf("--all, --sample and --inputs exclude each other")
	}
	if cmd.Flags().Changed("seed") && !cmd.Flags().Changed("sample") {
		return fmt.Errorf("--seed needs --sample")
	}
	ev, err := c.NewEvaluator()
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(cmd.OutOrStdout())
	defer bw.Flush()
	out := newRowWriter(bw, dataFlags.format, c.MaxSeqLen)
	n := 0
	emit := func(content []rasp.Value, where string) error {
		row, err := ev.Row(content)
		if err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		n++
		return out.write(row)
	}
	done := func() bool { return dataFlags.limit > 0 && n >= dataFlags.limit }

	switch {
	case dataFlags.inputs != "":
		var r io.Reader = cmd.InOrStdin()
		name := "stdin"
		if dataFlags.inputs != "-" {
			f, err := os.Open(dataFlags.inputs)
			if err != nil {
				return err
			}
			defer f.Close()
			r, name = f, dataFlags.inputs
		}
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		line := 0
		for sc.Scan() && !done() {
			line++
			if strings.TrimSpace(sc.Text()) == "" {
				continue
			}
			content, err := c.ParseRow(sc.Text())
			if err != nil {
				return fmt.Errorf("%s:%d: %w", name, line, err)
			}
			if err := emit(content, fmt.Sprintf("%s:%d", name, line)); err != nil {
				return err
			}
		}
		if err := sc.Err(); err != nil {
			return fmt.Errorf("read %s: %w", name, err)
		}
	case cmd.Flags().Changed("sample"):
		contents, err := cases.SampleContents(c.Vocab(), c.MinSeqLen, c.MaxSeqLen, dataFlags.sample, dataFlags.seed)
		if err != nil {
			return err
		}
		for i, content := range contents {
			if done() {
				break
			}
			if err := emit(content, fmt.Sprintf("row %d", i)); err != nil {
				return err
			}
		}
	default:
		total := c.TotalDataLen()
		if !dataFlags.all && total.Cmp(big.NewInt(cases.DatasetLimit)) > 0 {
			contents, err := cases.SampleContents(c.Vocab(), c.MinSeqLen, c.MaxSeqLen, cases.DatasetSamples, cases.DatasetSeed)
			if err != nil {
				return err
			}
			for i, content := range contents {
				if done() {
					break
				}
				if err := emit(content, fmt.Sprintf("row %d", i)); err != nil {
					return err
				}
			}
			break
		}
		if dataFlags.limit == 0 && total.Cmp(big.NewInt(maxAllRows)) > 0 {
			return fmt.Errorf("case %d: gen_all_data has %s rows; use --limit or --sample", c.ID, total)
		}
		i := 0
		for content := range cases.EachContent(c.Vocab(), c.MinSeqLen, c.MaxSeqLen) {
			if done() {
				break
			}
			if err := emit(content, fmt.Sprintf("row %d", i)); err != nil {
				return err
			}
			i++
		}
	}
	return out.flush()
}

type rowWriter struct {
	w      *bufio.Writer
	csv    *csv.Writer
	maxLen int
	buf    []byte
	header bool
}

func newRowWriter(w *bufio.Writer, format string, maxLen int) *rowWriter {
	rw := &rowWriter{w: w, maxLen: maxLen}
	if format == "csv" {
		rw.csv = csv.NewWriter(w)
	}
	return rw
}

func (rw *rowWriter) write(r cases.Row) error {
	if rw.csv == nil {
		var err error
		if rw.buf, err = r.AppendJSON(rw.buf[:0]); err != nil {
			return err
		}
		rw.buf = append(rw.buf, '\n')
		_, err = rw.w.Write(rw.buf)
		return err
	}
	if !rw.header {
		var h []string
		for _, p := range []string{"input", "token", "output"} {
			for i := 0; i < rw.maxLen; i++ {
				h = append(h, fmt.Sprintf("%s_%d", p, i))
			}
		}
		if err := rw.csv.Write(h); err != nil {
			return err
		}
		rw.header = true
	}
	rec := make([]string, 0, 3*rw.maxLen)
	for _, v := range r.Input {
		rec = append(rec, rasp.Str(v))
	}
	for _, id := range r.Tokens {
		rec = append(rec, strconv.Itoa(id))
	}
	for _, v := range r.Output {
		if v == nil {
			rec = append(rec, "")
		} else {
			rec = append(rec, rasp.Str(v))
		}
	}
	return rw.csv.Write(rec)
}

func (rw *rowWriter) flush() error {
	if rw.csv != nil {
		rw.csv.Flush()
		return rw.csv.Error()
	}
	return nil
}

func init() {
	casesCmd.Flags().BoolVar(&casesFlags.json, "json", false, "print JSON (one object per case) instead of a table")
	caseCmd.Flags().BoolVar(&caseFlags.source, "source", false, "print only the .star source")
	caseCmd.Flags().StringVar(&caseFlags.lib, "lib", "", "print a file of the shared library (common.star, vocabs.star)")
	dataCmd.Flags().StringVar(&dataFlags.format, "format", "jsonl", "output format: jsonl or csv")
	dataCmd.Flags().IntVar(&dataFlags.limit, "limit", 0, "stop after this many rows (0: all)")
	dataCmd.Flags().IntVar(&dataFlags.sample, "sample", 0, "draw this many rows with Python's random.Random(--seed)")
	dataCmd.Flags().Int64Var(&dataFlags.seed, "seed", cases.DatasetSeed, "seed for --sample")
	dataCmd.Flags().BoolVar(&dataFlags.all, "all", false, "every row of gen_all_data, even when there are more than 5000")
	dataCmd.Flags().StringVar(&dataFlags.inputs, "inputs", "", "evaluate your own rows from FILE (- for stdin), one per line")
	rootCmd.AddCommand(casesCmd, caseCmd, dataCmd)
}
