package bench

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/glassbox-interp/glassbox/sae"
	"github.com/glassbox-interp/glassbox/workload"
)

// SAEsDir is the directory (inside a sweep's output directory) where
// `bench --keep-saes` keeps each cell's trained SAE, one SAELens-layout
// folder per cell named by its ID (OUT/saes/<id>/cfg.json and
// sae_weights.safetensors), so `glassbox serve OUT/saes/*` browses them.
const SAEsDir = "saes"

// DefaultServeBase is where the leaderboard's links to kept SAEs point:
// the default address of `glassbox serve`.
const DefaultServeBase = "http://127.0.0.1:8080"

// keepSAE saves a cell's trained SAE under dir/<cell id> with the run
// source (workload.SourceFile) that says which case or program, hook and
// model it was trained on, so `glassbox serve` and `features` analyse it on
// that model (a siit or interpbench cell's SAE does not fit the compiled
// model).
func keepSAE(dir string, c Cell, s *sae.SAE, src workload.Source) error {
	p := filepath.Join(dir, c.ID())
	if err := sae.Save(p, s, nil); err != nil {
		return fmt.Errorf("keep SAE of cell %s: %w", c.ID(), err)
	}
	if err := workload.WriteSource(p, src); err != nil {
		return fmt.Errorf("keep SAE of cell %s: %w", c.ID(), err)
	}
	return nil
}

// keptSource is the workload.Source of a cell's kept SAE: its case (or
// program, with path) and hook, and the model folder it ran on (ref; nil
// for the compiled model).
func keptSource(c Cell, prog *Program, ref *workload.ModelRef) workload.Source {
	src := workload.Source{Case: c.Case, Hook: c.Hook}
	if prog != nil {
		src.Case = 0
		src.Program = &workload.Program{Path: prog.Path}
	}
	if ref != nil {
		src.Model, src.ModelRef = ref.Path, ref
	}
	return src
}

// KeptCell is a successful cell whose SAE was kept, as the leaderboard
// links it.
type KeptCell struct {
	ID       string             `json:"id"`
	Case     int                `json:"case"`
	Program  string             `json:"program,omitempty"` // a program's content hash (Case is 0)
	Hook     string             `json:"hook"`
	Arch     string             `json:"arch"`
	Sparsity string             `json:"sparsity"`
	Param    string             `json:"param"`
	Value    float64            `json:"value"`
	Href     string             `json:"href"` // the cell's run page in `glassbox serve`
	Metrics  map[string]float64 `json:"metrics"`
}

// AddKept records on the leaderboard the successful cells whose SAE is in
// saesDir, linked to serveBase + "/run/<id>/" (`glassbox serve
// saesDir/*` names each run by its folder, the cell ID). A missing saesDir
// adds nothing.
func (lb *Leaderboard) AddKept(results []Result, saesDir, serveBase string) error {
	if _, err := os.Stat(saesDir); errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("kept SAEs: %w", err)
	}
	if serveBase == "" {
		serveBase = DefaultServeBase
	}
	serveBase = strings.TrimRight(serveBase, "/")
	have := map[string]bool{}
	for _, k := range lb.Kept {
		have[k.ID] = true
	}
	for _, r := range results {
		if !r.OK() || have[r.ID] {
			continue
		}
		if _, err := os.Stat(filepath.Join(saesDir, r.ID, sae.CfgFile)); err != nil {
			continue
		}
		have[r.ID] = true
		lb.Kept = append(lb.Kept, KeptCell{ID: r.ID, Case: r.Cell.Case, Program: r.Cell.Program, Hook: r.Cell.Hook, Arch: r.Cell.Arch,
			Sparsity: r.Cell.Sparsity(), Param: r.Cell.Param, Value: r.Cell.Value,
			Href: serveBase + "/run/" + r.ID + "/", Metrics: r.Metrics})
	}
	sort.SliceStable(lb.Kept, func(i, j int) bool {
		a, b := lb.Kept[i], lb.Kept[j]
		if a.Arch != b.Arch {
			return a.Arch < b.Arch
		}
		if a.Value != b.Value {
			return a.Value < b.Value
		}
		if a.Case != b.Case {
			return a.Case < b.Case
		}
		if a.Program != b.Program {
			return a.Program < b.Program
		}
		return a.Hook < b.Hook
	})
	lb.SAEsDirs = append(lb.SAEsDirs, saesDir)
	return nil
}

// Name names the kept cell's case ("3") or program (its hash) in the
// leaderboard.
func (k KeptCell) Name() string {
	if k.Program != "" {
		return k.Program
	}
	return strconv.Itoa(k.Case)
}

// Subject names the kept cell's case or program in a tooltip.
func (k KeptCell) Subject() string { return Subject{Case: k.Case, Program: k.Program}.String() }

// KeptFor returns the kept cells of a sparsity row (same architecture and
// sparsity value) or an architecture row (Group "").
func (lb Leaderboard) KeptFor(r Row) []KeptCell {
	var out []KeptCell
	for _, k := range lb.Kept {
		if k.Arch != r.Arch {
			continue
		}
		if r.Param != "" && (k.Param != r.Param || k.Value != r.Value) {
			continue
		}
		if r.Param == "" && r.Group != "" && HookKind(k.Hook) != r.Group {
			continue
		}
		out = append(out, k)
	}
	return out
}

// shortHook abbreviates a hook for a link: "blocks.1.hook_mlp_out" → "1.mlp_out".
func shortHook(h string) string {
	h = strings.TrimPrefix(h, "blocks.")
	h = strings.Replace(h, "hook_", "", 1)
	return strings.Replace(h, "attn.", "", 1)
}
