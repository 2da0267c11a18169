package sae

import (
	"slices"
	"strings"
)

// Architectures glassbox trains (the names of the registered architectures).
const (
	ArchStandard  = "standard"
	ArchGated     = "gated"
	ArchJumpReLU  = "jumprelu"
	ArchTopK      = "topk"
	ArchBatchTopK = "batchtopk"
)

// architectures is the registry: every architecture glassbox knows, in the
// order error messages list them. Adding one is a new arch_<name>.go file
// implementing architecture plus one entry here (see the package doc).
var architectures = []architecture{
	standardArch{},
	gatedArch{},
	jumpReLUArch{},
	topKArch{},
	batchTopKArch{},
}

// architecture is everything that differs between SAE architectures. The
// shared parts (W_enc, W_dec, b_dec, input normalisation, decoding, the
// optimizer and the trainer) live elsewhere; an implementation only adds
// its own parameters and its activation, loss and backward pass. Embed
// archDefaults for the optional hooks.
type architecture interface {
	// name is the SAELens architecture name ("architecture" in cfg.json).
	name() string
	// resolve checks the config keys the architecture reads and fills its
	// derived fields of r (K, KBatch, SparsityCoeff); bad builds an error
	// naming a key.
	resolve(r *Resolved, bad func(key, format string, args ...any) error) error
	// alloc allocates zero parameters besides W_enc, W_dec and b_dec.
	alloc(s *SAE)
	// params returns the trainable parameters with their SAELens names, in
	// the fixed order of the Adam state and the gradients; W_enc is stored
	// transposed (SAE.WEncT).
	params(s *SAE) []param
	// encoder returns the function that turns the encoder product u = c·W_enc
	// of one row into its feature activations, in place (inference
	// semantics; the function may keep scratch, so one per goroutine).
	encoder(s *SAE) func(f []float32)
	// step runs the forward pass, the loss and the backward pass of one
	// training step on the step rows x (see workspace), adding the
	// gradients into gr (params order), and returns the loss terms
	// (Overall is filled in by the caller).
	step(s *SAE, w *workspace, x []float32, o *stepOptions, gr grads) (StepLosses, error)
	// tensors lists the architecture's tensors of sae_weights.safetensors
	// besides W_enc, W_dec and b_dec: how to write and read each one.
	tensors(s *SAE) []fileTensor

	// Optional hooks (archDefaults has the defaults).

	// cfgDict adds the architecture's keys to the cfg.json dictionary.
	cfgDict(s *SAE, cfg map[string]any)
	// readCfg reads the architecture's keys of a SAELens cfg.json into s.
	readCfg(s *SAE, c *cfgReader) error

	// ghostGrads reports whether use_ghost_grads is defined for it.
	ghostGrads() bool
	// usesK reports whether its sparsity is set by k (active features per
	// row) rather than by l1_coefficient.
	usesK() bool
	// dedupe reports whether the step may run on the distinct rows of a
	// batch (each weighted by its count) rather than on every row.
	dedupe() bool
	// initParams sets the architecture's parameters after the shared
	// weight initialisation.
	initParams(s *SAE, r *Resolved)
	// afterStep updates state that is not trained by gradient (after the
	// optimizer step).
	afterStep(s *SAE, w *workspace, r *Resolved)
	// logValues are extra metrics.jsonl values of a logged training step.
	logValues(s *SAE) (keys []string, vals []float64)
}

// param is one trainable parameter and its SAELens name.
type param struct {
	name string
	v    []float32
}

// fileTensor is one tensor of sae_weights.safetensors ([d_sae] unless
// shape is set): save returns its values, load checks and stores them.
type fileTensor struct {
	name  string
	shape []int
	save  func() []float32
	load  func(v []float32) error
}

// archDefaults are the defaults of the optional architecture hooks.
type archDefaults struct{}

func (archDefaults) ghostGrads() bool                               { return false }
func (archDefaults) usesK() bool                                    { return false }
func (archDefaults) dedupe() bool                                   { return true }
func (archDefaults) initParams(*SAE, *Resolved)                     {}
func (archDefaults) afterStep(*SAE, *workspace, *Resolved)          {}
func (archDefaults) logValues(*SAE) (keys []string, vals []float64) { return nil, nil }
func (archDefaults) cfgDict(*SAE, map[string]any)                   {}
func (archDefaults) readCfg(*SAE, *cfgReader) error                 { return nil }

// savedName is the architecture name a's SAEs are saved (and loaded) as:
// its own unless it has a savedAs method (batchtopk is saved as jumprelu).
func savedName(a architecture) string {
	if v, ok := a.(interface{ savedAs() string }); ok {
		return v.savedAs()
	}
	return a.name()
}

// vecTensor is the fileTensor of a parameter stored as it is trained.
func vecTensor(name string, v []float32) fileTensor {
	return fileTensor{name: name,
		save: func() []float32 { return v },
		load: func(src []float32) error { copy(v, src); return nil }}
}

// archByName returns the registered architecture called name.
func archByName(name string) (architecture, bool) {
	for _, a := range architectures {
		if a.name() == name {
			return a, true
		}
	}
	return nil, false
}

// archList names the registered architectures for error messages
// ("standard, gated, … or batchtopk").
func archList() string {
	names := Architectures()
	if len(names) == 1 {
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// Architectures returns the names of the architectures glassbox trains.
func Architectures() []string {
	out := make([]string, len(architectures))
	for i, a := range architectures {
		out[i] = a.name()
	}
	return out
}

// ArchInfo is what front ends need to know about an architecture.
type ArchInfo struct {
	Name string
	// GhostGrads: use_ghost_grads is defined for it (the notebook's
	// default, ghost grads on, applies).
	GhostGrads bool
	// UsesK: its sparsity is set by k, not by l1_coefficient.
	UsesK bool
}

// ArchitectureInfo describes the registered architecture called name.
func ArchitectureInfo(name string) (ArchInfo, bool) {
	a, ok := archByName(name)
	if !ok {
		return ArchInfo{}, false
	}
	return ArchInfo{Name: a.name(), GhostGrads: a.ghostGrads(), UsesK: a.usesK()}, true
}

// IsArchitecture reports whether name is a registered architecture.
func IsArchitecture(name string) bool {
	return slices.Contains(Architectures(), name)
}

// arch returns s's architecture (nil for an unknown name, which New and
// Load refuse).
func (s *SAE) arch() architecture {
	a, _ := archByName(s.Arch)
	return a
}
