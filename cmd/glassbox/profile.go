package main

import (
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/spf13/cobra"
)

// cpuProfile is the --cpuprofile flag: every subcommand can write a pprof
// CPU profile of its run (go tool pprof FILE).
var (
	cpuProfile     string
	cpuProfileFile *os.File
)

func init() {
	rootCmd.PersistentFlags().StringVar(&cpuProfile, "cpuprofile", "", "write a pprof CPU profile of the run to this file")
	rootCmd.PersistentPreRunE = func(*cobra.Command, []string) error {
		if cpuProfile == "" {
			return nil
		}
		f, err := os.Create(cpuProfile)
		if err != nil {
			return fmt.Errorf("cpuprofile: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return fmt.Errorf("cpuprofile %s: %w", cpuProfile, err)
		}
		cpuProfileFile = f
		return nil
	}
	rootCmd.PersistentPostRunE = func(*cobra.Command, []string) error { return stopProfile() }
}

// stopProfile ends and closes the CPU profile, if one is running.
func stopProfile() error {
	if cpuProfileFile == nil {
		return nil
	}
	pprof.StopCPUProfile()
	err := cpuProfileFile.Close()
	cpuProfileFile = nil
	if err != nil {
		return fmt.Errorf("cpuprofile %s: %w", cpuProfile, err)
	}
	return nil
}
