// Command glassbox is the command-line front end of the glassbox library:
// it parses flags and calls the packages, nothing more.
//
// Each subcommand lives in its own file (cmd_<name>.go) and registers itself
// on rootCmd in an init function.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

var rootCmd = &cobra.Command{
	Use:   "glassbox",
	Short: "Offline mechanistic-interpretability loop for transformers with known circuits",
	Long: `glassbox compiles RASP programs (the circuits-benchmark / InterpBench cases) into
TransformerLens-compatible transformers, trains sparse autoencoders on their
activations with SAELens' options, and labels every SAE feature against the
program's known variables.`,
	Example: `  glassbox demo                                              # the notebook's loop on case 3, end to end
  glassbox cases                                             # the 129 circuits-benchmark cases
  glassbox case 3                                            # program, vocab, token ids, compiled layout, alignment
  glassbox data 3 --limit 4                                  # dataset rows (gen_all_data order)
  glassbox eval 3 --input "a x b x"                          # RASP trace: every variable at every position
  glassbox compile 3 --check --out models/case3              # tracr: RASP → TransformerLens weights
  glassbox convert ll_model.pth ll_model_cfg.pkl --out m     # InterpBench .pth + cfg → glassbox model dir
  glassbox run --case 3 --tokens "0 2 2 5 1" --hooks all     # forward pass with hook activations
  glassbox siit 3                                            # train an InterpBench-style (SIIT) model of case 3
  glassbox train --case 3 --hook blocks.0.hook_mlp_out       # SAE training with SAELens' options
  glassbox sae info runs/NAME                                # an SAE's cfg and weight shapes
  glassbox features runs/NAME                                # label features against the program's variables
  glassbox eval runs/NAME                                    # reconstruction + spliced downstream metrics (= sae-eval)
  glassbox report runs/NAME                                  # static HTML report
  glassbox serve runs/demo/*                                 # feature browser on 127.0.0.1:8080
  glassbox bench --cases 3,4 --out runs/bench                # sweep SAE setups; leaderboard`,
	SilenceUsage:  true,
	SilenceErrors: true,
}

func main() {
	err := rootCmd.Execute()
	if perr := stopProfile(); err == nil {
		err = perr
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "glassbox:", err)
		os.Exit(1)
	}
}
