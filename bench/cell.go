package bench

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/glassbox-interp/glassbox/model"
	"github.com/glassbox-interp/glassbox/sae"
)

// Sparsity parameter names: the architecture decides which one a cell uses.
const (
	ParamL1 = "l1" // l1 coefficient of the penalised architectures
	ParamK  = "k"  // number of active latents of the top-k architectures
)

// Hook selectors understood by Expand besides exact hook names. A kind
// selector with the suffix ":last" (LastSuffix) keeps only the last hook the
// kind picks: "residual:last" is the residual stream after the last layer,
// "mlp:last" the last layer's MLP output.
const (
	SelectResidual = "residual"
	SelectMLP      = "mlp"
	SelectAttn     = "attn"
	SelectAll      = "all"
	LastSuffix     = ":last"
)

// DefaultHooks are the hook selectors of the default sweep: for every case
// the residual stream after the last layer (it holds every variable the
// program writes) and the last layer's MLP output.
var DefaultHooks = []string{SelectResidual + LastSuffix, SelectMLP + LastSuffix}

// Archs returns the architecture names bench can sweep (every architecture
// sae registers), sorted.
func Archs() []string {
	out := sae.Architectures()
	sort.Strings(out)
	return out
}

// ArchParam returns the sparsity parameter (ParamL1 or ParamK) an
// architecture is swept over (sae.ArchInfo.UsesK), or an error for an
// unknown architecture.
func ArchParam(arch string) (string, error) {
	info, ok := sae.ArchitectureInfo(arch)
	if !ok {
		return "", fmt.Errorf("unknown SAE architecture %q (known: %s)", arch, strings.Join(Archs(), ", "))
	}
	if info.UsesK {
		return ParamK, nil
	}
	return ParamL1, nil
}

// Spec describes a sweep grid. Zero-valued optional fields get defaults
// from Normalize.
type Spec struct {
	Cases          []int     `json:"cases"`
	Hooks          []string  `json:"hooks"`           // selectors: residual, mlp, attn, all, or exact hook names
	Archs          []string  `json:"archs"`           // e.g. standard, gated, topk
	L1             []float64 `json:"l1"`              // for standard, gated, jumprelu
	K              []int     `json:"k"`               // for topk, batchtopk
	Seeds          []int64   `json:"seeds"`           // default [42]
	TrainingTokens int64     `json:"training_tokens"` // default 300000
	Expansion      int       `json:"expansion"`       // d_sae / d_in, default 4
	// Models are the model kinds each case is swept on: ModelCompiled,
	// ModelSIIT (the case's SIIT-trained model) and ModelInterpBench (the
	// case's folder in a directory of downloaded models); empty means
	// compiled only.
	Models []string `json:"models,omitempty"`
	// Programs are .star programs swept after the cases, like them on
	// every model kind (interpbench: none, they have no released models).
	Programs []Program `json:"programs,omitempty"`
}

// Defaults used by Normalize.
const (
	DefaultTrainingTokens = 300_000
	DefaultExpansion      = 4
	DefaultSeed           = 42
)

