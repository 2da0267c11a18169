package main

import (
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"sort"

	"github.com/glassbox-interp/glassbox/formats/safetensors"
	"github.com/glassbox-interp/glassbox/sae"
	"github.com/glassbox-interp/glassbox/workload"
	"github.com/spf13/cobra"
)

var saeCmd = &cobra.Command{
	Use:     "sae",
	Short:   "Inspect SAE directories (SAELens layout)",
	Example: "  glassbox sae info runs/demo/mlp-out",
}

var saeInfoCmd = &cobra.Command{
	Use:   "info DIR",
	Short: "Print an SAE's config and weight shapes (an SAE directory or a run directory)",
	Long: `info reads an SAE directory in SAELens layout (cfg.json of SAELens 6.x or
earlier, sae_weights.safetensors, optional sparsity.safetensors) and prints its
configuration, the stored tensors with their shapes, and a feature-density
summary. Given a run directory it shows final/, or the latest checkpoint.`,
	Example: "  glassbox sae info runs/case3-blocks.0.hook_mlp_out-52-L1-0.1-LR-0.0003-Tokens-1.500e+06/final",
	Args:    cobra.ExactArgs(1),
	RunE: func(cmd *cobra.Command, args []string) error {
		dir, _, err := workload.FindSAE(args[0])
		if err != nil {
			return err
		}
		s, err := sae.Load(dir)
		if err != nil {
			return err
		}
		w := cmd.OutOrStdout()
		fmt.Fprintf(w, "SAE %s\n", dir)
		cfg := s.CfgDict()
		meta, _ := cfg["metadata"].(map[string]any)
		delete(cfg, "metadata")
		printSorted := func(indent string, m map[string]any) {
			keys := make([]string, 0, len(m))
			for k := range m {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				v := m[k]
				if p, ok := v.(*int); ok {
					if p == nil {
						v = nil
					} else {
						v = *p
					}
				}
				b, _ := json.Marshal(v)
				fmt.Fprintf(w, "%s%-28s %s\n", indent, k, b)
			}
		}
		printSorted("  ", cfg)
		fmt.Fprintln(w, "  metadata:")
		printSorted("    ", meta)
		f, err := safetensors.ReadFile(filepath.Join(dir, sae.WeightsFile))
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "weights (%s):\n", sae.WeightsFile)
		for _, n := range f.Names() {
			r := f.Tensors[n]
			fmt.Fprintf(w, "  %-10s %-5s %v\n", n, r.DType, r.Shape)
		}
		if sp, err := sae.LoadSparsity(dir); err == nil {
			var dead, below5 int
			var mean float64
			for _, v := range sp {
				mean += float64(v)
				if v <= -9.99 {
					dead++
				}
				if v < -5 {
					below5++
				}
			}
			fmt.Fprintf(w, "sparsity (%s, log10 feature density over the last sampling window): mean %.3f, never fired %d/%d, below 1e-5 %d\n",
				sae.SparsityFile, mean/math.Max(1, float64(len(sp))), dead, len(sp), below5)
		}
		return nil
	},
}

func init() {
	saeCmd.AddCommand(saeInfoCmd)
	rootCmd.AddCommand(saeCmd)
}
