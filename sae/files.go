package sae

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/glassbox-interp/glassbox/formats/atomicfile"
	"github.com/glassbox-interp/glassbox/formats/safetensors"
	"github.com/glassbox-interp/glassbox/model"
	"github.com/glassbox-interp/glassbox/tensor"
)

// SAELens file names inside an SAE directory.
const (
	CfgFile      = "cfg.json"
	WeightsFile  = "sae_weights.safetensors"
	SparsityFile = "sparsity.safetensors"
)

// CfgDict returns the SAELens 6.x inference config of s as written to
// cfg.json. batchtopk SAEs are written as jumprelu (as SAELens does).
func (s *SAE) CfgDict() map[string]any {
	a := s.arch()
	arch := savedName(a)
	reshape := "none"
	if h, err := model.ParseHook(s.Meta.HookName); err == nil && h.FlattensHeads() {
		reshape = "hook_z" // SAELens' reshape_activations for attn.hook_z SAEs
	}
	norm := s.NormalizeActivations
	if norm == "" {
		norm = "none"
	}
	meta := map[string]any{
		"sae_lens_version":          orDefault(s.Meta.SAELensVersion, SAELensFormatVersion),
		"sae_lens_training_version": orDefault(s.Meta.SAELensTrainingVersion, SAELensFormatVersion),
		"model_name":                s.Meta.ModelName, "model_class_name": s.Meta.ModelClassName,
		"hook_name": s.Meta.HookName, "hook_head_index": s.Meta.HookHeadIndex,
		"context_size": s.Meta.ContextSize, "prepend_bos": s.Meta.PrependBOS,
		"dataset_path": s.Meta.DatasetPath, "hook_layer": s.Meta.HookLayer,
		"activation_fn": s.ActivationFn,
	}
	for k, v := range s.Meta.Extra {
		if _, ok := meta[k]; !ok {
			meta[k] = v
		}
	}
	cfg := map[string]any{
		"architecture": arch, "d_in": s.DIn, "d_sae": s.DSAE, "dtype": "float32", "device": "cpu",
		"apply_b_dec_to_input": s.ApplyBDecToInput, "normalize_activations": norm,
		"reshape_activations": reshape, "metadata": meta,
	}
	a.cfgDict(s, cfg)
	return cfg
}

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

// weightTensors returns the SAELens state dict of s.
func (s *SAE) weightTensors() map[string]*tensor.Tensor {
	// The tensors share s's slices (W_enc is a fresh transpose): they are
	// written, never modified, and copies would be garbage (57 MB at d_in
	// 768, d_sae 6144).
	t := func(v []float32, shape ...int) *tensor.Tensor {
		return &tensor.Tensor{Shape: shape, Data: v}
	}
	m := map[string]*tensor.Tensor{
		"W_enc": t(s.WEnc(), s.DIn, s.DSAE),
		"W_dec": t(s.WDec, s.DSAE, s.DIn),
		"b_dec": t(s.BDec, s.DIn),
	}
	for _, ft := range s.arch().tensors(s) {
		m[ft.name] = t(ft.save(), ft.shapeFor(s)...)
	}
	return m
}

// shapeFor is the tensor's shape in s's file: [d_sae] unless set.
func (ft fileTensor) shapeFor(s *SAE) []int {
	if ft.shape != nil {
		return ft.shape
	}
	return []int{s.DSAE}
}

// Save writes s to dir in SAELens layout: cfg.json (6.x layout),
// sae_weights.safetensors, and sparsity.safetensors when logSparsity is not
// nil. Each file is written atomically; dir is created if needed.
func Save(dir string, s *SAE, logSparsity []float32) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("save sae: %w", err)
	}
	b, err := json.MarshalIndent(s.CfgDict(), "", "  ")
	if err != nil {
		return fmt.Errorf("save sae %s: %w", dir, err)
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, CfgFile), append(b, '\n'), 0o644); err != nil {
		return err
	}
	if err := safetensors.Save(filepath.Join(dir, WeightsFile), s.weightTensors(), nil); err != nil {
		return err
	}
	if logSparsity != nil {
		sp := map[string]*tensor.Tensor{"sparsity": {Shape: []int{len(logSparsity)}, Data: append([]float32(nil), logSparsity...)}}
		md := map[string]string{"description": "log10(feature density + 1e-10) over the last feature_sampling_window"}
		if err := safetensors.Save(filepath.Join(dir, SparsityFile), sp, md); err != nil {
			return err
		}
	}
	return nil
}

