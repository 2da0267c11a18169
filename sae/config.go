package sae

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// Config is a training configuration with the field names and JSON keys of
// SAELens' LanguageModelSAERunnerConfig (3.12 defaults). Fields glassbox has no
// use for are accepted when loading (see IgnoredKeys) but not kept.
type Config struct {
	// Data generating function.
	ModelName      string `json:"model_name"`
	ModelClassName string `json:"model_class_name"`
	HookName       string `json:"hook_name"`
	HookLayer      int    `json:"hook_layer"`
	HookHeadIndex  *int   `json:"hook_head_index"`
	DatasetPath    string `json:"dataset_path"`
	ContextSize    int    `json:"context_size"`
	PrependBOS     bool   `json:"prepend_bos"`

	// SAE parameters.
	Architecture                  string         `json:"architecture"`
	DIn                           int            `json:"d_in"`
	DSAE                          *int           `json:"d_sae"`
	ExpansionFactor               int            `json:"expansion_factor"`
	BDecInitMethod                string         `json:"b_dec_init_method"`
	ActivationFn                  string         `json:"activation_fn"`
	ActivationFnKwargs            map[string]any `json:"activation_fn_kwargs"`
	NormalizeSAEDecoder           bool           `json:"normalize_sae_decoder"`
	NoiseScale                    float64        `json:"noise_scale"`
	ApplyBDecToInput              bool           `json:"apply_b_dec_to_input"`
	DecoderOrthogonalInit         bool           `json:"decoder_orthogonal_init"`
	DecoderHeuristicInit          bool           `json:"decoder_heuristic_init"`
	DecoderHeuristicInitNorm      float64        `json:"decoder_heuristic_init_norm"`
	InitEncoderAsDecoderTranspose bool           `json:"init_encoder_as_decoder_transpose"`
	JumpReLUInitThreshold         float64        `json:"jumprelu_init_threshold"`
	JumpReLUBandwidth             float64        `json:"jumprelu_bandwidth"`
	// v6 "sae" sub-config keys.
	K                        float64  `json:"k"`
	AuxLossCoefficient       float64  `json:"aux_loss_coefficient"`
	RescaleActsByDecoderNorm bool     `json:"rescale_acts_by_decoder_norm"`
	TopKThresholdLR          float64  `json:"topk_threshold_lr"`
	JumpReLUSparsityLossMode string   `json:"jumprelu_sparsity_loss_mode"`
	JumpReLUTanhScale        float64  `json:"jumprelu_tanh_scale"`
	L0Coefficient            *float64 `json:"l0_coefficient"`
	PreActLossCoefficient    *float64 `json:"pre_act_loss_coefficient"`

	// Activation store.
	NBatchesInBuffer      int    `json:"n_batches_in_buffer"`
	TrainingTokens        int64  `json:"training_tokens"`
	FinetuningTokens      int64  `json:"finetuning_tokens"`
	StoreBatchSizePrompts int    `json:"store_batch_size_prompts"`
	TrainBatchSizeTokens  int    `json:"train_batch_size_tokens"`
	NormalizeActivations  string `json:"normalize_activations"`
	Seed                  int64  `json:"seed"`
	Dtype                 string `json:"dtype"`

	// Optimiser and loss.
	AdamBeta1                         float64  `json:"adam_beta1"`
	AdamBeta2                         float64  `json:"adam_beta2"`
	MSELossNormalization              *string  `json:"mse_loss_normalization"`
	L1Coefficient                     float64  `json:"l1_coefficient"`
	LpNorm                            float64  `json:"lp_norm"`
	ScaleSparsityPenaltyByDecoderNorm bool     `json:"scale_sparsity_penalty_by_decoder_norm"`
	L1WarmUpSteps                     int      `json:"l1_warm_up_steps"`
	LR                                float64  `json:"lr"`
	LRSchedulerName                   string   `json:"lr_scheduler_name"`
	LRWarmUpSteps                     int      `json:"lr_warm_up_steps"`
	LREnd                             *float64 `json:"lr_end"`
	LRDecaySteps                      int      `json:"lr_decay_steps"`
	NRestartCycles                    int      `json:"n_restart_cycles"`
	FinetuningMethod                  *string  `json:"finetuning_method"`

	// Dead features.
	UseGhostGrads         bool    `json:"use_ghost_grads"`
	FeatureSamplingWindow int     `json:"feature_sampling_window"`
	DeadFeatureWindow     int     `json:"dead_feature_window"`
	DeadFeatureThreshold  float64 `json:"dead_feature_threshold"`

	// Evals and logging.
	NEvalBatches           int     `json:"n_eval_batches"`
	WandbLogFrequency      int     `json:"wandb_log_frequency"`
	EvalEveryNWandbLogs    int64   `json:"eval_every_n_wandb_logs"`
	RunName                *string `json:"run_name"`
	NCheckpoints           int     `json:"n_checkpoints"`
	CheckpointPath         string  `json:"checkpoint_path"`
	SAELensVersion         string  `json:"sae_lens_version"`
	SAELensTrainingVersion string  `json:"sae_lens_training_version"`

	// Glassbox holds options SAELens hard-codes (JSON key "glassbox").
	Glassbox GlassboxOptions `json:"glassbox"`
}

