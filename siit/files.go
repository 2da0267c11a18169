package siit

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"time"

	"github.com/glassbox-interp/glassbox/formats/atomicfile"
	"github.com/glassbox-interp/glassbox/formats/torchfile"
	"github.com/glassbox-interp/glassbox/model"
	"github.com/glassbox-interp/glassbox/model/grad"
)

// Model folder files in InterpBench's layout (besides glassbox's own
// config.json + model.safetensors and correspondence.json).
const (
	MetaFile  = "meta.json"
	EdgesFile = "edges.pkl"
)

// TrainModel trains the job into opt.Out (Train, resuming when opt.Resume)
// and writes the model folder there (WriteModel): the one way a case's SIIT
// model folder is made, for `glassbox siit`, the sweep and the demo's cache.
func (j *Job) TrainModel(ctx context.Context, opt Options) (*Result, error) {
	if opt.Out == "" {
		return nil, fmt.Errorf("siit: TrainModel needs an output folder")
	}
	res, err := j.Train(ctx, opt)
	if err != nil {
		return nil, err
	}
	if err := j.WriteModel(opt.Out, res, opt); err != nil {
		return nil, err
	}
	return res, nil
}

// Meta is meta.json: InterpBench's training-argument keys, then glassbox's
// own record of the run.
type Meta struct {
	Atol           float64 `json:"atol"`
	LR             float64 `json:"lr"`
	UseSingleLoss  bool    `json:"use_single_loss"`
	IITWeight      float64 `json:"iit_weight"`
	BehaviorWeight float64 `json:"behavior_weight"`
	StrictWeight   float64 `json:"strict_weight"`
	Epochs         int     `json:"epochs"`
	ActFn          string  `json:"act_fn"`
	ClipGradNorm   float64 `json:"clip_grad_norm"`
	LRScheduler    string  `json:"lr_scheduler"`
	ModelPair      string  `json:"model_pair"`
	SameSize       bool    `json:"same_size"`
	BatchSize      int     `json:"batch_size"`
	Beta1          float64 `json:"beta1"`
	Beta2          float64 `json:"beta2"`
	SIITSampling   string  `json:"siit_sampling"`
	ValIIASampling string  `json:"val_iia_sampling"`

	Glassbox MetaRun `json:"glassbox"`
}

// MetaRun is glassbox's record of a training run.
type MetaRun struct {
	Case        string   `json:"case"`
	Recipe      Recipe   `json:"recipe"`
	Seed        int64    `json:"seed"`
	InitSeed    int64    `json:"init_seed"`
	InitStd     float64  `json:"init_std"`
	Data        string   `json:"data"`
	TrainPairs  int      `json:"train_pairs"`
	ValPairs    int      `json:"val_pairs"`
	Epochs      int      `json:"epochs_run"`
	BestEpoch   int      `json:"best_epoch"`
	Stopped     string   `json:"stopped"`
	Seconds     float64  `json:"seconds"`
	Val         Metrics  `json:"val"`
	AllPairs    *Metrics `json:"all_pairs,omitempty"`
	GeneratedAt string   `json:"generated_at"`
}

