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
	SilenceUsage:  true,
	SilenceErrors: true,
}

func main() {
	if err := rootCmd.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "glassbox:", err)
		os.Exit(1)
	}
}
