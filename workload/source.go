package workload

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/glassbox-interp/glassbox/activations"
	"github.com/glassbox-interp/glassbox/formats/atomicfile"
)

// SourceFile is the file in a run directory that records its Source
// (written by WriteSource when a run starts, read by ReadSource to resume
// or analyse it).
const SourceFile = "source.json"

// Source says where a run's activations come from. Exactly one of Case,
// Program (each optionally with Model) and Activations is set.
type Source struct {
	// Case is a circuits-benchmark case id: its dataset gives the token
	// rows, and its compiled model gives the activations unless Model is set.
	Case int `json:"case,omitempty"`
	// Program is a .star program used instead of a catalogue case (its
	// dataset and traces; its compiled model unless Model is set).
	Program *Program `json:"program,omitempty"`
	// Model is a model folder (glassbox or InterpBench) run on the case's
	// dataset.
	Model string `json:"model,omitempty"`
	// ModelRef records the model the run used (path, kind, weights hash);
	// loading the source again refuses any other model.
	ModelRef *ModelRef `json:"model_ref,omitempty"`
	// Activations is an activation file ([N,d_in] or [B,T,d_in]
	// safetensors or .npy) or an activation cache directory.
	Activations string `json:"activations,omitempty"`
	// Hook is the TransformerLens hook name.
	Hook string `json:"hook_name,omitempty"`
	// Head selects one head of a per-head hook.
	Head *int `json:"hook_head_index,omitempty"`
	// DropPositions and Positions filter positions (e.g. drop BOS = [0]).
	DropPositions []int `json:"drop_positions,omitempty"`
	Positions     []int `json:"positions,omitempty"`
}

// Load computes (or reads) the activations and returns them with the model
// name SAELens' cfg should carry ("case3"; "" for an activation file).
func (s Source) Load() (*activations.Set, string, error) {
	set, name, _, err := s.LoadRef()
	return set, name, err
}

// LoadRef is Load that also describes the model the activations came from
// (nil for an activation file). When s.ModelRef is set, a different model
// (another kind or other weights) is an error naming both.
func (s Source) LoadRef() (*activations.Set, string, *ModelRef, error) {
	if s.Activations != "" {
		set, name, err := s.loadFile()
		return set, name, nil, err
	}
	if s.Hook == "" {
		return nil, "", nil, fmt.Errorf("no hook name given (e.g. blocks.0.hook_mlp_out)")
	}
	cd, name, err := s.CaseData()
	if err != nil {
		return nil, "", nil, err
	}
	w, err := Open(cd, s.Model)
	if err != nil {
		return nil, "", nil, err
	}
	ref := w.Ref()
	if s.ModelRef != nil {
		if err := s.ModelRef.Check(w); err != nil {
			return nil, "", nil, err
		}
	}
	set, err := Collect(w.Model, w.Tokens, s.Hook, Select{Head: s.Head, Positions: s.Positions, DropPositions: s.DropPositions})
	if err != nil {
		return nil, "", nil, err
	}
	return set, name, &ref, nil
}

// CaseData loads the source's case (a catalogue case, compiled once per
// process, or its .star program) and the model name SAELens' cfg carries
// ("case3", or the program's name).
func (s Source) CaseData() (*Case, string, error) {
	switch {
	case s.Program != nil && s.Case != 0:
		return nil, "", fmt.Errorf("give a case or a program, not both")
	case s.Program != nil:
		cd, err := ProgramCase(*s.Program)
		if err != nil {
			return nil, "", err
		}
		return cd, strings.TrimSuffix(filepath.Base(s.Program.Path), ".star"), nil
	case s.Case == 0:
		return nil, "", fmt.Errorf("no data source: give a case or a .star program (optionally with a model directory) or an activation file")
	}
	cd, err := CatalogueCase(s.Case)
	if err != nil {
		return nil, "", fmt.Errorf("case %d: %w", s.Case, err)
	}
	return cd, fmt.Sprintf("case%d", s.Case), nil
}

func (s Source) loadFile() (*activations.Set, string, error) {
	if s.Case != 0 || s.Model != "" || s.Program != nil {
		return nil, "", fmt.Errorf("an activation file cannot be combined with a case, a program or a model")
	}
	set, err := activations.LoadFile(s.Activations)
	if err != nil {
		return nil, "", err
	}
	if s.Hook != "" {
		set.HookName = s.Hook
	}
	return set, "", nil
}

// Absolute makes the file paths absolute so the run can be resumed from
// another working directory.
func (s Source) Absolute() Source {
	if s.Program != nil {
		p := *s.Program
		if abs, err := filepath.Abs(p.Path); err == nil {
			p.Path = abs
		}
		s.Program = &p
	}
	for _, p := range []*string{&s.Activations, &s.Model} {
		if *p != "" {
			if abs, err := filepath.Abs(*p); err == nil {
				*p = abs
			}
		}
	}
	return s
}

// ReadSource reads a run directory's source.json; a missing file is an
// error wrapping fs.ErrNotExist.
func ReadSource(runDir string) (Source, error) {
	var s Source
	path := filepath.Join(runDir, SourceFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return s, fmt.Errorf("read run source: %w", err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// WriteSource records s in runDir's source.json.
func WriteSource(runDir string, s Source) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(runDir, SourceFile), append(b, '\n'), 0o644)
}

// Label names the source for file names: "case3", "case3-<model dir>" or
// the activation file's base name without extension ("acts").
func (s Source) Label() string {
	if s.Activations != "" {
		base := filepath.Base(strings.TrimRight(s.Activations, `/\`))
		for _, ext := range []string{".safetensors", ".npy"} {
			base = strings.TrimSuffix(base, ext)
		}
		return base
	}
	l := fmt.Sprintf("case%d", s.Case)
	if s.Model != "" {
		l += "-" + filepath.Base(strings.TrimRight(s.Model, `/\`))
	}
	return l
}
