package model

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/glassbox-interp/glassbox/formats/safetensors"
	"github.com/glassbox-interp/glassbox/formats/torchfile"
	"github.com/glassbox-interp/glassbox/tensor"
)

// File names of a glassbox model directory.
const (
	ConfigFile  = "config.json"
	WeightsFile = "model.safetensors"
)

// Save writes the model to dir (created if needed) as config.json plus
// model.safetensors (every parameter, F32, TransformerLens names). Both
// files are written atomically.
func (m *Model) Save(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("save model: %w", err)
	}
	md := map[string]string{"format": "glassbox", "config": ""}
	cfgJSON, err := json.Marshal(m.cfg)
	if err != nil {
		return fmt.Errorf("save model: %w", err)
	}
	md["config"] = string(cfgJSON)
	if err := safetensors.Save(filepath.Join(dir, WeightsFile), m.params, md); err != nil {
		return fmt.Errorf("save model: %w", err)
	}
	if err := SaveConfig(filepath.Join(dir, ConfigFile), m.cfg); err != nil {
		return fmt.Errorf("save model: %w", err)
	}
	return nil
}

// Load reads a glassbox model directory written by Save (config.json +
// model.safetensors).
func Load(dir string) (*Model, error) {
	cfg, err := LoadConfig(filepath.Join(dir, ConfigFile))
	if err != nil {
		return nil, err
	}
	wpath := filepath.Join(dir, WeightsFile)
	params, _, err := safetensors.Load(wpath)
	if err != nil {
		return nil, fmt.Errorf("load model: %w", err)
	}
	m, err := New(cfg, params)
	if err != nil {
		return nil, fmt.Errorf("load model %s: %w", wpath, err)
	}
	return m, nil
}

// ConfigFromMap converts a HookedTransformerConfig given as a map of
// JSON-compatible values (as decoded from a pickled config) to a Config. It
// returns the keys Config does not know (sorted); the config is validated.
func ConfigFromMap(m map[string]any) (Config, []string, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return Config{}, nil, fmt.Errorf("config: %w", err)
	}
	c, unknown, err := ParseConfig(b)
	if err != nil {
		return Config{}, unknown, err
	}
	if err := c.Validate(); err != nil {
		return Config{}, unknown, err
	}
	return c, unknown, nil
}

// InterpBench file names inside a case folder.
const (
	TorchWeightsFile = "ll_model.pth"
	TorchConfigFile  = "ll_model_cfg.pkl"
)

// LoadTorch builds a model from an InterpBench-style pair: a torch.save'd
// state dict (ll_model.pth) and a pickled HookedTransformerConfig
// (ll_model_cfg.pkl, a dict or a config object). It returns the config keys
// glassbox does not use (for the caller to report); the buffers
// blocks.L.attn.mask and IGNORE are accepted and not needed. The config is
// read first and bounds the state dict: a tensor it does not name, or of
// another shape, is refused before its data is read, and no more bytes are
// read than its parameters need. Two files given in the wrong order are
// named as such.
func LoadTorch(pthPath, cfgPath string) (*Model, []string, error) {
	raw, err := torchfile.ReadConfig(cfgPath)
	if err != nil {
		return nil, nil, swappedTorchFiles(pthPath, cfgPath, err)
	}
	cfg, unknown, err := ConfigFromMap(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("load %s: %w", cfgPath, err)
	}
	sd, err := torchfile.ReadStateDictLimits(pthPath, torchLimits(cfg.WithDefaults(), cfgPath))
	if err != nil {
		return nil, nil, err
	}
	params := make(map[string]*tensor.Tensor, len(sd.Tensors))
	for _, name := range sd.Names() {
		r := sd.Tensors[name]
		if strings.HasSuffix(name, ".attn.mask") && isBuffer(name) {
			continue // TransformerLens rebuilds the causal mask itself
		}
		if !r.DType.IsFloat() {
			return nil, nil, fmt.Errorf("load %s: %q has dtype %s, want a float tensor", pthPath, name, r.DType)
		}
		t, err := r.Tensor()
		if err != nil {
			return nil, nil, fmt.Errorf("load %s: %q: %w", pthPath, name, err)
		}
		params[name] = t
	}
	m, err := New(cfg, params)
	if err != nil {
		return nil, nil, fmt.Errorf("load %s: %w", pthPath, err)
	}
	return m, unknown, nil
}