// Normalize fills defaults and checks the spec: at least one case, hook
// selector and architecture; known architectures; an l1 list when an
// l1-penalised architecture is present and a k list when a top-k one is;
// positive k, non-negative finite l1, positive tokens and expansion.
func (s Spec) Normalize() (Spec, error) {
	if len(s.Seeds) == 0 {
		s.Seeds = []int64{DefaultSeed}
	}
	if s.TrainingTokens == 0 {
		s.TrainingTokens = DefaultTrainingTokens
	}
	if s.Expansion == 0 {
		s.Expansion = DefaultExpansion
	}
	switch {
	case len(s.Cases) == 0 && len(s.Programs) == 0:
		return s, fmt.Errorf("bench spec: no cases")
	case len(s.Hooks) == 0:
		return s, fmt.Errorf("bench spec: no hook selectors")
	case len(s.Archs) == 0:
		return s, fmt.Errorf("bench spec: no architectures")
	case s.TrainingTokens < 0:
		return s, fmt.Errorf("bench spec: training tokens %d: expected a positive number", s.TrainingTokens)
	case s.Expansion < 0:
		return s, fmt.Errorf("bench spec: expansion %d: expected a positive number", s.Expansion)
	}
	for _, m := range s.Models {
		if m != ModelCompiled && m != ModelSIIT && m != ModelInterpBench {
			return s, fmt.Errorf("bench spec: model %q: expected %s, %s or %s", m, ModelCompiled, ModelSIIT, ModelInterpBench)
		}
	}
	if s.Models = dedupe(s.Models); len(s.Models) == 1 && s.Models[0] == ModelCompiled {
		s.Models = nil // the default: a compiled-only spec reads as it always did
	}
	needL1, needK := false, false
	for _, a := range s.Archs {
		p, err := ArchParam(a)
		if err != nil {
			return s, fmt.Errorf("bench spec: %w", err)
		}
		needL1 = needL1 || p == ParamL1
		needK = needK || p == ParamK
	}
	if needL1 && len(s.L1) == 0 {
		return s, fmt.Errorf("bench spec: architectures %v need l1 values", s.Archs)
	}
	if needK && len(s.K) == 0 {
		return s, fmt.Errorf("bench spec: architectures %v need k values", s.Archs)
	}
	for _, v := range s.L1 {
		if !(v >= 0) || v > 1e300 {
			return s, fmt.Errorf("bench spec: l1 %v: expected a finite number >= 0", v)
		}
	}
	for _, k := range s.K {
		if k <= 0 {
			return s, fmt.Errorf("bench spec: k %d: expected a positive integer", k)
		}
	}
	for _, h := range s.Hooks {
		if strings.TrimSpace(h) == "" {
			return s, fmt.Errorf("bench spec: empty hook selector")
		}
	}
	var progs []Program
	seenProg := map[string]bool{}
	for _, p := range s.Programs {
		if len(p.Hash) != 16 || strings.Trim(p.Hash, "0123456789abcdef") != "" || p.Path == "" {
			return s, fmt.Errorf("bench spec: program %q (sha256 %q): expected a path and 16 hex digits of its hash", p.Path, p.Hash)
		}
		if !seenProg[p.Hash] {
			seenProg[p.Hash] = true
			progs = append(progs, p)
		}
	}
	s.Programs = progs
	s.Cases = dedupe(s.Cases)
	s.Hooks = dedupe(s.Hooks)
	s.Archs = dedupe(s.Archs)
	s.Seeds = dedupe(s.Seeds)
	s.L1 = sortedUnique(s.L1)
	s.K = sortedUnique(s.K)
	return s, nil
}