// WriteModel writes the trained model folder: ll_model.pth (a torch.save
// state dict with TransformerLens names and the mask/IGNORE buffers),
// ll_model_cfg.pkl (a pickled HookedTransformerConfig dict), meta.json,
// edges.pkl, correspondence.json, and glassbox's config.json +
// model.safetensors. InterpBench's loading code (pickle.load the config,
// HookedTransformerConfig.from_dict, HookedTransformer, torch.load +
// load_state_dict) reads it.
func (j *Job) WriteModel(dir string, res *Result, opt Options) error {
	m, err := res.Net.Model()
	if err != nil {
		return err
	}
	if err := m.Save(dir); err != nil {
		return err
	}
	if err := torchfile.WriteStateDict(filepath.Join(dir, model.TorchWeightsFile), StateDict(res.Net)); err != nil {
		return err
	}
	if err := torchfile.WritePickle(filepath.Join(dir, model.TorchConfigFile), ConfigDict(j.LL, j.InitStd)); err != nil {
		return err
	}
	edges := LLEdges(j.Comp, j.Corr, j.LL.NLayers)
	list := make([]any, len(edges))
	for i, e := range edges {
		list[i] = torchfile.Tuple{e[0], e[1]}
	}
	if err := torchfile.WritePickle(filepath.Join(dir, EdgesFile), list); err != nil {
		return err
	}
	if err := j.Corr.Save(filepath.Join(dir, CorrespondenceFile)); err != nil {
		return err
	}
	r := j.Recipe
	meta := Meta{Atol: r.Atol, LR: r.LR, UseSingleLoss: r.SingleLoss, IITWeight: r.IITWeight,
		BehaviorWeight: r.BehaviorWeight, StrictWeight: r.StrictWeight, Epochs: r.Epochs, ActFn: j.LL.ActFn,
		ClipGradNorm: r.ClipGradNorm, ModelPair: "strict", SameSize: j.Shape.SameSize, BatchSize: r.BatchSize,
		Beta1: r.Beta1, Beta2: r.Beta2, SIITSampling: r.StrictMode, ValIIASampling: "all",
		Glassbox: MetaRun{Case: j.Case.Name(), Recipe: r, Seed: opt.Seed, InitSeed: opt.InitSeed, InitStd: j.InitStd,
			Data: j.Data.Rule, TrainPairs: len(j.Data.Train), ValPairs: len(j.Data.Val), Epochs: res.Epochs,
			BestEpoch: res.BestEpoch, Stopped: res.Stopped, Seconds: math.Round(res.Seconds*1000) / 1000,
			Val: res.Val, AllPairs: res.AllPairs, GeneratedAt: time.Now().UTC().Format(time.RFC3339)}}
	b, err := json.MarshalIndent(meta, "", " ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, MetaFile), append(b, '\n'), 0o644)
}

// StateDict lists the network's parameters as HookedTransformer's
// state_dict holds them: TransformerLens order, with each attention
// block's mask (lower-triangular bool [n_ctx, n_ctx]) and IGNORE (-inf)
// buffers after its parameters.
func StateDict(n *grad.Net) []torchfile.NamedTensor {
	cfg := n.Config()
	params := n.Params()
	var out []torchfile.NamedTensor
	addBuffers := func(layer int) {
		nc := cfg.NCtx
		mask := make([]bool, nc*nc)
		for i := 0; i < nc; i++ {
			for k := 0; k <= i; k++ {
				mask[i*nc+k] = true
			}
		}
		p := fmt.Sprintf("blocks.%d.attn.", layer)
		out = append(out,
			torchfile.NamedTensor{Name: p + "mask", Shape: []int{nc, nc}, DType: "bool", Bool: mask},
			torchfile.NamedTensor{Name: p + "IGNORE", Shape: []int{}, DType: "float32", F32: []float32{float32(math.Inf(-1))}})
	}
	for _, name := range n.Names() {
		t := params[name]
		out = append(out, torchfile.NamedTensor{Name: name, Shape: t.Shape, DType: "float32", F32: t.Data})
		var layer int
		if _, err := fmt.Sscanf(name, "blocks.%d.attn.b_O", &layer); err == nil && name == fmt.Sprintf("blocks.%d.attn.b_O", layer) {
			addBuffers(layer)
		}
	}
	return out
}

// ConfigDict is the HookedTransformerConfig dict InterpBench pickles
// (TransformerLens 1.19's fields; dtype as the torch.float32 global).
func ConfigDict(c model.Config, initStd float64) *torchfile.Dict {
	c = c.WithDefaults()
	d := &torchfile.Dict{}
	var norm any
	if c.NormalizationType != "" {
		norm = c.NormalizationType
	}
	seed := any(nil)
	if c.Seed != nil {
		seed = int(*c.Seed)
	}
	for _, kv := range []struct {
		k string
		v any
	}{
		{"n_layers", c.NLayers}, {"d_model", c.DModel}, {"n_ctx", c.NCtx}, {"d_head", c.DHead},
		{"model_name", c.ModelName}, {"n_heads", c.NHeads}, {"d_mlp", c.DMLP}, {"act_fn", c.ActFn},
		{"d_vocab", c.DVocab}, {"eps", c.Eps}, {"use_attn_result", false}, {"use_attn_scale", c.UseAttnScale},
		{"attn_scale", c.AttnScale}, {"use_split_qkv_input", false}, {"use_hook_mlp_in", false},
		{"use_attn_in", false}, {"use_local_attn", false}, {"original_architecture", nil},
		{"from_checkpoint", false}, {"checkpoint_index", nil}, {"checkpoint_label_type", nil},
		{"checkpoint_value", nil}, {"tokenizer_name", nil}, {"window_size", nil}, {"attn_types", nil},
		{"init_mode", "gpt2"}, {"normalization_type", norm}, {"device", "cpu"}, {"n_devices", 1},
		{"attention_dir", c.AttentionDir}, {"attn_only", c.AttnOnly}, {"seed", seed},
		{"initializer_range", initStd}, {"init_weights", true}, {"scale_attn_by_inverse_layer_idx", false},
		{"positional_embedding_type", c.PositionalEmbeddingType}, {"final_rms", false},
		{"d_vocab_out", c.DVocabOut}, {"parallel_attn_mlp", false}, {"rotary_dim", nil},
		{"n_params", nil}, {"use_hook_tokens", false}, {"gated_mlp", false},
		{"default_prepend_bos", true}, {"dtype", torchfile.Global{Module: "torch", Name: "float32"}},
		{"tokenizer_prepends_bos", nil}, {"n_key_value_heads", nil}, {"post_embedding_ln", false},
		{"rotary_base", 10000}, {"trust_remote_code", false}, {"rotary_adjacent_pairs", false},
	} {
		d.Set(kv.k, kv.v)
	}
	return d
}
