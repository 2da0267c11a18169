package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/glassbox-interp/glassbox/cases"
	"github.com/glassbox-interp/glassbox/formats/safetensors"
	"github.com/glassbox-interp/glassbox/model"
	"github.com/glassbox-interp/glassbox/tensor"
	"github.com/glassbox-interp/glassbox/workload"
	"github.com/spf13/cobra"
)

// resolveModel turns the run command's model selection into a model. It is
// the single place where a model source is chosen: --case N compiles the
// catalogue case on the fly, --model PATH opens a model directory.
func resolveModel(path string, caseID int) (*model.Model, error) {
	switch {
	case path != "" && caseID != 0:
		return nil, fmt.Errorf("give either --model or --case, not both")
	case caseID != 0:
		c, err := cases.Get(caseID)
		if err != nil {
			return nil, err
		}
		cd, err := workload.CompileCase(c)
		if err != nil {
			return nil, fmt.Errorf("compile case %d: %w", caseID, err)
		}
		return cd.Compiled.Model()
	case path == "":
		return nil, fmt.Errorf("--model PATH or --case N is required (a glassbox model directory, an InterpBench case folder, or a catalogue case)")
	}
	return model.Open(path)
}

// parseTokens parses one --tokens value: ids separated by spaces or commas.
func parseTokens(s string) ([]int, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' })
	if len(fields) == 0 {
		return nil, fmt.Errorf("--tokens %q: no token ids", s)
	}
	row := make([]int, len(fields))
	for i, f := range fields {
		v, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("--tokens %q: %q is not an integer token id", s, f)
		}
		row[i] = v
	}
	return row, nil
}

