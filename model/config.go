package model

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"reflect"
	"sort"
	"strings"

	"github.com/glassbox-interp/glassbox/formats/atomicfile"
)

// Config mirrors TransformerLens' HookedTransformerConfig. Field names follow
// Go style; JSON keys are TransformerLens' own, so a config.json written by
// glassbox reads as a HookedTransformerConfig dict and vice versa.
//
// Build a Config from DefaultConfig() (which holds TransformerLens' defaults,
// e.g. UseAttnScale true) and set the fields you need; New calls
// WithDefaults and Validate itself.
type Config struct {
	NLayers                 int     `json:"n_layers"`
	DModel                  int     `json:"d_model"`
	NCtx                    int     `json:"n_ctx"`
	DHead                   int     `json:"d_head"`
	NHeads                  int     `json:"n_heads"`
	DMLP                    int     `json:"d_mlp"`
	ActFn                   string  `json:"act_fn"`
	DVocab                  int     `json:"d_vocab"`
	DVocabOut               int     `json:"d_vocab_out"`
	NormalizationType       string  `json:"normalization_type"` // "", "LN", "LNPre", "RMS", "RMSPre" ("" = None)
	AttentionDir            string  `json:"attention_dir"`      // "causal" or "bidirectional"
	PositionalEmbeddingType string  `json:"positional_embedding_type"`
	UseAttnScale            bool    `json:"use_attn_scale"`
	AttnScale               float64 `json:"attn_scale"` // divisor of attention scores; TL default sqrt(d_head)
	UseAttnResult           bool    `json:"use_attn_result"`
	UseSplitQKVInput        bool    `json:"use_split_qkv_input"`
	UseHookMLPIn            bool    `json:"use_hook_mlp_in"`
	UseAttnIn               bool    `json:"use_attn_in"`
	AttnOnly                bool    `json:"attn_only"`
	Eps                     float64 `json:"eps"`
	Seed                    *int64  `json:"seed"`
	ModelName               string  `json:"model_name"`
	OriginalArchitecture    string  `json:"original_architecture,omitempty"`
	// Dtype is the parameter dtype as TransformerLens prints it ("float32").
	Dtype string `json:"dtype,omitempty"`

	// Architecture switches glassbox does not implement. They are kept so a
	// converted config that sets them is rejected by Validate instead of
	// being run with the wrong math.
	GatedMLP        bool `json:"gated_mlp,omitempty"`
	ParallelAttnMLP bool `json:"parallel_attn_mlp,omitempty"`
	UseLocalAttn    bool `json:"use_local_attn,omitempty"`
	NKeyValueHeads  int  `json:"n_key_value_heads,omitempty"`
	FinalRMS        bool `json:"final_rms,omitempty"`
	PostEmbeddingLN bool `json:"post_embedding_ln,omitempty"`
	// Soft caps (later TransformerLens versions); 0 = off.
	AttnScoresSoftCap   float64 `json:"attn_scores_soft_cap,omitempty"`
	OutputLogitsSoftCap float64 `json:"output_logits_soft_cap,omitempty"`

	// ScaleAttnByInverseLayerIdx multiplies layer L's attn_scale by L+1
	// (supported, as in TransformerLens).
	ScaleAttnByInverseLayerIdx bool `json:"scale_attn_by_inverse_layer_idx,omitempty"`
}

// DefaultConfig returns HookedTransformerConfig's defaults for the fields
// glassbox uses (dimensions zero = unset).
func DefaultConfig() Config {
	return Config{
		NHeads:                  -1,
		DVocab:                  -1,
		DVocabOut:               -1,
		NormalizationType:       "LN",
		AttentionDir:            "causal",
		PositionalEmbeddingType: "standard",
		UseAttnScale:            true,
		AttnScale:               -1,
		Eps:                     1e-5,
		ModelName:               "custom",
		Dtype:                   "float32",
	}
}

// WithDefaults fills derived fields the way HookedTransformerConfig's
// __post_init__ does: n_heads = d_model / d_head when unset, d_mlp =
// 4·d_model when unset and not attn_only, d_vocab_out = d_vocab when unset,
// attn_scale = sqrt(d_head) when use_attn_scale and unset (1 when
// use_attn_scale is false), eps 1e-5, positional embedding "standard",
// attention "causal".
func (c Config) WithDefaults() Config {
	if c.NHeads <= 0 && c.DHead > 0 && c.DModel > 0 && c.DModel%c.DHead == 0 {
		c.NHeads = c.DModel / c.DHead
	}
	if c.DMLP <= 0 && !c.AttnOnly && c.DModel > 0 {
		c.DMLP = 4 * c.DModel
	}
	if c.DVocabOut <= 0 {
		c.DVocabOut = c.DVocab
	}
	if !c.UseAttnScale {
		c.AttnScale = 1
	} else if c.AttnScale <= 0 && c.DHead > 0 {
		c.AttnScale = math.Sqrt(float64(c.DHead))
	}
	if c.Eps == 0 {
		c.Eps = 1e-5
	}
	if c.PositionalEmbeddingType == "" {
		c.PositionalEmbeddingType = "standard"
	}
	if c.AttentionDir == "" {
		c.AttentionDir = "causal"
	}
	if c.NormalizationType == "None" {
		c.NormalizationType = ""
	}
	return c
}

// ActFns lists the supported act_fn values.
var ActFns = []string{"relu", "gelu", "gelu_new", "gelu_pytorch_tanh", "gelu_fast", "silu"}

