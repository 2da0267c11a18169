package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/glassbox-interp/glassbox/model"
	"github.com/spf13/cobra"
)

func newConvertCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "convert <ll_model.pth> <ll_model_cfg.pkl> --out DIR",
		Short: "Convert an InterpBench model (.pth + pickled config) to a glassbox model directory",
		Long: `convert reads a TransformerLens state dict saved with torch.save (ll_model.pth)
and its pickled HookedTransformerConfig (ll_model_cfg.pkl: a dict or a config
object), checks every parameter against the config, and writes DIR/config.json
(TransformerLens keys) and DIR/model.safetensors (float32, TransformerLens
parameter names). No Python is needed. Config keys that glassbox does not use
are listed, not fatal.`,
		Example: `  glassbox convert ll_model.pth ll_model_cfg.pkl --out models/case3
  glassbox run --model models/case3 --tokens "0 2 2 5 1"`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return fmt.Errorf("convert: --out DIR is required")
			}
			m, unknown, err := model.LoadTorch(args[0], args[1])
			if err != nil {
				return err
			}
			if err := m.Save(out); err != nil {
				return err
			}
			c := m.Config()
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "model: %d layers, d_model %d, %d heads × d_head %d, d_mlp %d, act_fn %q, normalization %q, %s attention, n_ctx %d, d_vocab %d → %d\n",
				c.NLayers, c.DModel, c.NHeads, c.DHead, c.DMLP, c.ActFn, normName(c.NormalizationType), c.AttentionDir, c.NCtx, c.DVocab, c.DVocabOut)
			fmt.Fprintf(w, "parameters: %d tensors\n", len(m.Params()))
			if len(unknown) > 0 {
				fmt.Fprintf(w, "config keys not used by glassbox: %s\n", strings.Join(unknown, ", "))
			}
			fmt.Fprintf(w, "wrote %s and %s\n", filepath.Join(out, model.ConfigFile), filepath.Join(out, model.WeightsFile))
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "output directory (created if needed)")
	return cmd
}

func normName(n string) string {
	if n == "" {
		return "None"
	}
	return n
}

func init() { rootCmd.AddCommand(newConvertCmd()) }
