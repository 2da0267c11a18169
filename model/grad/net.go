package grad

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/glassbox-interp/glassbox/model"
	"github.com/glassbox-interp/glassbox/tensor"
)

// Net is a trainable TransformerLens HookedTransformer of InterpBench's LL
// shape (see the package doc for the supported subset). Its parameters are
// float32 and live in one flat slice in Names order; Adam updates them in
// place.
type Net struct {
	cfg    model.Config
	names  []string
	shapes map[string][]int
	off    map[string]int // offset of each parameter in data
	data   []float32
	idx    []paramIndex // per name, in Names order
	layers []layerOff
	wE     int
	wPos   int
	wU, bU int

	geom       geom
	gradLayout gradLayout
	version    uint64 // bumped whenever the parameters change (ForwardFrom checks it)
	id         uint64 // unique per Net (a Workspace's packed weights name it)
}

// netIDs numbers the Nets.
var netIDs atomic.Uint64

// paramIndex is one parameter's place in the flat slice.
type paramIndex struct{ off, n int }

// layerOff holds the offsets of one block's parameters.
type layerOff struct {
	wQ, wK, wV, wO, bQ, bK, bV, bO int
	wIn, bIn, wOut, bOut           int
	// indices into Net.idx, for the has-gradient flags
	iQ, iK, iV, iO, ibQ, ibK, ibV, iIn, ibIn int
}

// New returns a Net with every parameter zero. cfg gets WithDefaults; it
// must be in the supported subset: normalization_type None, act_fn "gelu"
// or "relu", standard positional embeddings, not attn_only, none of the
// switches model.Config.Validate rejects.
func New(cfg model.Config) (*Net, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("grad: %w", err)
	}
	switch {
	case cfg.NormalizationType != "":
		return nil, fmt.Errorf("grad: normalization_type %q not supported (only None)", cfg.NormalizationType)
	case cfg.ActFn != "gelu" && cfg.ActFn != "relu":
		return nil, fmt.Errorf("grad: act_fn %q not supported (want \"gelu\" or \"relu\")", cfg.ActFn)
	case cfg.AttnOnly:
		return nil, fmt.Errorf("grad: attn_only models are not supported (the LL models have MLPs)")
	}
	names, shapes := model.ParamShapes(cfg)
	n := &Net{cfg: cfg, names: names, shapes: shapes, off: make(map[string]int, len(names)), id: netIDs.Add(1)}
	total := 0
	for _, name := range names {
		k := tensor.NumElements(shapes[name])
		n.off[name] = total
		n.idx = append(n.idx, paramIndex{total, k})
		total += k
	}
	n.data = make([]float32, total)
	pos := make(map[string]int, len(names))
	for i, name := range names {
		pos[name] = i
	}
	n.wE, n.wPos = n.off["embed.W_E"], n.off["pos_embed.W_pos"]
	n.wU, n.bU = n.off["unembed.W_U"], n.off["unembed.b_U"]
	n.layers = make([]layerOff, cfg.NLayers)
	for l := range n.layers {
		p := fmt.Sprintf("blocks.%d.", l)
		n.layers[l] = layerOff{
			wQ: n.off[p+"attn.W_Q"], wK: n.off[p+"attn.W_K"], wV: n.off[p+"attn.W_V"], wO: n.off[p+"attn.W_O"],
			bQ: n.off[p+"attn.b_Q"], bK: n.off[p+"attn.b_K"], bV: n.off[p+"attn.b_V"], bO: n.off[p+"attn.b_O"],
			wIn: n.off[p+"mlp.W_in"], bIn: n.off[p+"mlp.b_in"], wOut: n.off[p+"mlp.W_out"], bOut: n.off[p+"mlp.b_out"],
			iQ: pos[p+"attn.W_Q"], iK: pos[p+"attn.W_K"], iV: pos[p+"attn.W_V"], iO: pos[p+"attn.W_O"],
			ibQ: pos[p+"attn.b_Q"], ibK: pos[p+"attn.b_K"], ibV: pos[p+"attn.b_V"],
			iIn: pos[p+"mlp.W_in"], ibIn: pos[p+"mlp.b_in"],
		}
	}
	n.geom = newGeom(n)
	n.gradLayout = newGradLayout(n.geom)
	return n, nil
}