// GlassboxOptions are trainer options that SAELens hard-codes; in a JSON
// config they live under the "glassbox" key.
type GlassboxOptions struct {
	// AdamEps is Adam's epsilon (torch default 1e-8).
	AdamEps float64 `json:"adam_eps"`
	// MaxGradNorm is the global gradient-norm clip (SAELens: 1.0); <= 0 disables.
	MaxGradNorm float64 `json:"max_grad_norm"`
	// NormEstimateBatches is the number of batches used to estimate the
	// expected_average_only_in scaling factor (SAELens: 1000).
	NormEstimateBatches int `json:"norm_estimate_batches"`
	// GeometricMedianMaxIter bounds the Weiszfeld iterations (SAELens: 100).
	GeometricMedianMaxIter int `json:"geometric_median_max_iter"`
	// BDecInitSamples is the number of activations b_dec is initialised from;
	// 0 means SAELens' storage buffer size,
	// n_batches_in_buffer/2 × store_batch_size_prompts × context_size.
	BDecInitSamples int `json:"b_dec_init_samples"`
}

// DefaultConfig returns SAELens 3.12's LanguageModelSAERunnerConfig defaults
// (plus v6 defaults for the keys 3.12 does not have).
func DefaultConfig() Config {
	return Config{
		ModelName: "gelu-2l", ModelClassName: "HookedTransformer", HookName: "blocks.0.hook_mlp_out",
		ContextSize: 128, PrependBOS: true,
		Architecture: ArchStandard, DIn: 512, ExpansionFactor: 4, BDecInitMethod: "geometric_median",
		ActivationFn: "relu", NormalizeSAEDecoder: true, ApplyBDecToInput: true,
		DecoderHeuristicInitNorm: 0.1, JumpReLUInitThreshold: 0.001, JumpReLUBandwidth: 0.001,
		K: 100, AuxLossCoefficient: 1, TopKThresholdLR: 0.01, JumpReLUSparsityLossMode: "step", JumpReLUTanhScale: 4,
		NBatchesInBuffer: 20, TrainingTokens: 2_000_000, StoreBatchSizePrompts: 32, TrainBatchSizeTokens: 4096,
		NormalizeActivations: "none", Seed: 42, Dtype: "float32",
		AdamBeta1: 0, AdamBeta2: 0.999, L1Coefficient: 1e-3, LpNorm: 1, LR: 3e-4, LRSchedulerName: "constant",
		NRestartCycles: 1, FeatureSamplingWindow: 2000, DeadFeatureWindow: 1000, DeadFeatureThreshold: 1e-8,
		NEvalBatches: 10, WandbLogFrequency: 10, EvalEveryNWandbLogs: 100, CheckpointPath: "checkpoints",
		SAELensVersion: SAELensFormatVersion, SAELensTrainingVersion: SAELensFormatVersion,
		Glassbox: GlassboxOptions{AdamEps: 1e-8, MaxGradNorm: 1, NormEstimateBatches: 1000, GeometricMedianMaxIter: 100},
	}
}