// Load reads an SAE directory written by SAELens (6.x layout with
// "metadata", or the pre-6 flat layout with hook_name/hook_point,
// activation_fn_str, hook_layer, …) or by glassbox.
func Load(dir string) (*SAE, error) {
	cfgPath := filepath.Join(dir, CfgFile)
	b, err := os.ReadFile(cfgPath)
	if err != nil {
		return nil, fmt.Errorf("load sae: %w", err)
	}
	s, err := ParseCfg(b, cfgPath)
	if err != nil {
		return nil, err
	}
	wpath := filepath.Join(dir, WeightsFile)
	f, err := safetensors.ReadFile(wpath)
	if err != nil {
		return nil, fmt.Errorf("load sae: %w", err)
	}
	if err := s.setWeights(f, wpath); err != nil {
		return nil, err
	}
	return s, nil
}

// ParseCfg decodes a SAELens cfg.json (any layout) into an SAE without
// weights (Load fills them). source names the file in errors.
func ParseCfg(b []byte, source string) (*SAE, error) {
	var raw map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("sae cfg %s: %w", source, err)
	}
	if raw == nil {
		return nil, fmt.Errorf("sae cfg %s: expected a JSON object", source)
	}
	c := &cfgReader{source: source, raw: raw}
	dIn, _, err := c.int(raw, "d_in", true)
	if err != nil {
		return nil, err
	}
	dSAE, _, err := c.int(raw, "d_sae", true)
	if err != nil {
		return nil, err
	}
	if dIn < 1 || dSAE < 1 {
		return nil, c.fail("d_in", "d_in and d_sae must be >= 1, got %d and %d", dIn, dSAE)
	}
	if int64(dIn)*int64(dSAE) > 1<<31 {
		return nil, c.fail("d_sae", "d_in × d_sae = %d is too large", int64(dIn)*int64(dSAE))
	}
	arch, err := c.str(raw, "architecture")
	if err != nil {
		return nil, err
	}
	if arch == "" {
		arch = ArchStandard
	}
	meta := raw
	if m, ok := raw["metadata"]; ok && m != nil {
		mm, ok := m.(map[string]any)
		if !ok {
			return nil, c.fail("metadata", "expected an object")
		}
		meta = mm
	}
	actFn, err := c.str(raw, "activation_fn_str", "activation_fn")
	if err != nil {
		return nil, err
	}
	if actFn == "" {
		if actFn, err = c.str(meta, "activation_fn_str", "activation_fn"); err != nil {
			return nil, err
		}
	}
	if actFn == "topk" && arch == ArchStandard {
		arch = ArchTopK
	}
	if actFn == "" || actFn == "topk" {
		actFn = "relu"
	}
	if actFn != "relu" && actFn != "tanh-relu" {
		return nil, c.fail("activation_fn_str", "unsupported activation function %q", actFn)
	}
	s, err := newShell(arch, dIn, dSAE)
	if err != nil {
		return nil, c.fail("architecture", "%v", err)
	}
	if err := s.arch().readCfg(s, c); err != nil {
		return nil, err
	}
	s.ActivationFn = actFn
	if s.ApplyBDecToInput, err = c.bool(raw, "apply_b_dec_to_input", true); err != nil {
		return nil, err
	}
	norm, err := c.str(raw, "normalize_activations")
	if err != nil {
		return nil, err
	}
	switch norm {
	case "", "none", "expected_average_only_in":
		norm = "none"
	case "constant_norm_rescale", "layer_norm":
	default:
		return nil, c.fail("normalize_activations", "unknown value %q", norm)
	}
	s.NormalizeActivations = norm
	md := &s.Meta
	if md.ModelName, err = c.str(meta, "model_name"); err != nil {
		return nil, err
	}
	if md.ModelClassName, err = c.str(meta, "model_class_name"); err != nil {
		return nil, err
	}
	if md.HookName, err = c.str(meta, "hook_name", "hook_point"); err != nil {
		return nil, err
	}
	if md.DatasetPath, err = c.str(meta, "dataset_path"); err != nil {
		return nil, err
	}
	if md.SAELensVersion, err = c.str(meta, "sae_lens_version"); err != nil {
		return nil, err
	}
	if md.SAELensTrainingVersion, err = c.str(meta, "sae_lens_training_version"); err != nil {
		return nil, err
	}
	for _, key := range []string{"hook_layer", "hook_point_layer"} {
		if v, has, err := c.int(meta, key, false); err != nil {
			return nil, err
		} else if has {
			md.HookLayer = v
			break
		}
	}
	for _, key := range []string{"hook_head_index", "hook_point_head_index"} {
		if v, has, err := c.int(meta, key, false); err != nil {
			return nil, err
		} else if has {
			md.HookHeadIndex = &v
			break
		}
	}
	if v, has, err := c.int(meta, "context_size", false); err != nil {
		return nil, err
	} else if has {
		md.ContextSize = v
	}
	if md.PrependBOS, err = c.bool(meta, "prepend_bos", true); err != nil {
		return nil, err
	}
	return s, nil
}

