package model

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/glassbox-interp/glassbox/tensor"
)

// Model is a TransformerLens-style hooked transformer with fixed weights.
// It is safe for concurrent use: Run and its wrappers do not modify it.
type Model struct {
	cfg     Config
	params  map[string]*tensor.Tensor
	layers  []layerParams
	wE      []float32 // [d_vocab, d_model]
	wPos    []float32 // [n_ctx, d_model]
	lnFW    []float32 // ln_final.w (nil when absent from the architecture)
	lnFB    []float32
	wU      []float32 // [d_model, d_vocab_out]
	bU      []float32
	unembed linear
}

type layerParams struct {
	ln1W, ln1B, ln2W, ln2B []float32
	wQ, wK, wV             []float32 // [H, d_model, d_head]
	bQ, bK, bV             []float32 // [H, d_head]
	wO                     []float32 // [H, d_head, d_model]
	bO                     []float32 // [d_model]
	wIn, bIn, wOut, bOut   []float32
	ignore                 float32 // score given to masked positions (IGNORE buffer, default -inf)

	// Prepared (transposed, float64) weights for the kernels.
	q, k, v             linear   // all heads: d_model → H·d_head, output laid out [H, d_head]
	qHead, kHead, vHead []linear // per head: d_model → d_head (split q/k/v inputs)
	o                   linear   // H·d_head → d_model
	oHead               []linear // per head: d_head → d_model (hook_result)
	mlpIn               linear
	mlpOut              linear
}

// paramSpec is one state-dict entry the architecture has.
type paramSpec struct {
	name  string
	shape []int
	fill  float32 // value when absent
	opt   bool    // may be absent (biases, LN weights)
}

// ParamShapes returns every parameter name of cfg's architecture with its
// shape, in TransformerLens' state-dict order.
func ParamShapes(cfg Config) ([]string, map[string][]int) {
	specs := paramSpecs(cfg)
	names := make([]string, len(specs))
	shapes := make(map[string][]int, len(specs))
	for i, s := range specs {
		names[i] = s.name
		shapes[s.name] = s.shape
	}
	return names, shapes
}

func paramSpecs(c Config) []paramSpec {
	D, H, dh := c.DModel, c.NHeads, c.DHead
	var s []paramSpec
	add := func(name string, opt bool, fill float32, shape ...int) {
		s = append(s, paramSpec{name, shape, fill, opt})
	}
	norm := func(prefix string) {
		switch c.NormalizationType {
		case "LN":
			add(prefix+".w", true, 1, D)
			add(prefix+".b", true, 0, D)
		case "RMS":
			add(prefix+".w", true, 1, D)
		}
	}
	add("embed.W_E", false, 0, c.DVocab, D)
	add("pos_embed.W_pos", false, 0, c.NCtx, D)
	for l := 0; l < c.NLayers; l++ {
		p := fmt.Sprintf("blocks.%d.", l)
		norm(p + "ln1")
		if !c.AttnOnly {
			norm(p + "ln2")
		}
		add(p+"attn.W_Q", false, 0, H, D, dh)
		add(p+"attn.W_K", false, 0, H, D, dh)
		add(p+"attn.W_V", false, 0, H, D, dh)
		add(p+"attn.W_O", false, 0, H, dh, D)
		add(p+"attn.b_Q", true, 0, H, dh)
		add(p+"attn.b_K", true, 0, H, dh)
		add(p+"attn.b_V", true, 0, H, dh)
		add(p+"attn.b_O", true, 0, D)
		if !c.AttnOnly {
			add(p+"mlp.W_in", false, 0, D, c.DMLP)
			add(p+"mlp.b_in", true, 0, c.DMLP)
			add(p+"mlp.W_out", false, 0, c.DMLP, D)
			add(p+"mlp.b_out", true, 0, D)
		}
	}
	norm("ln_final")
	add("unembed.W_U", false, 0, D, c.DVocabOut)
	add("unembed.b_U", true, 0, c.DVocabOut)
	return s
}

// isBuffer reports whether name is a TransformerLens buffer that state dicts
// carry but the forward pass does not need (the causal mask and IGNORE).
func isBuffer(name string) bool {
	if !strings.HasPrefix(name, "blocks.") {
		return false
	}
	return strings.HasSuffix(name, ".attn.mask") || strings.HasSuffix(name, ".attn.IGNORE")
}

