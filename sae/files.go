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
	arch := s.Arch
	if arch == ArchBatchTopK {
		arch = ArchJumpReLU
	}
	reshape := "none"
	if strings.HasSuffix(s.Meta.HookName, "hook_z") {
		reshape = "hook_z"
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
	if s.Arch == ArchTopK {
		cfg["k"] = s.K
		cfg["rescale_acts_by_decoder_norm"] = false
	}
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
	t := func(v []float32, shape ...int) *tensor.Tensor {
		return &tensor.Tensor{Shape: shape, Data: append([]float32(nil), v...)}
	}
	m := map[string]*tensor.Tensor{
		"W_enc": t(s.WEnc(), s.DIn, s.DSAE),
		"W_dec": t(s.WDec, s.DSAE, s.DIn),
		"b_dec": t(s.BDec, s.DIn),
	}
	switch s.Arch {
	case ArchGated:
		m["b_gate"], m["r_mag"], m["b_mag"] = t(s.BGate, s.DSAE), t(s.RMag, s.DSAE), t(s.BMag, s.DSAE)
	case ArchJumpReLU:
		m["b_enc"] = t(s.BEnc, s.DSAE)
		th := make([]float32, s.DSAE)
		for i, v := range s.LogThreshold {
			th[i] = float32(math.Exp(float64(v)))
		}
		m["threshold"] = t(th, s.DSAE)
	case ArchBatchTopK:
		m["b_enc"] = t(s.BEnc, s.DSAE)
		th := make([]float32, s.DSAE)
		for i := range th {
			th[i] = float32(s.TopKThreshold)
		}
		m["threshold"] = t(th, s.DSAE)
	default:
		m["b_enc"] = t(s.BEnc, s.DSAE)
	}
	return m
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
	fail := func(key, format string, args ...any) error {
		return fmt.Errorf("sae cfg %s: %s: %s", source, key, fmt.Sprintf(format, args...))
	}
	getInt := func(m map[string]any, key string, required bool) (int, bool, error) {
		v, ok := m[key]
		if !ok || v == nil {
			if required {
				return 0, false, fail(key, "missing")
			}
			return 0, false, nil
		}
		n, ok := v.(json.Number)
		if !ok {
			return 0, false, fail(key, "expected an integer, got %v", v)
		}
		i, err := n.Int64()
		if err != nil {
			f, ferr := n.Float64()
			if ferr != nil || f != math.Trunc(f) {
				return 0, false, fail(key, "expected an integer, got %v", n)
			}
			i = int64(f)
		}
		if i < math.MinInt32 || i > math.MaxInt32 {
			return 0, false, fail(key, "value %d out of range", i)
		}
		return int(i), true, nil
	}
	getStr := func(m map[string]any, keys ...string) (string, error) {
		for _, k := range keys {
			if v, ok := m[k]; ok && v != nil {
				s, ok := v.(string)
				if !ok {
					return "", fail(k, "expected a string, got %v", v)
				}
				return s, nil
			}
		}
		return "", nil
	}
	getBool := func(m map[string]any, key string, def bool) (bool, error) {
		v, ok := m[key]
		if !ok || v == nil {
			return def, nil
		}
		bv, ok := v.(bool)
		if !ok {
			return false, fail(key, "expected true or false, got %v", v)
		}
		return bv, nil
	}
	dIn, _, err := getInt(raw, "d_in", true)
	if err != nil {
		return nil, err
	}
	dSAE, _, err := getInt(raw, "d_sae", true)
	if err != nil {
		return nil, err
	}
	if dIn < 1 || dSAE < 1 {
		return nil, fail("d_in", "d_in and d_sae must be >= 1, got %d and %d", dIn, dSAE)
	}
	if int64(dIn)*int64(dSAE) > 1<<31 {
		return nil, fail("d_sae", "d_in × d_sae = %d is too large", int64(dIn)*int64(dSAE))
	}
	arch, err := getStr(raw, "architecture")
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
			return nil, fail("metadata", "expected an object")
		}
		meta = mm
	}
	actFn, err := getStr(raw, "activation_fn_str", "activation_fn")
	if err != nil {
		return nil, err
	}
	if actFn == "" {
		if actFn, err = getStr(meta, "activation_fn_str", "activation_fn"); err != nil {
			return nil, err
		}
	}
	k := 0
	if kw, ok := raw["activation_fn_kwargs"].(map[string]any); ok {
		if kk, has, err := getInt(kw, "k", false); err != nil {
			return nil, err
		} else if has {
			k = kk
		}
	}
	if kk, has, err := getInt(raw, "k", false); err != nil {
		return nil, err
	} else if has {
		k = kk
	}
	if actFn == "topk" && arch == ArchStandard {
		arch = ArchTopK
	}
	if actFn == "" || actFn == "topk" {
		actFn = "relu"
	}
	if actFn != "relu" && actFn != "tanh-relu" {
		return nil, fail("activation_fn_str", "unsupported activation function %q", actFn)
	}
	s, err := newShell(arch, dIn, dSAE)
	if err != nil {
		return nil, fail("architecture", "%v", err)
	}
	if arch == ArchTopK {
		if k < 1 || k > dSAE {
			return nil, fail("k", "topk needs 1 <= k <= d_sae (%d), got %d", dSAE, k)
		}
		s.K = k
		if rs, err := getBool(raw, "rescale_acts_by_decoder_norm", false); err != nil {
			return nil, err
		} else if rs {
			return nil, fail("rescale_acts_by_decoder_norm", "true is not supported")
		}
	}
	s.ActivationFn = actFn
	if s.ApplyBDecToInput, err = getBool(raw, "apply_b_dec_to_input", true); err != nil {
		return nil, err
	}
	norm, err := getStr(raw, "normalize_activations")
	if err != nil {
		return nil, err
	}
	switch norm {
	case "", "none", "expected_average_only_in":
		norm = "none"
	case "constant_norm_rescale", "layer_norm":
	default:
		return nil, fail("normalize_activations", "unknown value %q", norm)
	}
	s.NormalizeActivations = norm
	md := &s.Meta
	if md.ModelName, err = getStr(meta, "model_name"); err != nil {
		return nil, err
	}
	if md.ModelClassName, err = getStr(meta, "model_class_name"); err != nil {
		return nil, err
	}
	if md.HookName, err = getStr(meta, "hook_name", "hook_point"); err != nil {
		return nil, err
	}
	if md.DatasetPath, err = getStr(meta, "dataset_path"); err != nil {
		return nil, err
	}
	if md.SAELensVersion, err = getStr(meta, "sae_lens_version"); err != nil {
		return nil, err
	}
	if md.SAELensTrainingVersion, err = getStr(meta, "sae_lens_training_version"); err != nil {
		return nil, err
	}
	for _, key := range []string{"hook_layer", "hook_point_layer"} {
		if v, has, err := getInt(meta, key, false); err != nil {
			return nil, err
		} else if has {
			md.HookLayer = v
			break
		}
	}
	for _, key := range []string{"hook_head_index", "hook_point_head_index"} {
		if v, has, err := getInt(meta, key, false); err != nil {
			return nil, err
		} else if has {
			md.HookHeadIndex = &v
			break
		}
	}
	if v, has, err := getInt(meta, "context_size", false); err != nil {
		return nil, err
	} else if has {
		md.ContextSize = v
	}
	if md.PrependBOS, err = getBool(meta, "prepend_bos", true); err != nil {
		return nil, err
	}
	return s, nil
}

