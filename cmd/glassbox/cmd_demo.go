package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

var demoCmd = &cobra.Command{
	Use:     "demo",
	Short:   "Run the main job: the original notebook's loop end to end (what is built so far)",
	Example: "  glassbox demo",
	Args:    cobra.NoArgs,
	RunE: func(cmd *cobra.Command, args []string) error {
		w := cmd.OutOrStdout()
		fmt.Fprintln(w, "glassbox demo: the full notebook loop is not built yet.")
		return nil
	},
}

func init() { rootCmd.AddCommand(demoCmd) }