// SAELensFormatVersion is the SAELens version whose file layout glassbox writes.
const SAELensFormatVersion = "6.18.0"

// configKeys lists every key of LanguageModelSAERunnerConfig in SAELens
// 3.x–6.x; the value says whether glassbox uses it.
var configKeys = map[string]bool{
	"model_name": true, "model_class_name": true, "hook_name": true, "hook_eval": false, "hook_layer": true,
	"hook_head_index": true, "dataset_path": true, "streaming": false, "is_dataset_tokenized": false,
	"context_size": true, "use_cached_activations": false, "cached_activations_path": false, "d_in": true,
	"d_sae": true, "b_dec_init_method": true, "expansion_factor": true, "activation_fn": true,
	"normalize_sae_decoder": true, "noise_scale": true, "from_pretrained_path": false,
	"apply_b_dec_to_input": true, "decoder_orthogonal_init": true, "decoder_heuristic_init": true,
	"init_encoder_as_decoder_transpose": true, "n_batches_in_buffer": true, "training_tokens": true,
	"finetuning_tokens": true, "store_batch_size_prompts": true, "train_batch_size_tokens": true,
	"normalize_activations": true, "device": false, "act_store_device": false, "seed": true, "dtype": true,
	"prepend_bos": true, "autocast": false, "autocast_lm": false, "compile_llm": false,
	"llm_compilation_mode": false, "compile_sae": false, "sae_compilation_mode": false, "adam_beta1": true,
	"adam_beta2": true, "mse_loss_normalization": true, "l1_coefficient": true, "lp_norm": true,
	"scale_sparsity_penalty_by_decoder_norm": true, "l1_warm_up_steps": true, "lr": true,
	"lr_scheduler_name": true, "lr_warm_up_steps": true, "lr_end": true, "lr_decay_steps": true,
	"n_restart_cycles": true, "finetuning_method": true, "use_ghost_grads": true,
	"feature_sampling_window": true, "dead_feature_window": true, "dead_feature_threshold": true,
	"n_eval_batches": true, "eval_batch_size_prompts": false, "log_to_wandb": false,
	"log_activations_store_to_wandb": false, "log_optimizer_state_to_wandb": false, "wandb_project": false,
	"wandb_id": false, "run_name": true, "wandb_entity": false, "wandb_log_frequency": true,
	"eval_every_n_wandb_logs": true, "resume": false, "n_checkpoints": true, "checkpoint_path": true,
	"verbose": false, "model_kwargs": false, "model_from_pretrained_kwargs": false,
	"sae_lens_version": true, "sae_lens_training_version": true, "dataset_trust_remote_code": false,
	"architecture": true, "activation_fn_kwargs": true, "seqpos_slice": false,
	"jumprelu_init_threshold": true, "jumprelu_bandwidth": true, "decoder_heuristic_init_norm": true,
	"exclude_special_tokens": false, "sae": true, "logger": true, "disable_concat_sequences": false,
	"sequence_separator_token": false, "save_final_checkpoint": false, "output_path": false,
	"resume_from_checkpoint": false, "glassbox": true,
}

// saeSubKeys are the keys of SAELens 6.x's nested training-SAE configs
// ("sae": {...}); they are merged into the top level.
var saeSubKeys = map[string]bool{
	"d_in": true, "d_sae": true, "dtype": true, "device": false, "apply_b_dec_to_input": true,
	"normalize_activations": true, "reshape_activations": false, "metadata": false, "architecture": true,
	"decoder_init_norm": true, "l1_coefficient": true, "lp_norm": true, "l1_warm_up_steps": true,
	"k": true, "use_sparse_activations": false, "aux_loss_coefficient": true,
	"rescale_acts_by_decoder_norm": true, "topk_threshold_lr": true, "jumprelu_init_threshold": true,
	"jumprelu_bandwidth": true, "jumprelu_sparsity_loss_mode": true, "l0_coefficient": true,
	"l0_warm_up_steps": true, "pre_act_loss_coefficient": true, "jumprelu_tanh_scale": true,
}