func dedupe[T comparable](xs []T) []T {
	seen := make(map[T]bool, len(xs))
	out := make([]T, 0, len(xs))
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func sortedUnique[T int | float64](xs []T) []T {
	out := append([]T(nil), xs...)
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return dedupe(out)
}

// Cell is one point of the grid: one SAE to train and score.
type Cell struct {
	Case           int     `json:"case"`              // the catalogue case (0 for a program)
	Program        string  `json:"program,omitempty"` // a .star program's content hash (Program.Hash)
	Hook           string  `json:"hook"`              // exact hook name, or the selector when it could not be expanded
	Arch           string  `json:"arch"`              // SAE architecture
	Param          string  `json:"param"`             // ParamL1 or ParamK
	Value          float64 `json:"value"`             // the l1 coefficient or k
	Seed           int64   `json:"seed"`              // training seed
	TrainingTokens int64   `json:"training_tokens"`   // tokens to train on
	Expansion      int     `json:"expansion"`         // d_sae / d_in
	// Model is the model kind (ModelSIIT, ModelInterpBench); "" is the
	// compiled model.
	Model string `json:"model,omitempty"`

	// ExpandErr is set when the cell could not be formed (the case does not
	// compile, the selector matches no hook); the sweep records it as the
	// cell's error without calling the runner. It is not part of the key.
	ExpandErr string `json:"-"`
}

// Key returns the canonical text of the cell's parameters (see package
// doc). A cell on another model than the compiled one ends with
// " model=KIND"; compiled cells keep the keys (and IDs) they always had.
// A program's cell starts with "program=<hash>" instead of "case=N".
func (c Cell) Key() string {
	k := fmt.Sprintf("%s hook=%s arch=%s %s=%s seed=%d tokens=%d expansion=%d",
		c.Subject().key(), c.Hook, c.Arch, c.Param, formatFloat(c.Value), c.Seed, c.TrainingTokens, c.Expansion)
	if c.Model != "" && c.Model != ModelCompiled {
		k += " model=" + c.Model
	}
	return k
}

// ModelKind is the cell's model kind (ModelCompiled when Model is "").
func (c Cell) ModelKind() string {
	if c.Model == "" {
		return ModelCompiled
	}
	return c.Model
}

// ID returns the cell's stable identifier: 16 hex digits of SHA-256(Key).
func (c Cell) ID() string {
	sum := sha256.Sum256([]byte(c.Key()))
	return hex.EncodeToString(sum[:8])
}

// Sparsity returns the cell's sparsity setting as text, e.g. "l1=0.1" or "k=8".
func (c Cell) Sparsity() string { return c.Param + "=" + formatFloat(c.Value) }

// K returns the cell's k for the top-k architectures (0 for the others).
func (c Cell) K() int {
	if c.Param != ParamK {
		return 0
	}
	return int(c.Value)
}

// L1 returns the cell's l1 coefficient (0 for the top-k architectures).
func (c Cell) L1() float64 {
	if c.Param != ParamL1 {
		return 0
	}
	return c.Value
}

func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// HookLister returns the hook names of a case's model in forward order (for
// example model.HookNames of the compiled model's config). An error means
// the case cannot be run; it is recorded for the case's cells.
type HookLister func(caseID int) ([]string, error)

// StandardHooks lists, in forward order, the hooks of an n-layer model that
// the residual, mlp and attn selectors can pick: for every layer
// hook_resid_pre, hook_attn_out, hook_resid_mid, hook_mlp_out,
// hook_resid_post. It is a HookLister building block for callers that know
// only the layer count.
func StandardHooks(nLayers int) []string {
	var out []string
	for l := 0; l < nLayers; l++ {
		for _, h := range []string{"hook_resid_pre", "hook_attn_out", "hook_resid_mid", "hook_mlp_out", "hook_resid_post"} {
			out = append(out, fmt.Sprintf("blocks.%d.%s", l, h))
		}
	}
	return out
}

// ErrNothingComputes is wrapped by SelectLiveHooks' error when every hook
// a kind selector matches belongs to an empty half-layer (case 24 has no
// MLP that computes anything). Expand makes no cell for such a selection.
var ErrNothingComputes = errors.New("every hook of that kind reads a half-layer that computes nothing (tracr left it empty)")

// EmptyLister returns the hooks of a case's model that read a half-layer
// computing nothing (workload.EmptyHooks); nil means none.
type EmptyLister func(caseID int) map[string]bool

// SelectHooks returns the hooks among modelHooks (forward order) that
// selector picks, in forward order. An exact hook name must be present.
// "KIND:last" (KIND residual, mlp or attn) returns the last hook KIND picks.
func SelectHooks(selector string, modelHooks []string) ([]string, error) {
	return SelectLiveHooks(selector, modelHooks, nil)
}

// SelectLiveHooks is SelectHooks skipping, for the kind selectors (mlp,
// attn, all and KIND:last), the hooks in empty: those of half-layers that
// compute nothing (tracr leaves some MLPs with zero weights). "mlp:last" is
// thus the last MLP output that computes something. An exact hook name is
// kept even when empty.
func SelectLiveHooks(selector string, modelHooks []string, empty map[string]bool) ([]string, error) {
	if kind, ok := strings.CutSuffix(selector, LastSuffix); ok {
		switch kind {
		case SelectResidual, SelectMLP, SelectAttn:
			hs, err := SelectLiveHooks(kind, modelHooks, empty)
			if errors.Is(err, ErrNothingComputes) {
				return nil, fmt.Errorf("hook selector %q: %w", selector, ErrNothingComputes)
			}
			if err != nil {
				return nil, fmt.Errorf("hook selector %q matches no hook of the model", selector)
			}
			return hs[len(hs)-1:], nil
		}
		return nil, fmt.Errorf("hook selector %q: %q works with residual, mlp or attn", selector, LastSuffix)
	}
	lastLayer := -1
	for _, h := range modelHooks {
		if m, err := model.ParseHook(h); err == nil && m.InBlock() && m.Layer > lastLayer {
			lastLayer = m.Layer
		}
	}
	pick := func(h string) bool {
		m, err := model.ParseHook(h)
		if err != nil || !m.InBlock() {
			return false
		}
		resid := m.Point == "hook_resid_pre" || (m.Point == "hook_resid_post" && m.Layer == lastLayer)
		switch selector {
		case SelectResidual:
			return resid
		case SelectMLP:
			return m.Point == "hook_mlp_out"
		case SelectAttn:
			return m.Point == "hook_attn_out"
		case SelectAll:
			return resid || m.Point == "hook_mlp_out" || m.Point == "hook_attn_out"
		}
		return false
	}
	var out []string
	switch selector {
	case SelectResidual, SelectMLP, SelectAttn, SelectAll:
		skipped := 0
		for _, h := range modelHooks {
			if pick(h) {
				if empty[h] {
					skipped++
					continue
				}
				out = append(out, h)
			}
		}
		if len(out) == 0 && skipped > 0 {
			return nil, fmt.Errorf("hook selector %q: %w", selector, ErrNothingComputes)
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("hook selector %q matches no hook of the model", selector)
		}
	default:
		for _, h := range modelHooks {
			if h == selector {
				return []string{h}, nil
			}
		}
		return nil, fmt.Errorf("hook %q is not a hook of the model (selectors: residual, mlp, attn, all, residual:last, mlp:last, attn:last)", selector)
	}
	return out, nil
}

// ModelHookLister returns the hook names of a case's model of one kind
// (ModelCompiled, ModelSIIT, ModelInterpBench) in forward order. An error
// wrapping ErrNoModel means the case has no model of that kind: the
// expansion gives it no cells and a note instead of failed cells.
type ModelHookLister func(caseID int, kind string) ([]string, error)

// Expand normalizes the spec and returns the ordered cells of the whole
// grid (see the package doc for the order). hooks is called once per case
// and lists every model kind's hooks; use ExpandModels when the kinds'
// models differ.
func Expand(spec Spec, hooks HookLister) ([]Cell, error) {
	return ExpandSkipping(spec, hooks, nil)
}

// ExpandSkipping is Expand with the kind selectors skipping the hooks that
// empty lists per case (SelectLiveHooks); empty may be nil.
func ExpandSkipping(spec Spec, hooks HookLister, empty EmptyLister) ([]Cell, error) {
	cells, _, err := ExpandNotes(spec, hooks, empty)
	return cells, err
}

// ExpandNotes is ExpandSkipping that also returns, one line per case and
// selector, the selections that gave no cell because every hook they
// match computes nothing (ErrNothingComputes), e.g. mlp:last on case 24.
func ExpandNotes(spec Spec, hooks HookLister, empty EmptyLister) ([]Cell, []string, error) {
	if hooks == nil {
		return nil, nil, fmt.Errorf("bench: expand: no HookLister")
	}
	return ExpandModelsNotes(spec, func(id int, _ string) ([]string, error) { return hooks(id) }, empty)
}

// ExpandModels is Expand with one hook list per case and model kind: the
// cells of a case come model by model, in the spec's order.
func ExpandModels(spec Spec, hooks ModelHookLister) ([]Cell, error) {
	cells, _, err := ExpandModelsNotes(spec, hooks, nil)
	return cells, err
}

// ExpandModelsNotes is ExpandModels with ExpandNotes' skipping of hooks
// that compute nothing; empty (per case, may be nil) applies to the
// compiled model only (trained models have no empty half-layers). A spec
// with programs needs ExpandSubjects.
func ExpandModelsNotes(spec Spec, hooks ModelHookLister, empty EmptyLister) ([]Cell, []string, error) {
	if hooks == nil {
		return nil, nil, fmt.Errorf("bench: expand: no HookLister")
	}
	sh := func(s Subject, kind string) ([]string, error) {
		if s.Program != "" {
			return nil, fmt.Errorf("bench: expand: no hook lister for programs")
		}
		return hooks(s.Case, kind)
	}
	var se SubjectEmptyLister
	if empty != nil {
		se = func(s Subject) map[string]bool {
			if s.Program != "" {
				return nil
			}
			return empty(s.Case)
		}
	}
	return ExpandSubjects(spec, sh, se)
}

// SubjectHookLister returns the hook names of a case's or a program's
// model of one kind, in forward order (an error wrapping ErrNoModel: it
// has no model of that kind, and gets no cells).
type SubjectHookLister func(s Subject, kind string) ([]string, error)

// SubjectEmptyLister returns the hooks of a case's or a program's compiled
// model whose half-layer computes nothing.
type SubjectEmptyLister func(s Subject) map[string]bool

// ExpandSubjects expands the spec's cases, then its programs, each on
// every model kind, with hooks and empty (may be nil) listing the hooks of
// each; see ExpandModelsNotes.
func ExpandSubjects(spec Spec, hooks SubjectHookLister, empty SubjectEmptyLister) ([]Cell, []string, error) {
	var notes []string
	s, err := spec.Normalize()
	if err != nil {
		return nil, nil, err
	}
	if hooks == nil {
		return nil, nil, fmt.Errorf("bench: expand: no HookLister")
	}
	var cells []Cell
	type subjectModel struct {
		subj  Subject
		model string
	}
	var pairs []subjectModel
	models := s.Models
	if len(models) == 0 {
		models = []string{ModelCompiled}
	}
	var subjects []Subject
	subjNames := map[Subject]string{}
	for _, cs := range s.Cases {
		subjects = append(subjects, Subject{Case: cs})
	}
	for _, p := range s.Programs {
		subj := Subject{Program: p.Hash}
		subjects = append(subjects, subj)
		subjNames[subj] = fmt.Sprintf("program %s (%s)", filepath.Base(p.Path), p.Hash)
	}
	for _, subj := range subjects {
		for _, m := range models {
			pairs = append(pairs, subjectModel{subj, m})
		}
	}
	for _, pair := range pairs {
		subj, mkind := pair.subj, pair.model
		name := subjNames[subj]
		if name == "" {
			name = subj.String()
		}
		cellModel := mkind
		if cellModel == ModelCompiled {
			cellModel = ""
		}
		type hookOrErr struct{ name, err string }
		var picked []hookOrErr
		modelHooks, herr := hooks(subj, mkind)
		if errors.Is(herr, ErrNoModel) {
			// A case without a model of this kind (no folder in the
			// directory of downloads) gets no cells: one note.
			notes = append(notes, fmt.Sprintf("%s: %v: no %s cells", name, herr, mkind))
			continue
		}
		if herr != nil {
			// The error names the case once (a lister's error may already).
			msg, prefix := herr.Error(), name+": "
			if !strings.HasPrefix(msg, prefix) {
				msg = prefix + msg
			}
			for _, sel := range s.Hooks {
				picked = append(picked, hookOrErr{sel, msg})
			}
		} else {
			pos := make(map[string]int, len(modelHooks))
			for i, h := range modelHooks {
				if _, dup := pos[h]; !dup {
					pos[h] = i
				}
			}
			var skip map[string]bool
			if empty != nil && mkind == ModelCompiled {
				skip = empty(subj)
			}
			chosen := map[string]bool{}
			var names []string
			for _, sel := range s.Hooks {
				hs, err := SelectLiveHooks(sel, modelHooks, skip)
				if errors.Is(err, ErrNothingComputes) {
					notes = append(notes, fmt.Sprintf("%s: %v: no cell", name, err))
					continue
				}
				if err != nil {
					picked = append(picked, hookOrErr{sel, fmt.Sprintf("%s: %v", name, err)})
					continue
				}
				for _, h := range hs {
					if !chosen[h] {
						chosen[h] = true
						names = append(names, h)
					}
				}
			}
			sort.SliceStable(names, func(i, j int) bool { return pos[names[i]] < pos[names[j]] })
			ok := make([]hookOrErr, 0, len(names)+len(picked))
			for _, n := range names {
				ok = append(ok, hookOrErr{name: n})
			}
			picked = append(ok, picked...)
		}
		for _, h := range picked {
			for _, a := range s.Archs {
				param, _ := ArchParam(a)
				var values []float64
				if param == ParamL1 {
					values = s.L1
				} else {
					for _, k := range s.K {
						values = append(values, float64(k))
					}
				}
				for _, v := range values {
					for _, seed := range s.Seeds {
						cells = append(cells, Cell{
							Case: subj.Case, Program: subj.Program, Hook: h.name, Arch: a, Param: param, Value: v, Seed: seed,
							TrainingTokens: s.TrainingTokens, Expansion: s.Expansion, Model: cellModel, ExpandErr: h.err,
						})
					}
				}
			}
		}
	}
	return cells, notes, nil
}
