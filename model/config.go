package model

// Config mirrors TransformerLens' HookedTransformerConfig. Field names follow
// Go style; JSON keys are TransformerLens' own, so a config.json written by
// glassbox reads as a HookedTransformerConfig dict and vice versa.
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
}