// loggerSubKeys are the keys of SAELens 6.x's LoggingConfig ("logger": {...}).
var loggerSubKeys = map[string]bool{
	"log_to_wandb": false, "log_activations_store_to_wandb": false, "log_optimizer_state_to_wandb": false,
	"wandb_project": false, "wandb_id": false, "run_name": true, "wandb_entity": false,
	"wandb_log_frequency": true, "eval_every_n_wandb_logs": true,
}

var glassboxKeys = map[string]bool{"adam_eps": true, "max_grad_norm": true, "norm_estimate_batches": true,
	"geometric_median_max_iter": true, "b_dec_init_samples": true}

// ParseConfig reads a SAELens-style JSON config over DefaultConfig. Every
// key of SAELens' LanguageModelSAERunnerConfig is accepted; the keys glassbox
// has no use for are returned in ignored (sorted); an unknown key is an
// error naming it. source names the input in errors.
func ParseConfig(data []byte, source string) (cfg Config, ignored []string, err error) {
	cfg = DefaultConfig()
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return cfg, nil, fmt.Errorf("config %s: %w", source, err)
	}
	flat := map[string]json.RawMessage{}
	for k, v := range top {
		used, ok := configKeys[k]
		if !ok {
			return cfg, nil, fmt.Errorf("config %s: unknown key %q (not a SAELens LanguageModelSAERunnerConfig key)", source, k)
		}
		switch k {
		case "sae", "logger":
			keys := saeSubKeys
			if k == "logger" {
				keys = loggerSubKeys
			}
			if string(bytes.TrimSpace(v)) == "null" {
				continue
			}
			var sub map[string]json.RawMessage
			if err := json.Unmarshal(v, &sub); err != nil {
				return cfg, nil, fmt.Errorf("config %s: key %q: expected an object: %w", source, k, err)
			}
			for sk, sv := range sub {
				su, ok := keys[sk]
				if !ok {
					return cfg, nil, fmt.Errorf("config %s: unknown key %q in %q", source, sk, k)
				}
				if !su {
					ignored = append(ignored, k+"."+sk)
					continue
				}
				flat[sk] = sv
			}
			continue
		case "glassbox":
			var sub map[string]json.RawMessage
			if err := json.Unmarshal(v, &sub); err != nil {
				return cfg, nil, fmt.Errorf("config %s: key %q: expected an object: %w", source, k, err)
			}
			for sk := range sub {
				if !glassboxKeys[sk] {
					return cfg, nil, fmt.Errorf("config %s: unknown key %q in \"glassbox\"", source, sk)
				}
			}
		}
		if !used {
			ignored = append(ignored, k)
			continue
		}
		if _, dup := flat[k]; !dup {
			flat[k] = v
		}
	}
	// l0 warm-up is the l1 warm-up of the v6 jumprelu config.
	if v, ok := flat["l0_warm_up_steps"]; ok {
		if _, has := flat["l1_warm_up_steps"]; !has {
			flat["l1_warm_up_steps"] = v
		}
		delete(flat, "l0_warm_up_steps")
	}
	if v, ok := flat["decoder_init_norm"]; ok {
		delete(flat, "decoder_init_norm")
		if string(bytes.TrimSpace(v)) != "null" {
			flat["decoder_heuristic_init_norm"] = v
		}
	}
	for k, v := range flat {
		raw := bytes.TrimSpace(v)
		if ft, ok := configFieldTypes[k]; ok && string(raw) == "null" && !nullable(ft) {
			return cfg, nil, fmt.Errorf("config %s: key %q: expected %s, got null", source, k, kindName(ft))
		}
		one, _ := json.Marshal(map[string]json.RawMessage{k: v})
		dec := json.NewDecoder(bytes.NewReader(one))
		if err := dec.Decode(&cfg); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				return cfg, nil, fmt.Errorf("config %s: key %q: expected %s, got %s", source, k, kindName(te.Type), raw)
			}
			return cfg, nil, fmt.Errorf("config %s: key %q: %w", source, k, err)
		}
	}
	sort.Strings(ignored)
	return cfg, ignored, nil
}

// configFieldTypes maps each top-level JSON key of Config to its field's
// type.
var configFieldTypes = func() map[string]reflect.Type {
	m := map[string]reflect.Type{}
	t := reflect.TypeFor[Config]()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" && name != "-" {
			m[name] = f.Type
		}
	}
	return m
}()

