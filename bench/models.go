package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/glassbox-interp/glassbox/model"
	"github.com/glassbox-interp/glassbox/siit"
	"github.com/glassbox-interp/glassbox/trained"
	"github.com/glassbox-interp/glassbox/workload"
)

// Model kinds a sweep can run on (Spec.Models, Cell.Model).
const (
	// ModelCompiled is the case's tracr-compiled model.
	ModelCompiled = "compiled"
	// ModelSIIT is the case's model trained with SIIT (package siit),
	// trained once per sweep directory under models/case_N.
	ModelSIIT = "siit"
	// ModelInterpBench is the case's released model, read from its folder
	// in a directory of downloads (ModelsOptions.InterpBenchDir,
	// ModelFolder): an InterpBench download or a glassbox model folder.
	ModelInterpBench = "interpbench"
)

// ModelsDir is the folder of a sweep directory that holds the trained
// models, one case_N folder per case (trained.Ensure: keyed by content,
// resumed after an interruption, reused by later sweeps and shards).
const ModelsDir = "models"

// SIITOptions are a sweep's SIIT training settings (trained.Settings;
// zero: InterpBench's default recipe for each case). Enabled marks a sweep
// with siit models, so spec.json records it.
type SIITOptions struct {
	Enabled bool   `json:"enabled,omitempty"`
	Recipe  string `json:"recipe,omitempty"`
	Epochs  int    `json:"epochs,omitempty"`
	Samples int    `json:"samples,omitempty"`
	// Models, when set, is a directory of SIIT models trained beforehand
	// (e.g. by `glassbox siit all`: DIR/case_N): the siit cells run on them
	// and nothing is trained (Recipe, Epochs and Samples are then unset).
	Models string `json:"models,omitempty"`
}

// Settings converts to trained.Settings.
func (o SIITOptions) Settings() trained.Settings {
	return trained.Settings{Recipe: o.Recipe, Epochs: o.Epochs, Samples: o.Samples}
}

// ModelsOptions configure RealBackendModels.
type ModelsOptions struct {
	// Dir is the sweep directory (the models go to Dir/models/case_N).
	Dir string
	// SIIT chooses the SIIT training (zero: InterpBench's default recipe).
	SIIT trained.Settings
	// Context stops a SIIT training (nil: never).
	Context context.Context
	// Trained, when set, is told about every model Ensure returns.
	Trained func(s Subject, m *trained.Model)
	// InterpBenchDir is the directory of downloaded models the
	// interpbench cells run on (ModelFolder); "" when the sweep has none.
	InterpBenchDir string
	// SIITDir, when set, holds the siit cells' models, trained beforehand
	// (ModelFolder: DIR/case_N or DIR/N); SIIT is then unused.
	SIITDir string
}

// SIITModelDir is where a sweep in dir keeps case id's SIIT model.
func SIITModelDir(dir string, id int) string {
	return filepath.Join(dir, ModelsDir, fmt.Sprintf("case_%d", id))
}

// siitDir is where a sweep in dir keeps the SIIT model of a case
// (SIITModelDir) or a program (models/program_<hash>).
func siitDir(dir string, s Subject) string {
	if s.Program != "" {
		return filepath.Join(dir, ModelsDir, "program_"+s.Program)
	}
	return SIITModelDir(dir, s.Case)
}