// setWeights copies the state dict in f into s, checking names and shapes.
func (s *SAE) setWeights(f *safetensors.File, path string) error {
	s.alloc()
	want := map[string][]int{"W_enc": {s.DIn, s.DSAE}, "W_dec": {s.DSAE, s.DIn}, "b_dec": {s.DIn}}
	own := s.arch().tensors(s)
	for _, ft := range own {
		want[ft.name] = ft.shapeFor(s)
	}
	optional := map[string][]int{"finetuning_scaling_factor": {s.DSAE}, "scaling_factor": {s.DSAE}}
	got := map[string][]float32{}
	for _, name := range f.Names() {
		shape, ok := want[name]
		if !ok {
			shape, ok = optional[name]
		}
		if !ok {
			names := make([]string, 0, len(want))
			for n := range want {
				names = append(names, n)
			}
			sort.Strings(names)
			return fmt.Errorf("load sae %s: unexpected tensor %q for a %s SAE (expected %s)", path, name, s.Arch, strings.Join(names, ", "))
		}
		t, err := f.Tensor(name)
		if err != nil {
			return fmt.Errorf("load sae: %w", err)
		}
		if !sameShape(t.Shape, shape) {
			return fmt.Errorf("load sae %s: tensor %q has shape %v, expected %v (d_in %d, d_sae %d from cfg.json)", path, name, t.Shape, shape, s.DIn, s.DSAE)
		}
		got[name] = t.Data
	}
	for name := range want {
		if _, ok := got[name]; !ok {
			return fmt.Errorf("load sae %s: missing tensor %q for a %s SAE", path, name, s.Arch)
		}
	}
	s.SetWEnc(got["W_enc"])
	copy(s.WDec, got["W_dec"])
	copy(s.BDec, got["b_dec"])
	for _, ft := range own {
		if err := ft.load(got[ft.name]); err != nil {
			return fmt.Errorf("load sae %s: %w", path, err)
		}
	}
	// Fold a fine-tuning scaling factor into the decoder rows.
	for _, name := range []string{"finetuning_scaling_factor", "scaling_factor"} {
		if sc, ok := got[name]; ok {
			for i, v := range sc {
				for j := 0; j < s.DIn; j++ {
					s.WDec[i*s.DIn+j] *= v
				}
			}
		}
	}
	return nil
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// LoadSparsity reads sparsity.safetensors from an SAE directory.
func LoadSparsity(dir string) ([]float32, error) {
	path := filepath.Join(dir, SparsityFile)
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load sparsity: %w", err)
	}
	t, err := f.Tensor("sparsity")
	if err != nil {
		return nil, fmt.Errorf("load sparsity: %w", err)
	}
	return t.Data, nil
}

// cfgReader reads typed values of a decoded cfg.json, with errors naming
// the file and the key.
type cfgReader struct {
	source string
	raw    map[string]any
}

func (c *cfgReader) fail(key, format string, args ...any) error {
	return fmt.Errorf("sae cfg %s: %s: %s", c.source, key, fmt.Sprintf(format, args...))
}

// int reads m[key] as an integer (has is false when it is absent or null).
func (c *cfgReader) int(m map[string]any, key string, required bool) (v int, has bool, err error) {
	raw, ok := m[key]
	if !ok || raw == nil {
		if required {
			return 0, false, c.fail(key, "missing")
		}
		return 0, false, nil
	}
	n, ok := raw.(json.Number)
	if !ok {
		return 0, false, c.fail(key, "expected an integer, got %s", jsonText(raw))
	}
	i, err := n.Int64()
	if err != nil {
		f, ferr := n.Float64()
		if ferr != nil || f != math.Trunc(f) {
			return 0, false, c.fail(key, "expected an integer, got %s", n)
		}
		i = int64(f)
	}
	if i < math.MinInt32 || i > math.MaxInt32 {
		return 0, false, c.fail(key, "value %d out of range", i)
	}
	return int(i), true, nil
}

// str reads the first of keys present in m as a string ("" when none is).
func (c *cfgReader) str(m map[string]any, keys ...string) (string, error) {
	for _, k := range keys {
		if v, ok := m[k]; ok && v != nil {
			s, ok := v.(string)
			if !ok {
				return "", c.fail(k, "expected a string, got %s", jsonText(v))
			}
			return s, nil
		}
	}
	return "", nil
}

// bool reads m[key] as a boolean (def when absent or null).
func (c *cfgReader) bool(m map[string]any, key string, def bool) (bool, error) {
	v, ok := m[key]
	if !ok || v == nil {
		return def, nil
	}
	bv, ok := v.(bool)
	if !ok {
		return false, c.fail(key, "expected true or false, got %s", jsonText(v))
	}
	return bv, nil
}

// jsonText renders a decoded JSON value as JSON (strings quoted), for
// errors.
func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