// nullable reports whether JSON null is a value of a field of type t (a
// pointer, map, slice or interface; null for any other would leave the
// default in place silently).
func nullable(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface:
		return true
	}
	return false
}

// kindName names what a JSON value of type t must be, for errors.
func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Pointer:
		return kindName(t.Elem()) + " or null"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return t.String()
}

// LoadConfig reads a JSON config file (see ParseConfig).
func LoadConfig(path string) (Config, []string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, nil, fmt.Errorf("load config: %w", err)
	}
	return ParseConfig(b, path)
}

// Resolved is a validated configuration with every derived value filled in.
// The fields named like a Config field (DSAE, K, LREnd) hold the resolved
// value and shadow the raw setting, which stays readable as r.Config.X
// (d_sae may be null, k is a float for batchtopk, lr_end may be null).
type Resolved struct {
	Config
	Arch          string  // the registered architecture's name
	DSAE          int     // d_sae (d_in × expansion_factor unless set)
	K             int     // topk: active features per row
	KBatch        float64 // batchtopk: mean active features per row
	LREnd         float64 // lr_end (lr/10 unless set)
	TotalTokens   int64
	TotalSteps    int64
	SparsityCoeff float64 // λ: l1_coefficient (jumprelu: l0_coefficient if set)
	DenseBatchMSE bool
}

// MaxMatrixWeights bounds d_in × d_sae (2^30: 4 GiB per float32 matrix,
// about 24 GiB for an SAE with its gradients and Adam moments), so an
// absurd expansion factor is refused in words instead of crashing the
// runtime with an out-of-memory error.
const MaxMatrixWeights = 1 << 30

// humanBytes renders a byte count (KB, MB, GB, TB).
func humanBytes(b float64) string {
	for _, u := range []string{"B", "KB", "MB", "GB", "TB"} {
		if b < 1000 || u == "TB" {
			return fmt.Sprintf("%.3g %s", b, u)
		}
		b /= 1000
	}
	return ""
}

