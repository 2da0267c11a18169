// Package activations owns activation stores: the [N, d_in] float32 vectors an
// SAE trains on and how they are served. Collecting them from a model is
// package workload's job (workload.Collect: any hook, per-head hooks at a
// head index, hook_z flattened, a position filter).
//
//   - Set holds the vectors with the token row and position of each.
//   - Memory serves a Set as training batches with the notebook's repeat
//     behaviour: cycle through the data, reshuffled every epoch with a seed.
//     It implements sae.Source (deterministic, with a saveable position).
//   - WriteCache / LoadCache keep a Set on disk as safetensors shards plus a
//     manifest.json; LoadFile reads plain [N, d_in] (or [B, T, d_in])
//     safetensors or .npy input (formats/npy).
package activations
