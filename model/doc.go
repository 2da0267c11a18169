// Package model is glassbox's TransformerLens-compatible hooked transformer.
//
// It owns the model configuration (Config, with HookedTransformerConfig's field
// names and JSON keys), the weights (a state dict keyed by TransformerLens
// parameter names such as "blocks.0.attn.W_Q"), the batched forward pass with
// every TransformerLens hook point ("hook_embed", "blocks.0.attn.hook_pattern",
// …), activation caching, and hooks that read or replace activations.
// Reading files is the job of the formats packages; this package only takes
// a Config and a map of tensors.
package model