// Resolve validates cfg and derives d_sae, the architecture, total steps and
// the like. Errors name the offending key.
func (c Config) Resolve() (*Resolved, error) {
	r := &Resolved{Config: c}
	bad := func(key, format string, args ...any) error {
		return fmt.Errorf("config: %s: %s", key, fmt.Sprintf(format, args...))
	}
	if c.DIn < 1 {
		return nil, bad("d_in", "must be >= 1, got %d", c.DIn)
	}
	if c.DSAE != nil {
		r.DSAE = *c.DSAE
	} else {
		r.DSAE = c.DIn * c.ExpansionFactor
	}
	if r.DSAE < 1 {
		return nil, bad("d_sae", "must be >= 1, got %d (d_in %d × expansion_factor %d)", r.DSAE, c.DIn, c.ExpansionFactor)
	}
	if w := float64(c.DIn) * float64(r.DSAE); w > MaxMatrixWeights {
		return nil, bad("d_sae", "d_in %d × d_sae %d = %.3g weights in each of W_enc and W_dec (%s as float32, about three times that with Adam's moments): more than glassbox's limit of %.3g per matrix; lower expansion_factor or d_sae",
			c.DIn, r.DSAE, w, humanBytes(4*w), float64(MaxMatrixWeights))
	}
	name := strings.ToLower(c.Architecture)
	if name == "" {
		name = ArchStandard
	}
	switch c.ActivationFn {
	case "relu", "tanh-relu", "":
	case "topk":
		// SAELens 4.x spelling: architecture standard + activation_fn topk.
		if name == ArchStandard {
			name = ArchTopK
		}
		if kv, ok := c.ActivationFnKwargs["k"]; ok {
			f, ok := kv.(float64)
			if !ok {
				return nil, bad("activation_fn_kwargs.k", "expected a number, got %v", kv)
			}
			r.Config.K = f
		}
	default:
		return nil, bad("activation_fn", "unknown activation function %q (want relu, tanh-relu or topk)", c.ActivationFn)
	}
	a, ok := archByName(name)
	if !ok {
		return nil, bad("architecture", "unknown architecture %q (want %s)", c.Architecture, archList())
	}
	r.Arch = name
	r.SparsityCoeff = c.L1Coefficient
	if c.UseGhostGrads && !a.ghostGrads() {
		return nil, bad("use_ghost_grads", "ghost grads are only defined for the standard architecture, not %s (as in SAELens)", name)
	}
	if err := a.resolve(r, bad); err != nil {
		return nil, err
	}
	switch c.BDecInitMethod {
	case "geometric_median", "mean", "zeros":
	default:
		return nil, bad("b_dec_init_method", "must be geometric_median, mean or zeros, got %q", c.BDecInitMethod)
	}
	switch c.NormalizeActivations {
	case "none", "expected_average_only_in", "constant_norm_rescale", "layer_norm":
	default:
		return nil, bad("normalize_activations", "must be none, expected_average_only_in, constant_norm_rescale or layer_norm, got %q", c.NormalizeActivations)
	}
	if c.NormalizeSAEDecoder && c.DecoderHeuristicInit {
		return nil, bad("decoder_heuristic_init", "cannot be combined with normalize_sae_decoder (as in SAELens)")
	}
	if c.NormalizeSAEDecoder && c.ScaleSparsityPenaltyByDecoderNorm {
		return nil, bad("scale_sparsity_penalty_by_decoder_norm", "makes no sense with normalize_sae_decoder (as in SAELens)")
	}
	if c.MSELossNormalization != nil {
		switch *c.MSELossNormalization {
		case "dense_batch":
			r.DenseBatchMSE = true
		case "", "none":
		default:
			return nil, bad("mse_loss_normalization", "must be null or dense_batch, got %q", *c.MSELossNormalization)
		}
	}
	if c.FinetuningMethod != nil && *c.FinetuningMethod != "" {
		return nil, bad("finetuning_method", "%q is not supported by glassbox (use null)", *c.FinetuningMethod)
	}
	if c.PreActLossCoefficient != nil {
		return nil, bad("pre_act_loss_coefficient", "is not supported by glassbox (use null)")
	}
	if c.TrainBatchSizeTokens < 1 {
		return nil, bad("train_batch_size_tokens", "must be >= 1, got %d", c.TrainBatchSizeTokens)
	}
	if c.TrainingTokens < 0 || c.FinetuningTokens < 0 {
		return nil, bad("training_tokens", "must be >= 0")
	}
	r.TotalTokens = c.TrainingTokens + c.FinetuningTokens
	r.TotalSteps = r.TotalTokens / int64(c.TrainBatchSizeTokens)
	if r.TotalSteps < 1 {
		return nil, bad("training_tokens", "%d tokens is less than one batch of %d", r.TotalTokens, c.TrainBatchSizeTokens)
	}
	if c.LpNorm <= 0 {
		return nil, bad("lp_norm", "must be > 0, got %v", c.LpNorm)
	}
	if !(c.LR > 0) || math.IsInf(c.LR, 0) {
		return nil, bad("lr", "must be > 0 and finite, got %v", c.LR)
	}
	if !(c.L1Coefficient >= 0) || math.IsInf(c.L1Coefficient, 0) {
		return nil, bad("l1_coefficient", "must be >= 0 and finite, got %v", c.L1Coefficient)
	}
	if c.L0Coefficient != nil && (!(*c.L0Coefficient >= 0) || math.IsInf(*c.L0Coefficient, 0)) {
		return nil, bad("l0_coefficient", "must be >= 0 and finite, got %v", *c.L0Coefficient)
	}
	switch c.Dtype {
	case "float32", "torch.float32", "":
	default:
		return nil, bad("dtype", "glassbox trains in float32, got %q", c.Dtype)
	}
	if c.AdamBeta1 < 0 || c.AdamBeta1 >= 1 || c.AdamBeta2 < 0 || c.AdamBeta2 >= 1 {
		return nil, bad("adam_beta1", "betas must be in [0, 1), got %v, %v", c.AdamBeta1, c.AdamBeta2)
	}
	if c.LREnd != nil {
		r.LREnd = *c.LREnd
	} else {
		r.LREnd = c.LR / 10
	}
	switch strings.ToLower(c.LRSchedulerName) {
	case "constant", "cosineannealing", "cosineannealingwarmrestarts":
	default:
		return nil, bad("lr_scheduler_name", "must be constant, cosineannealing or cosineannealingwarmrestarts, got %q", c.LRSchedulerName)
	}
	if c.LRWarmUpSteps < 0 || c.LRDecaySteps < 0 || int64(c.LRWarmUpSteps+c.LRDecaySteps) > r.TotalSteps {
		return nil, bad("lr_warm_up_steps", "warm-up (%d) + decay (%d) steps must be >= 0 and fit in %d training steps", c.LRWarmUpSteps, c.LRDecaySteps, r.TotalSteps)
	}
	if c.LRDecaySteps > 0 && r.LREnd == 0 && strings.ToLower(c.LRSchedulerName) != "constant" {
		return nil, bad("lr_decay_steps", "cannot decay with lr_end = 0 (as in SAELens)")
	}
	if c.NRestartCycles < 1 {
		return nil, bad("n_restart_cycles", "must be >= 1, got %d", c.NRestartCycles)
	}
	if c.FeatureSamplingWindow < 1 || c.DeadFeatureWindow < 0 {
		return nil, bad("feature_sampling_window", "must be >= 1 (dead_feature_window >= 0)")
	}
	if c.WandbLogFrequency < 1 {
		return nil, bad("wandb_log_frequency", "must be >= 1, got %d", c.WandbLogFrequency)
	}
	if c.NCheckpoints < 0 {
		return nil, bad("n_checkpoints", "must be >= 0, got %d", c.NCheckpoints)
	}
	if c.Glassbox.AdamEps < 0 {
		return nil, bad("glassbox.adam_eps", "must be >= 0")
	}
	return r, nil
}

