// Package activations owns activation stores: the [N, d_in] float32 vectors an
// SAE trains on, where they come from and how they are served.
//
//   - FromModel runs a model once over token rows and collects one hook's
//     activations (any hook, including per-head hooks such as
//     blocks.1.attn.hook_result with a head index, and attn.hook_z flattened
//     to [B, T, H·d_head] as SAELens does), optionally keeping only some
//     positions (e.g. dropping BOS). The notebook's 320 case-3 rows give its
//     1600 unique vectors, computed once.
//   - Memory serves a Set as training batches with the notebook's repeat
//     behaviour: cycle through the data, reshuffled every epoch with a seed.
//     It implements sae.Source (deterministic, with a saveable position).
//   - WriteCache / LoadCache keep a Set on disk as safetensors shards plus a
//     manifest.json; LoadFile reads plain [N, d_in] (or [B, T, d_in])
//     safetensors or .npy input.
package activations