// setWeights copies the state dict in f into s, checking names and shapes.
func (s *SAE) setWeights(f *safetensors.File, path string) error {
	want := map[string][]int{"W_enc": {s.DIn, s.DSAE}, "W_dec": {s.DSAE, s.DIn}, "b_dec": {s.DIn}}
	switch s.Arch {
	case ArchGated:
		want["b_gate"], want["r_mag"], want["b_mag"] = []int{s.DSAE}, []int{s.DSAE}, []int{s.DSAE}
	case ArchJumpReLU:
		want["b_enc"], want["threshold"] = []int{s.DSAE}, []int{s.DSAE}
	default:
		want["b_enc"] = []int{s.DSAE}
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
	s.alloc()
	s.SetWEnc(got["W_enc"])
	copy(s.WDec, got["W_dec"])
	copy(s.BDec, got["b_dec"])
	switch s.Arch {
	case ArchGated:
		copy(s.BGate, got["b_gate"])
		copy(s.RMag, got["r_mag"])
		copy(s.BMag, got["b_mag"])
	case ArchJumpReLU:
		copy(s.BEnc, got["b_enc"])
		for i, v := range got["threshold"] {
			if !(v > 0) {
				return fmt.Errorf("load sae %s: threshold[%d] = %v, expected > 0", path, i, v)
			}
			s.LogThreshold[i] = float32(math.Log(float64(v)))
		}
	default:
		copy(s.BEnc, got["b_enc"])
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