// RunName is SAELens' default run name ("48-L1-0.1-LR-0.0003-Tokens-1.500e+06")
// unless run_name is set.
func (r *Resolved) RunName() string {
	if r.Config.RunName != nil && *r.Config.RunName != "" {
		return *r.Config.RunName
	}
	return fmt.Sprintf("%d-L1-%s-LR-%s-Tokens-%s", r.DSAE, pyFloat(r.L1Coefficient), pyFloat(r.LR), pyExp(float64(r.TrainingTokens)))
}

// pyFloat formats like Python's str(float) for ordinary magnitudes.
func pyFloat(v float64) string {
	s := strconv.FormatFloat(v, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eIN") {
		s += ".0"
	}
	return s
}

// pyExp formats like Python's "%3.3e".
func pyExp(v float64) string { return fmt.Sprintf("%.3e", v) }

// NotebookConfig returns the original notebook's SAE config (cell In [17],
// case 3): d_in 12 × expansion 4, l1 0.1, lr 3e-4 constant, Adam(0.9, 0.999),
// 1.5M tokens in batches of 80, context 5, ghost grads (windows 1000/2000),
// geometric-median b_dec, unit-norm decoder rows, b_dec not applied to the
// input, 5 checkpoints, seed 42. The glassbox CLI starts from it.
func NotebookConfig() Config {
	c := DefaultConfig()
	c.ModelName, c.HookName, c.HookLayer, c.ContextSize, c.PrependBOS = "case3", "blocks.0.hook_resid_pre", 0, 5, false
	c.DIn, c.ExpansionFactor, c.BDecInitMethod, c.ActivationFn = 12, 4, "geometric_median", "relu"
	c.NormalizeSAEDecoder, c.ApplyBDecToInput = true, false
	c.TrainingTokens, c.StoreBatchSizePrompts, c.TrainBatchSizeTokens = 1_500_000, 4, 80
	c.AdamBeta1, c.AdamBeta2, c.L1Coefficient, c.LR = 0.9, 0.999, 0.1, 3e-4
	c.UseGhostGrads, c.FeatureSamplingWindow, c.DeadFeatureWindow = true, 2000, 1000
	c.WandbLogFrequency, c.EvalEveryNWandbLogs, c.NCheckpoints = 10, 100_000_000_000, 5
	c.CheckpointPath = "runs"
	return c
}