// RealBackendModels is RealBackend for sweeps over several model kinds
// (Spec.Models): compiled cells run as RealBackend's, siit cells on the
// case's SIIT model, which the first cell that needs it trains (once per
// process, under a file lock across processes) into Dir/models/case_N,
// and interpbench cells on the case's folder in InterpBenchDir (a case
// without one has no interpbench cells). Every model folder is opened by
// workload.Open, and the cells run on one record its provenance
// (Backend.Provenance).
func RealBackendModels(opts RunnerOptions, mo ModelsOptions) (*Backend, error) {
	if mo.Dir == "" {
		return nil, fmt.Errorf("bench: the SIIT models need the sweep directory")
	}
	ctx := mo.Context
	if ctx == nil {
		ctx = context.Background()
	}
	comp := NewRunner(opts)
	sr := NewRunner(opts)
	var mu sync.Mutex
	locks := map[Subject]*sync.Mutex{}
	sr.modelDir = func(subj Subject) (string, error) {
		mu.Lock()
		l, ok := locks[subj]
		if !ok {
			l = &sync.Mutex{}
			locks[subj] = l
		}
		mu.Unlock()
		l.Lock()
		defer l.Unlock()
		dir := siitDir(mo.Dir, subj)
		if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
			return "", err
		}
		unlock, err := lockWait(dir + ".lock")
		if err != nil {
			return "", err
		}
		defer unlock()
		e, err := sr.compiled(subj)
		if err != nil {
			return "", err
		}
		m, err := trained.Ensure(ctx, e.c, dir, mo.SIIT)
		if err != nil {
			return "", fmt.Errorf("SIIT model of %s: %w", subj.String(), err)
		}
		if mo.Trained != nil {
			mo.Trained(subj, m)
		}
		return dir, nil
	}
	sr.modelConfig = func(subj Subject) (model.Config, error) {
		e, err := sr.compiled(subj)
		if err != nil {
			return model.Config{}, err
		}
		ll, _, err := siit.LLConfig(e.compiled.Compiled.Config, e.c.ID, siit.Shape{})
		if err != nil {
			return model.Config{}, fmt.Errorf("%s: SIIT shape: %w", subj.String(), err)
		}
		return ll, nil
	}
	if mo.SIITDir != "" {
		// Models trained beforehand: opened like downloads, never trained.
		sr = folderRunner(opts, mo.SIITDir, "--siit-models")
	}
	ib := folderRunner(opts, mo.InterpBenchDir, "--model-dir")
	pick := func(kind string) *Runner {
		switch kind {
		case ModelSIIT:
			return sr
		case ModelInterpBench:
			return ib
		}
		return comp
	}
	b := &Backend{
		AllCases: InterpBenchCases,
		Hooks:    comp.Hooks,
		Empty:    comp.Empty,
		ModelHooks: func(id int, kind string) ([]string, error) {
			return pick(kind).Hooks(id)
		},
		SubjectHooks: func(s Subject, kind string) ([]string, error) {
			return pick(kind).HooksOf(s)
		},
		SubjectEmpty: comp.EmptyOf,
		AddPrograms: func(ps []Program) {
			for _, r := range []*Runner{comp, sr, ib} {
				r.AddPrograms(ps)
			}
		},
		Run:        func(ctx context.Context, c Cell) (map[string]float64, error) { return pick(c.ModelKind()).Run(ctx, c) },
		Cost:       func(c Cell) float64 { return pick(c.ModelKind()).Cost(c) },
		Provenance: func(c Cell) *workload.ModelRef { return pick(c.ModelKind()).Provenance(c) },
		Plan: func(cells []Cell) {
			byKind := map[string][]Cell{}
			for _, c := range cells {
				byKind[c.ModelKind()] = append(byKind[c.ModelKind()], c)
			}
			for _, k := range []string{ModelCompiled, ModelSIIT, ModelInterpBench} {
				pick(k).Plan(byKind[k])
			}
		},
	}
	return b, nil
}

// Expand expands spec with the backend's hook listers (SubjectHooks or
// ModelHooks when set, so each model kind gets its own model's hooks),
// skipping the compiled model's hooks that compute nothing (Empty); the
// notes say which selections gave no cell for that reason (see
// ExpandNotes). A spec with programs needs SubjectHooks.
func (b *Backend) Expand(spec Spec) ([]Cell, []string, error) {
	if b.SubjectHooks != nil {
		if b.AddPrograms != nil {
			b.AddPrograms(spec.Programs)
		}
		return ExpandSubjects(spec, b.SubjectHooks, b.SubjectEmpty)
	}
	if b.ModelHooks != nil {
		return ExpandModelsNotes(spec, b.ModelHooks, b.Empty)
	}
	return ExpandNotes(spec, b.Hooks, b.Empty)
}
