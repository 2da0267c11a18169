package rundir

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"

	"github.com/glassbox-interp/glassbox/sae"
	"github.com/glassbox-interp/glassbox/workload"
)

// Meta is what a run directory says about itself without loading the SAE
// or running a model: enough for an index row.
type Meta struct {
	Hook, Arch, Model string
	Case              int
	DSAE              int
	// HasSAE is set when a complete SAE (cfg.json and weights) is present
	// (the run finished, or it is a bare SAE directory).
	HasSAE bool
	// HasMetrics is set when the run has a metrics.jsonl.
	HasMetrics bool
}

// IsRun reports whether dir looks like a run or SAE directory (it holds a
// run config, a metrics log, an SAE, or a final/ SAE).
func IsRun(dir string) bool {
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		return false
	}
	for _, f := range []string{sae.RunConfigFile, sae.MetricsFile, sae.CfgFile, filepath.Join(sae.FinalDir, sae.CfgFile)} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			return true
		}
	}
	return false
}

// ReadMeta reads a run directory's config.json, source.json and its SAE's
// cfg.json (whichever exist). Missing files are not errors; a file that
// exists but does not parse is.
func ReadMeta(dir string) (Meta, error) {
	var m Meta
	read := func(path string, into any) error {
		b, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, into); err != nil {
			return fmt.Errorf("read %s: %w", path, err)
		}
		return nil
	}
	var cfg map[string]any
	if err := read(filepath.Join(dir, sae.RunConfigFile), &cfg); err != nil {
		return m, err
	}
	saeDir := filepath.Join(dir, sae.FinalDir)
	if _, err := os.Stat(filepath.Join(dir, sae.CfgFile)); err == nil {
		saeDir = dir
	}
	var scfg map[string]any
	if err := read(filepath.Join(saeDir, sae.CfgFile), &scfg); err != nil {
		return m, err
	}
	str := func(k string) string {
		for _, c := range []map[string]any{scfg, cfg} {
			if v, ok := c[k].(string); ok && v != "" {
				return v
			}
		}
		return ""
	}
	num := func(k string) int {
		for _, c := range []map[string]any{scfg, cfg} {
			if v, ok := c[k].(float64); ok && v > 0 && v < math.MaxInt32 && v == math.Trunc(v) {
				return int(v)
			}
		}
		return 0
	}
	m.Hook, m.Arch, m.DSAE = str("hook_name"), str("architecture"), num("d_sae")
	if m.DSAE == 0 && num("d_in") > 0 && num("expansion_factor") > 0 && num("d_in") <= 1<<20 && num("expansion_factor") <= 1<<20 {
		m.DSAE = num("d_in") * num("expansion_factor")
	}
	m.Case = caseFromStrings(str("model_name"), str("dataset_path"))
	if src, err := workload.ReadSource(dir); err == nil {
		if src.Case != 0 {
			m.Case = src.Case
		}
		if src.Model != "" {
			m.Model = filepath.Base(src.Model)
		}
		if m.Hook == "" {
			m.Hook = src.Hook
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return m, err
	}
	_, e1 := os.Stat(filepath.Join(saeDir, sae.CfgFile))
	_, e2 := os.Stat(filepath.Join(saeDir, sae.WeightsFile))
	m.HasSAE = e1 == nil && e2 == nil
	_, e3 := os.Stat(filepath.Join(dir, sae.MetricsFile))
	m.HasMetrics = e3 == nil
	return m, nil
}
