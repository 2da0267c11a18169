package main

import (
	"fmt"
	"path/filepath"

	"github.com/glassbox-interp/glassbox/features/rundir"
	"github.com/glassbox-interp/glassbox/report"
	"github.com/spf13/cobra"
)

var reportFlags analysisFlags

var reportCmd = &cobra.Command{
	Use:   "report RUN|SAE_DIR",
	Short: "Write a static HTML report of an SAE run",
	Long: `report analyses a run like serve and writes one self-contained HTML file
(training curves, metrics, feature table, and a section per live feature)
to RUN/report.html or --out. The file is written atomically.`,
	Example: `  glassbox report runs/case3-resid-pre
  glassbox report runs/case3-resid-pre --out /tmp/case3.html`,
	Args: cobra.ExactArgs(1),
	RunE: func(cmd *cobra.Command, args []string) error {
		out, _ := cmd.Flags().GetString("out")
		res, err := rundir.Load(args[0], reportFlags.options(true))
		if err != nil {
			return err
		}
		if out == "" {
			dir := res.RunDir
			if dir == "" {
				dir = res.SAEDir
			}
			out = filepath.Join(dir, "report.html")
		}
		if err := report.WriteStatic(out, report.FromResult(res)); err != nil {
			return err
		}
		fmt.Fprintf(cmd.OutOrStdout(), "wrote %s\n", out)
		return nil
	},
}

func init() {
	reportFlags.add(reportCmd)
	reportCmd.Flags().String("out", "", "output file (default RUN/report.html)")
	rootCmd.AddCommand(reportCmd)
}