// NormalizationTypes lists the supported normalization_type values ("" = None).
var NormalizationTypes = []string{"", "LN", "LNPre", "RMS", "RMSPre"}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Validate reports the first problem that would make the config unusable,
// naming the field by its TransformerLens key.
func (c Config) Validate() error {
	pos := []struct {
		key string
		v   int
	}{
		{"n_layers", c.NLayers}, {"d_model", c.DModel}, {"n_ctx", c.NCtx}, {"d_head", c.DHead},
		{"n_heads", c.NHeads}, {"d_vocab", c.DVocab}, {"d_vocab_out", c.DVocabOut},
	}
	for _, p := range pos {
		if p.v <= 0 {
			return fmt.Errorf("config: %s = %d, want a positive integer", p.key, p.v)
		}
	}
	if !c.AttnOnly {
		if c.DMLP <= 0 {
			return fmt.Errorf("config: d_mlp = %d, want a positive integer (or attn_only)", c.DMLP)
		}
		if !contains(ActFns, c.ActFn) {
			return fmt.Errorf("config: act_fn %q not supported (want one of %s)", c.ActFn, strings.Join(ActFns, ", "))
		}
	}
	if !contains(NormalizationTypes, c.NormalizationType) {
		return fmt.Errorf("config: normalization_type %q not supported (want None, LN, LNPre, RMS or RMSPre)", c.NormalizationType)
	}
	if c.AttentionDir != "causal" && c.AttentionDir != "bidirectional" {
		return fmt.Errorf("config: attention_dir %q, want \"causal\" or \"bidirectional\"", c.AttentionDir)
	}
	if c.PositionalEmbeddingType != "standard" {
		return fmt.Errorf("config: positional_embedding_type %q not supported (only \"standard\")", c.PositionalEmbeddingType)
	}
	if !(c.AttnScale > 0) || math.IsInf(c.AttnScale, 0) {
		return fmt.Errorf("config: attn_scale = %v, want a positive number", c.AttnScale)
	}
	if !(c.Eps > 0) {
		return fmt.Errorf("config: eps = %v, want a positive number", c.Eps)
	}
	unsupported := []struct {
		key string
		on  bool
	}{
		{"gated_mlp", c.GatedMLP}, {"parallel_attn_mlp", c.ParallelAttnMLP}, {"use_local_attn", c.UseLocalAttn},
		{"final_rms", c.FinalRMS}, {"n_key_value_heads", c.NKeyValueHeads > 0 && c.NKeyValueHeads != c.NHeads},
		{"post_embedding_ln", c.PostEmbeddingLN}, {"attn_scores_soft_cap", c.AttnScoresSoftCap > 0},
		{"output_logits_soft_cap", c.OutputLogitsSoftCap > 0},
	}
	for _, u := range unsupported {
		if u.on {
			return fmt.Errorf("config: %s is set, which glassbox does not support", u.key)
		}
	}
	return nil
}

// ParseConfig decodes a config.json (a HookedTransformerConfig dict) on top
// of DefaultConfig: absent keys keep TransformerLens' defaults, JSON null
// sets the zero value (so "normalization_type": null means None). Unknown
// keys are returned, not rejected. The result has WithDefaults applied; it is
// not validated.
func ParseConfig(b []byte) (Config, []string, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return Config{}, nil, fmt.Errorf("config JSON: %w", err)
	}
	c := DefaultConfig()
	known := jsonFieldIndex()
	var unknown []string
	rv := reflect.ValueOf(&c).Elem()
	for key, msg := range raw {
		idx, ok := known[key]
		if !ok {
			unknown = append(unknown, key)
			continue
		}
		f := rv.Field(idx)
		if bytes.Equal(bytes.TrimSpace(msg), []byte("null")) {
			f.Set(reflect.Zero(f.Type()))
			continue
		}
		if err := json.Unmarshal(msg, f.Addr().Interface()); err != nil {
			return Config{}, nil, fmt.Errorf("config key %q: %w", key, err)
		}
	}
	sort.Strings(unknown)
	return c.WithDefaults(), unknown, nil
}

func jsonFieldIndex() map[string]int {
	t := reflect.TypeOf(Config{})
	m := make(map[string]int, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		tag := t.Field(i).Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if name != "" && name != "-" {
			m[name] = i
		}
	}
	return m
}

// ConfigKeys returns the JSON keys Config understands, in field order.
func ConfigKeys() []string {
	t := reflect.TypeOf(Config{})
	var keys []string
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		keys = append(keys, name)
	}
	return keys
}

// LoadConfig reads a config.json file (see ParseConfig) and validates it.
func LoadConfig(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("load config: %w", err)
	}
	c, _, err := ParseConfig(b)
	if err != nil {
		return Config{}, fmt.Errorf("load config %s: %w", path, err)
	}
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("load config %s: %w", path, err)
	}
	return c, nil
}

// SaveConfig writes c as indented JSON to path atomically.
func SaveConfig(path string, c Config) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("save config %s: %w", path, err)
	}
	return atomicfile.WriteFile(path, append(b, '\n'), 0o644)
}

// MarshalJSON writes the config with TransformerLens' JSON keys; a None
// normalization_type is written as null, as TransformerLens does.
func (c Config) MarshalJSON() ([]byte, error) {
	type plain Config
	b, err := json.Marshal(plain(c))
	if err != nil {
		return nil, err
	}
	if c.NormalizationType == "" {
		b = bytes.Replace(b, []byte(`"normalization_type":""`), []byte(`"normalization_type":null`), 1)
	}
	return b, nil
}
