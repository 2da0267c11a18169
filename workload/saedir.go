package workload

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/glassbox-interp/glassbox/sae"
)

// FindSAE is the one SAE directory resolver: it resolves path (a run directory, its final/ or checkpoints/<n>/
// directory, or any SAELens SAE directory) to the SAE directory and the run
// directory ("" when path is a bare SAE directory; the SAE directory itself
// when it records its own source.json, as bench --keep-saes writes).
func FindSAE(path string) (saeDir, runDir string, err error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", "", fmt.Errorf("open run %s: %w", path, err)
	}
	if !st.IsDir() {
		return "", "", fmt.Errorf("open run %s: not a directory", path)
	}
	isSAE := func(d string) bool {
		_, e1 := os.Stat(filepath.Join(d, sae.CfgFile))
		_, e2 := os.Stat(filepath.Join(d, sae.WeightsFile))
		return e1 == nil && e2 == nil
	}
	isRun := func(d string) bool {
		_, e1 := os.Stat(filepath.Join(d, sae.RunConfigFile))
		_, e2 := os.Stat(filepath.Join(d, sae.MetricsFile))
		return e1 == nil || e2 == nil
	}
	if isSAE(path) {
		if _, err := os.Stat(filepath.Join(path, SourceFile)); err == nil {
			// An SAE folder that records its own source (bench --keep-saes).
			return path, path, nil
		}
		parent := filepath.Dir(filepath.Clean(path))
		if filepath.Base(parent) == sae.CheckpointsDir {
			parent = filepath.Dir(parent)
		}
		if isRun(parent) {
			return path, parent, nil
		}
		return path, "", nil
	}
	if d := filepath.Join(path, sae.FinalDir); isSAE(d) {
		return d, path, nil
	}
	if d, err := sae.LatestCheckpoint(path); err == nil && d != "" && isSAE(d) {
		return d, path, nil
	}
	// Checkpoints without trainer state still count.
	if ents, err := os.ReadDir(filepath.Join(path, sae.CheckpointsDir)); err == nil {
		best := int64(-1)
		bestDir := ""
		for _, e := range ents {
			n, err := strconv.ParseInt(e.Name(), 10, 64)
			d := filepath.Join(path, sae.CheckpointsDir, e.Name())
			if err == nil && n > best && isSAE(d) {
				best, bestDir = n, d
			}
		}
		if bestDir != "" {
			return bestDir, path, nil
		}
	}
	return "", "", fmt.Errorf("open run %s: no SAE found (expected %s and %s in the directory, in %s/, or in %s/<n_tokens>/)",
		path, sae.CfgFile, sae.WeightsFile, sae.FinalDir, sae.CheckpointsDir)
}
