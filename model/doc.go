// Package model is glassbox's TransformerLens-compatible hooked transformer.
//
// It owns the model configuration (Config, with HookedTransformerConfig's field
// names and JSON keys, TransformerLens defaults via DefaultConfig/WithDefaults),
// the weights (a state dict keyed by TransformerLens parameter names such as
// "blocks.0.attn.W_Q"), the batched forward pass of TransformerLens 1.19's
// HookedTransformer with every hook point ("hook_embed",
// "blocks.0.attn.hook_pattern", …), activation caching, hooks that read or
// replace activations, and the glassbox model directory (config.json +
// model.safetensors). Reading torch files is delegated to formats/torchfile,
// safetensors to formats/safetensors.
//
// # Running
//
//	m, err := model.New(cfg, params)               // or model.Load(dir), model.LoadTorch(pth, pkl)
//	logits, err := m.Forward(tokens)                // [B,T,d_vocab_out]
//	logits, cache, err := m.RunWithCache(tokens)    // every hook; or name the hooks you want
//	logits, err = m.RunWithHooks(tokens, []model.Hook{{Name: "blocks.0.hook_mlp_out",
//		Fn: func(act *tensor.Tensor) error { clear(act.Data); return nil }}}) // zero-ablation
//	logits, cache, err = m.Run(tokens, model.RunOptions{Hooks: hooks, Cache: names})
//	start, base, err := model.SplicePoint(m.Config(), "blocks.3.hook_mlp_out")
//	logits, _, err = m.RunFrom(start, resid, model.RunOptions{}) // resid = base's activation + replacement
//
// tokens is a batch of equal-length rows of ids in [0, d_vocab), 1 ≤ T ≤ n_ctx.
// RunFrom resumes the forward pass at a residual-stream point
// (hook_resid_pre / resid_mid / resid_post of a block), skipping the layers
// before it: splicing a replacement in at a late hook costs only the rest of
// the model, with logits bit-identical to the full hooked run.
//
// # Hooks
//
// A Hook's Fn is called once per run with the activation for the WHOLE batch
// (shape from HookShape, batch first). It may read it or overwrite its Data
// in place — the forward pass continues with the new values, so this is how
// SAE splicing and activation patching are done. It must not change the shape.
// The tensor is only valid during the call (Clone to keep it). Several hooks
// on one name run in the order given; the cache records the value after all
// of them. An error returned by Fn aborts the run.
//
// HookNames lists every hook in forward order. Unlike TransformerLens, all of
// them are available whatever the use_* flags: blocks.L.hook_q_input /
// hook_k_input / hook_v_input ([B,T,H,d_model], TL: use_split_qkv_input),
// blocks.L.attn.hook_result ([B,T,H,d_model], TL: use_attn_result) and
// blocks.L.hook_mlp_in (TL: use_hook_mlp_in) are computed only when cached or
// hooked; replacing them affects only what TransformerLens would affect (the
// q/k/v of that layer, the attention output, the MLP input). When a
// q/k/v_input hook is active, ln1 is applied per head to those inputs and the
// ln1 hooks report the shared (un-split) normalisation of resid_pre.
// LayerNorm hooks (blocks.L.ln1/ln2 and ln_final .hook_scale [B,T,1] and
// .hook_normalized [B,T,d_model]) exist when normalization_type is not None;
// for RMS, hook_normalized is x/scale before the weight, as in TL.
// Causal masking writes the IGNORE value (-inf, or the state dict's
// blocks.L.attn.IGNORE buffer) into hook_attn_scores.
//
// # Numerics
//
// Activations are stored as float32 (like TransformerLens) and every dot
// product, softmax and normalisation is accumulated in float64. Against a
// float64 reference of TL's math the fixtures agree to |Δ| ≤ 1e-5·max(1,|x|)
// per element. Work is split over the batch on GOMAXPROCS goroutines;
// larger projections run in 4-row × 8-column float64 tiles (an AVX2+FMA
// kernel on amd64, portable Go with -tags noasm), and each output element is
// summed in the same order whatever the split, so results are bit-identical
// for any GOMAXPROCS. Weight matrices that are mostly zeros (tracr's
// compiled models) are also kept as sparse columns and give the same sums
// bit for bit. A Model is immutable after New and safe for concurrent use.
package model