// swappedTorchFiles turns a config read error into one that says the two
// files are swapped, when the config looks like a state dict and the state
// dict like a pickle; otherwise it returns err.
func swappedTorchFiles(pthPath, cfgPath string, err error) error {
	kc, err1 := torchfile.SniffFile(cfgPath)
	kp, err2 := torchfile.SniffFile(pthPath)
	if err1 != nil || err2 != nil || !kc.IsStateDict() || kp != torchfile.KindPickle {
		return err
	}
	return fmt.Errorf("the two files look swapped: %s is %s and %s is %s; give the state dict (%s) first and the pickled config (%s) second",
		pthPath, kp, cfgPath, kc, TorchWeightsFile, TorchConfigFile)
}

// torchLimits bounds reading a state dict for cfg: every tensor must be one
// of cfg's parameters with its shape (or a mask/IGNORE buffer of at most
// n_ctx² / 1 elements), and the bytes read are bounded by twice what those
// parameters take in float64 (storage plus rebuilt tensor).
func torchLimits(cfg Config, cfgPath string) torchfile.Limits {
	names, shapes := ParamShapes(cfg)
	var elems int64
	for _, n := range names {
		elems += int64(tensor.NumElements(shapes[n]))
	}
	maskElems := int64(cfg.NCtx) * int64(cfg.NCtx)
	elems += int64(cfg.NLayers) * (maskElems + 1)
	check := func(name string, dt safetensors.DType, shape []int) error {
		n := int64(tensor.NumElements(shape))
		if want, ok := shapes[name]; ok {
			if !tensor.SameShape(shape, want) {
				return fmt.Errorf("has shape %s, want %s for the config in %s", tensor.ShapeString(shape), tensor.ShapeString(want), cfgPath)
			}
			return nil
		}
		switch {
		case isBuffer(name) && strings.HasSuffix(name, ".attn.mask") && n <= maskElems:
			return nil
		case isBuffer(name) && strings.HasSuffix(name, ".attn.IGNORE") && n <= 1:
			return nil
		case isBuffer(name):
			return fmt.Errorf("buffer of shape %s is larger than the config in %s allows (n_ctx %d)", tensor.ShapeString(shape), cfgPath, cfg.NCtx)
		}
		return fmt.Errorf("is not a parameter of the config in %s (%d layers, d_model %d, %d heads)", cfgPath, cfg.NLayers, cfg.DModel, cfg.NHeads)
	}
	return torchfile.Limits{MaxBytes: 2*8*elems + 1<<20, Check: check}
}

// Open loads a model from path, which is either a glassbox model directory
// (config.json + model.safetensors) or an InterpBench case folder
// (ll_model.pth + ll_model_cfg.pkl). Config keys glassbox ignores are not
// reported; use LoadTorch for them.
func Open(path string) (*Model, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("open model: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("open model %s: want a directory holding %s + %s, or %s + %s", path, ConfigFile, WeightsFile, TorchWeightsFile, TorchConfigFile)
	}
	has := func(name string) bool {
		_, err := os.Stat(filepath.Join(path, name))
		return err == nil
	}
	switch {
	case has(ConfigFile) && has(WeightsFile):
		return Load(path)
	case has(TorchWeightsFile) && has(TorchConfigFile):
		m, _, err := LoadTorch(filepath.Join(path, TorchWeightsFile), filepath.Join(path, TorchConfigFile))
		return m, err
	}
	return nil, fmt.Errorf("open model %s: found neither %s + %s (glassbox) nor %s + %s (InterpBench)", path, ConfigFile, WeightsFile, TorchWeightsFile, TorchConfigFile)
}