func newRunCmd() *cobra.Command {
	var (
		modelPath    string
		caseID       int
		tokenRows    []string
		tokenStrings bool
		hooks        string
		out          string
	)
	cmd := &cobra.Command{
		Use:   "run (--model PATH | --case N) --tokens \"0 2 2 5 1\" [--tokens ...] [--hooks all|NAME,...] [--out cache.safetensors]",
		Short: "Run a model on token sequences; print logits, optionally save hook activations",
		Long: `run loads a model (a glassbox model directory from convert, or an InterpBench
case folder with ll_model.pth + ll_model_cfg.pkl), runs the batch given by the
--tokens flags (one flag per sequence, equal lengths, ids in [0, d_vocab), or
token strings such as "a x b x" read with the case's tokenizer, BOS added;
--token-strings forces strings for numeric vocabularies), and
prints for every position the argmax and the logits (the top 5 when there are
more than 16 outputs; the value itself for a model with one output). --hooks selects TransformerLens hook points to cache
("all", or a comma-separated list such as blocks.0.attn.hook_pattern); with
--out they are written to a safetensors file, one tensor per hook name, batch
dimension first, with the tokens in the metadata.`,
		Example: `  glassbox run --case 3 --tokens "0 2 2 5 1" --tokens "0 5 3 5 1"
  glassbox run --case 3 --tokens "a x b x"
  glassbox run --model models/case3 --tokens "0 2 2 5 1" --tokens "0 5 3 5 1"
  glassbox run --model ll_model_dir --tokens "0 2 2 5 1" --hooks blocks.0.hook_mlp_out,blocks.1.attn.hook_pattern
  glassbox run --model models/case3 --tokens "0 2 2 5 1" --hooks all --out cache.safetensors`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := resolveModel(modelPath, caseID)
			if err != nil {
				return err
			}
			if len(tokenRows) == 0 {
				return fmt.Errorf("run: give at least one --tokens sequence")
			}
			tok, err := loadTokenizer(modelPath, caseID)
			if err != nil {
				return err
			}
			tokens := make([][]int, len(tokenRows))
			for i, s := range tokenRows {
				if tokens[i], err = parseTokenRow(s, tok, tokenStrings); err != nil {
					return err
				}
			}
			var names []string
			switch hooks {
			case "":
			case "all":
				names = model.HookNames(m.Config())
			default:
				for _, n := range strings.Split(hooks, ",") {
					if n = strings.TrimSpace(n); n != "" {
						names = append(names, n)
					}
				}
			}
			if out != "" && len(names) == 0 {
				return fmt.Errorf("run: --out needs --hooks (all or a list of hook names)")
			}
			logits, cache, err := m.Run(tokens, model.RunOptions{Cache: names})
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			printLogits(w, tokens, logits)
			if len(names) > 0 {
				printCacheShapes(w, names, cache)
			}
			if out != "" {
				tj, _ := json.Marshal(tokens)
				md := map[string]string{"tokens": string(tj), "model": modelPath}
				if caseID != 0 {
					md["case"] = strconv.Itoa(caseID)
				}
				if err := safetensors.Save(out, cache, md); err != nil {
					return err
				}
				fmt.Fprintf(w, "wrote %d hook activations to %s\n", len(cache), out)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&modelPath, "model", "", "glassbox model directory or InterpBench case folder")
	f.IntVar(&caseID, "case", 0, "compile this circuits-benchmark case on the fly instead of --model")
	f.StringArrayVar(&tokenRows, "tokens", nil, "one token sequence (ids, or token strings such as \"a x b x\", separated by spaces or commas); repeat for a batch")
	f.BoolVar(&tokenStrings, "token-strings", false, "read --tokens as token strings even when they look like integers (numeric vocabularies)")
	f.StringVar(&hooks, "hooks", "", `hook points to cache: "all" or comma-separated names`)
	f.StringVar(&out, "out", "", "write the cached hooks to this safetensors file")
	return cmd
}

// maxPrintedLogits is the largest output vocabulary whose logits are all
// printed; above it run prints the top 5.
const maxPrintedLogits = 16

func printLogits(w io.Writer, tokens [][]int, logits *tensor.Tensor) {
	V := logits.Shape[2]
	T := logits.Shape[1]
	for b, row := range tokens {
		fmt.Fprintf(w, "sequence %d: %s\n", b, strings.Trim(fmt.Sprint(row), "[]"))
		for t := 0; t < T; t++ {
			l := logits.Data[(b*T+t)*V : (b*T+t+1)*V]
			if V == 1 {
				fmt.Fprintf(w, "  pos %d: value %.6g\n", t, l[0])
				continue
			}
			best := 0
			for i, v := range l {
				if v > l[best] || math.IsNaN(float64(l[best])) {
					best = i
				}
			}
			if V > maxPrintedLogits {
				// Large vocabularies: the top few (id:logit), best first.
				ids := make([]int, V)
				for i := range ids {
					ids[i] = i
				}
				sort.SliceStable(ids, func(a, b int) bool { return l[ids[a]] > l[ids[b]] })
				parts := make([]string, 5)
				for i := range parts {
					parts[i] = fmt.Sprintf("%d:%s", ids[i], strconv.FormatFloat(float64(l[ids[i]]), 'g', 5, 32))
				}
				fmt.Fprintf(w, "  pos %d: argmax %d  top [%s]\n", t, best, strings.Join(parts, " "))
				continue
			}
			parts := make([]string, len(l))
			for i, v := range l {
				parts[i] = strconv.FormatFloat(float64(v), 'g', 5, 32)
			}
			fmt.Fprintf(w, "  pos %d: argmax %d  logits [%s]\n", t, best, strings.Join(parts, " "))
		}
	}
}

func printCacheShapes(w io.Writer, names []string, cache model.Cache) {
	fmt.Fprintf(w, "cached %d hooks:\n", len(cache))
	for _, n := range names {
		if t := cache[n]; t != nil {
			fmt.Fprintf(w, "  %-36s %s\n", n, tensor.ShapeString(t.Shape))
		}
	}
}

func init() { rootCmd.AddCommand(newRunCmd()) }
