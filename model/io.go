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
// blocks.L.attn.mask and IGNORE are accepted and not needed.
func LoadTorch(pthPath, cfgPath string) (*Model, []string, error) {
	raw, err := torchfile.ReadConfig(cfgPath)
	if err != nil {
		return nil, nil, err
	}
	cfg, unknown, err := ConfigFromMap(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("load %s: %w", cfgPath, err)
	}
	sd, err := torchfile.ReadStateDict(pthPath)
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