// New builds a model from a config and a state dict with TransformerLens
// names ("embed.W_E", "blocks.0.attn.W_Q", …). It applies cfg.WithDefaults,
// validates the config and every shape, fills absent biases with zeros and
// absent LayerNorm/RMSNorm weights with ones, ignores the attention mask
// buffers (the causal mask is built from attention_dir), uses an
// "blocks.L.attn.IGNORE" scalar when present as the masked score (default
// -inf, as in TransformerLens), and rejects any other unknown key. The
// tensors are copied.
func New(cfg Config, params map[string]*tensor.Tensor) (*Model, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	specs := paramSpecs(cfg)
	known := make(map[string]bool, len(specs))
	m := &Model{cfg: cfg, params: make(map[string]*tensor.Tensor, len(specs))}
	for _, s := range specs {
		known[s.name] = true
		t, ok := params[s.name]
		if !ok || t == nil {
			if !s.opt {
				return nil, fmt.Errorf("model: state dict has no %q (want shape %s)", s.name, tensor.ShapeString(s.shape))
			}
			t = tensor.New(s.shape...)
			if s.fill != 0 {
				for i := range t.Data {
					t.Data[i] = s.fill
				}
			}
		} else {
			if !tensor.SameShape(t.Shape, s.shape) {
				return nil, fmt.Errorf("model: %q has shape %s, want %s", s.name, tensor.ShapeString(t.Shape), tensor.ShapeString(s.shape))
			}
			if len(t.Data) != tensor.NumElements(t.Shape) {
				return nil, fmt.Errorf("model: %q has %d values for shape %s", s.name, len(t.Data), tensor.ShapeString(t.Shape))
			}
			t = t.Clone()
		}
		m.params[s.name] = t
	}
	var extra []string
	for name := range params {
		if !known[name] && !isBuffer(name) {
			extra = append(extra, name)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		return nil, fmt.Errorf("model: state dict has unexpected keys %s (not part of this config's architecture)", strings.Join(extra, ", "))
	}
	get := func(name string) []float32 {
		if t := m.params[name]; t != nil {
			return t.Data
		}
		return nil
	}
	m.wE, m.wPos = get("embed.W_E"), get("pos_embed.W_pos")
	m.lnFW, m.lnFB = get("ln_final.w"), get("ln_final.b")
	m.wU, m.bU = get("unembed.W_U"), get("unembed.b_U")
	m.unembed = newLinear(m.wU, cfg.DModel, cfg.DVocabOut)
	m.layers = make([]layerParams, cfg.NLayers)
	for l := range m.layers {
		p := fmt.Sprintf("blocks.%d.", l)
		m.layers[l] = layerParams{
			ln1W: get(p + "ln1.w"), ln1B: get(p + "ln1.b"), ln2W: get(p + "ln2.w"), ln2B: get(p + "ln2.b"),
			wQ: get(p + "attn.W_Q"), wK: get(p + "attn.W_K"), wV: get(p + "attn.W_V"), wO: get(p + "attn.W_O"),
			bQ: get(p + "attn.b_Q"), bK: get(p + "attn.b_K"), bV: get(p + "attn.b_V"), bO: get(p + "attn.b_O"),
			wIn: get(p + "mlp.W_in"), bIn: get(p + "mlp.b_in"), wOut: get(p + "mlp.W_out"), bOut: get(p + "mlp.b_out"),
			ignore: float32(math.Inf(-1)),
		}
		m.layers[l].prepare(cfg)
		if t := params[p+"attn.IGNORE"]; t != nil {
			if len(t.Data) != 1 {
				return nil, fmt.Errorf("model: %q has %d values, want a scalar", p+"attn.IGNORE", len(t.Data))
			}
			m.layers[l].ignore = t.Data[0]
			m.params[p+"attn.IGNORE"] = t.Clone()
		}
	}
	return m, nil
}

// Config returns the model's configuration (with defaults filled in).
func (m *Model) Config() Config { return m.cfg }

// Params returns the complete state dict (absent biases included as zeros)
// keyed by TransformerLens names. The tensors are the model's own: do not
// modify them.
func (m *Model) Params() map[string]*tensor.Tensor {
	out := make(map[string]*tensor.Tensor, len(m.params))
	for k, v := range m.params {
		out[k] = v
	}
	return out
}

// prepare builds the kernels' weight layouts.
func (lp *layerParams) prepare(c Config) {
	D, H, dh := c.DModel, c.NHeads, c.DHead
	lp.q, lp.k, lp.v = headsLinear(lp.wQ, H, D, dh), headsLinear(lp.wK, H, D, dh), headsLinear(lp.wV, H, D, dh)
	lp.qHead, lp.kHead, lp.vHead = headLinears(lp.wQ, H, D, dh), headLinears(lp.wK, H, D, dh), headLinears(lp.wV, H, D, dh)
	lp.o = newLinear(lp.wO, H*dh, D)
	lp.oHead = make([]linear, H)
	for h := range lp.oHead {
		lp.oHead[h] = newLinear(lp.wO[h*dh*D:(h+1)*dh*D], dh, D)
	}
	if !c.AttnOnly {
		lp.mlpIn = newLinear(lp.wIn, D, c.DMLP)
		lp.mlpOut = newLinear(lp.wOut, c.DMLP, D)
	}
}
