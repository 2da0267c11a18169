package tracr

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/glassbox-interp/glassbox/cases"
	"github.com/glassbox-interp/glassbox/formats/atomicfile"
	"github.com/glassbox-interp/glassbox/formats/safetensors"
	"github.com/glassbox-interp/glassbox/model"
	"github.com/glassbox-interp/glassbox/rasp"
)

// Files written by Save next to model's config.json and model.safetensors.
const (
	ResidualLabelsFile = "residual_labels.json"
	AlignmentFile      = "alignment.json"
	TokenizerFile      = "tokenizer.json"
)

// TokenizerInfo is the content of tokenizer.json.
type TokenizerInfo struct {
	// Tokens are the input tokens in id order (JSON-typed values).
	Tokens PyValues `json:"tokens"`
	// TokenEncoding maps str(token) to its id.
	TokenEncoding map[string]int `json:"token_encoding"`
	BOS           string         `json:"bos"`
	PAD           string         `json:"pad"`
	// Categorical is true when outputs are decoded by argmax over OutputValues.
	Categorical  bool           `json:"categorical"`
	OutputValues PyValues       `json:"output_values"`
	OutputLabel  string         `json:"output_label"`
	OutputEnc    map[string]int `json:"output_encoding"`
	MaxSeqLen    int            `json:"max_seq_len"`
	Causal       bool           `json:"causal"`
}

// PyValues marshals values as Python's json.dumps does (3.0 stays 3.0).
type PyValues []rasp.Value

// MarshalJSON writes the list with cases.AppendJSON.
func (p PyValues) MarshalJSON() ([]byte, error) {
	if p == nil {
		return []byte("null"), nil
	}
	return cases.AppendJSONList(nil, p, ",")
}

// Tokenizer returns the token and output encodings.
func (c *Compiled) Tokenizer() TokenizerInfo {
	t := TokenizerInfo{
		Tokens: c.Tokens, TokenEncoding: map[string]int{}, BOS: c.Options.CompilerBOS, PAD: c.Options.CompilerPAD,
		Categorical: c.Categorical, OutputValues: c.OutputValues, OutputLabel: c.OutputLabel,
		MaxSeqLen: c.MaxSeqLen, Causal: c.Options.Causal,
	}
	for i, v := range c.Tokens {
		t.TokenEncoding[rasp.Str(v)] = i
	}
	if c.Categorical {
		t.OutputEnc = map[string]int{}
		for i, v := range c.OutputValues {
			t.OutputEnc[rasp.Str(v)] = i
		}
	}
	return t
}

// alignmentFile is the content of alignment.json.
type alignmentFile struct {
	OutputLabel string `json:"output_label"`
	*Alignment
	Blocks []Block `json:"blocks"`
}

// Save writes the compiled model to dir: config.json and model.safetensors
// (the layout model.Load reads; the safetensors metadata also holds the
// residual labels), residual_labels.json, alignment.json (entries, maps,
// circuit edges, residual dimensions, blocks) and tokenizer.json. Every file
// is written atomically.
func (c *Compiled) Save(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("save %s: %w", dir, err)
	}
	labels, err := json.Marshal(c.ResidualLabels)
	if err != nil {
		return err
	}
	cfg, err := json.Marshal(c.Config)
	if err != nil {
		return err
	}
	md := map[string]string{"format": "glassbox", "residual_labels": string(labels), "config": string(cfg)}
	if err := safetensors.Save(filepath.Join(dir, model.WeightsFile), c.Params, md); err != nil {
		return fmt.Errorf("save %s: %w", dir, err)
	}
	if err := model.SaveConfig(filepath.Join(dir, model.ConfigFile), c.Config); err != nil {
		return fmt.Errorf("save %s: %w", dir, err)
	}
	files := []struct {
		name string
		v    any
	}{
		{ResidualLabelsFile, c.ResidualLabels},
		{AlignmentFile, alignmentFile{OutputLabel: c.OutputLabel, Alignment: c.Alignment, Blocks: c.Blocks}},
		{TokenizerFile, c.Tokenizer()},
	}
	for _, f := range files {
		b, err := json.MarshalIndent(f.v, "", "  ")
		if err != nil {
			return fmt.Errorf("save %s: %w", f.name, err)
		}
		if err := atomicfile.WriteFile(filepath.Join(dir, f.name), append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("save %s: %w", filepath.Join(dir, f.name), err)
		}
	}
	return nil
}

// Summary renders the layout of the compiled model: sizes, then one line per
// block with the variables it reads and writes.
func (c *Compiled) Summary() string {
	var b strings.Builder
	cfg := c.Config
	fmt.Fprintf(&b, "layers %d, heads %d, d_model %d, d_head %d, d_mlp %d, n_ctx %d, d_vocab %d, d_vocab_out %d, %s\n",
		cfg.NLayers, cfg.NHeads, cfg.DModel, cfg.DHead, cfg.DMLP, cfg.NCtx, cfg.DVocab, cfg.DVocabOut, cfg.AttentionDir)
	out := "numerical"
	if c.Categorical {
		out = fmt.Sprintf("categorical, %d values", len(c.OutputValues))
	}
	fmt.Fprintf(&b, "output %s (%s)\n", c.OutputLabel, out)
	for _, blk := range c.Blocks {
		if blk.Kind == "attn" {
			for h, d := range blk.HeadDetail {
				fmt.Fprintf(&b, "  L%d attn head %d: %-28s q=%s k=%s v=%s\n", blk.Layer, h, d.Output,
					list(d.QInputs), list(d.KInputs), list(d.VInputs))
			}
			continue
		}
		fmt.Fprintf(&b, "  L%d mlp (%d hidden): %s <- %s\n", blk.Layer, blk.DHidden, list(blk.Outputs), list(blk.Inputs))
	}
	return b.String()
}

// Layout renders the residual stream layout (variable → dimensions) and the
// alignment lines; `glassbox case N` can print it.
func (c *Compiled) Layout() string {
	var b strings.Builder
	b.WriteString(c.Summary())
	b.WriteString("residual stream:\n")
	start := 0
	basis := c.Residual.Basis()
	for i := 1; i <= len(basis); i++ {
		if i == len(basis) || basis[i].Name != basis[start].Name {
			if i-start == 1 {
				fmt.Fprintf(&b, "  %3d      %s\n", start, basis[start])
			} else {
				fmt.Fprintf(&b, "  %3d-%-3d  %s (%d values)\n", start, i-1, basis[start].Name, i-start)
			}
			start = i
		}
	}
	b.WriteString("alignment:\n")
	for _, l := range c.Alignment.Lines() {
		b.WriteString("  " + l + "\n")
	}
	return b.String()
}

func list(s []string) string {
	if len(s) == 0 {
		return "-"
	}
	return strings.Join(s, ",")
}