// Config returns the model configuration (with defaults filled in).
func (n *Net) Config() model.Config { return n.cfg }

// Names returns the parameter names in TransformerLens' state_dict order
// (the mask and IGNORE buffers excluded).
func (n *Net) Names() []string { return append([]string(nil), n.names...) }

// param returns the named parameter's slice of the flat data.
func (n *Net) param(name string) []float32 {
	o := n.off[name]
	return n.data[o : o+tensor.NumElements(n.shapes[name])]
}

// InitNormal sets every weight matrix (W_E, W_pos, W_Q, W_K, W_V, W_O,
// W_in, W_out, W_U) to N(0, std²) samples and every bias to zero. The
// samples come from a PCG generator seeded with (seed, 0) (math/rand/v2,
// NormFloat64 rounded to float32), drawn in Names order, each tensor in
// row-major order, so a seed always gives the same weights.
func (n *Net) InitNormal(seed int64, std float64) {
	n.version++
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	for _, name := range n.names {
		p := n.param(name)
		last := name[strings.LastIndexByte(name, '.')+1:]
		if !strings.HasPrefix(last, "W_") {
			clear(p)
			continue
		}
		for i := range p {
			p[i] = float32(rng.NormFloat64() * std)
		}
	}
}

// FromParams builds a Net from a state dict with TransformerLens names.
// Every weight matrix must be present with its exact shape; absent biases
// are zero. The attention mask buffers are ignored, and so is an IGNORE
// buffer holding -inf (TransformerLens' value); any other key is an error.
// The tensors are copied.
func FromParams(cfg model.Config, p map[string]*tensor.Tensor) (*Net, error) {
	n, err := New(cfg)
	if err != nil {
		return nil, err
	}
	for _, name := range n.names {
		t, ok := p[name]
		last := name[strings.LastIndexByte(name, '.')+1:]
		if !ok || t == nil {
			if strings.HasPrefix(last, "W_") {
				return nil, fmt.Errorf("grad: state dict has no %q (want shape %s)", name, tensor.ShapeString(n.shapes[name]))
			}
			continue
		}
		if !tensor.SameShape(t.Shape, n.shapes[name]) {
			return nil, fmt.Errorf("grad: %q has shape %s, want %s", name, tensor.ShapeString(t.Shape), tensor.ShapeString(n.shapes[name]))
		}
		if len(t.Data) != tensor.NumElements(t.Shape) {
			return nil, fmt.Errorf("grad: %q has %d values for shape %s", name, len(t.Data), tensor.ShapeString(t.Shape))
		}
		copy(n.param(name), t.Data)
	}
	var extra []string
	for name, t := range p {
		if _, ok := n.off[name]; ok {
			continue
		}
		if strings.HasPrefix(name, "blocks.") && strings.HasSuffix(name, ".attn.mask") {
			continue
		}
		if strings.HasPrefix(name, "blocks.") && strings.HasSuffix(name, ".attn.IGNORE") {
			if t == nil || len(t.Data) != 1 || !math.IsInf(float64(t.Data[0]), -1) {
				return nil, fmt.Errorf("grad: %q must be a scalar -inf (the masked attention score); other values are not supported", name)
			}
			continue
		}
		extra = append(extra, name)
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		return nil, fmt.Errorf("grad: state dict has unexpected keys %s (not part of this config's architecture)", strings.Join(extra, ", "))
	}
	return n, nil
}

// Params returns copies of the parameters, keyed by TransformerLens names,
// with TransformerLens shapes (no mask or IGNORE buffers).
func (n *Net) Params() map[string]*tensor.Tensor {
	out := make(map[string]*tensor.Tensor, len(n.names))
	for _, name := range n.names {
		out[name] = &tensor.Tensor{Shape: append([]int(nil), n.shapes[name]...), Data: append([]float32(nil), n.param(name)...)}
	}
	return out
}

// Model returns the inference model (package model) with a copy of the
// current weights.
func (n *Net) Model() (*model.Model, error) {
	m, err := model.New(n.cfg, n.Params())
	if err != nil {
		return nil, fmt.Errorf("grad: %w", err)
	}
	return m, nil
}
