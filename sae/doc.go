// Package sae owns sparse autoencoders: the architectures (standard, gated,
// jumprelu, topk, batchtopk) with their encode/decode/forward passes and
// hand-written backward passes, the trainer (Adam, gradient clipping,
// learning-rate and L1 schedules, ghost grads, dead-feature tracking,
// activation normalisation, geometric-median b_dec initialisation), run
// directories (config.json, metrics.jsonl, SAELens-layout checkpoints, exact
// resume), and the SAELens file format (cfg.json + sae_weights.safetensors +
// sparsity.safetensors).
//
// The package works on plain [N, d_in] float32 activations; where they come
// from (a model hook, a cache on disk) is the job of package activations,
// which feeds the trainer through the Source interface.
//
// Which SAELens version each part follows:
//
//   - Config keys and defaults: LanguageModelSAERunnerConfig of SAELens 3.12
//     (the original notebook's version); every key of 3.x–6.x is accepted,
//     including v6's nested "sae" and "logger" objects.
//   - standard: 3.12/4.4.5 (MSE summed over d_in, averaged over the batch;
//     Lp penalty of the feature activations, weighted by decoder row norms
//     only when scale_sparsity_penalty_by_decoder_norm, as in 4.x; ghost
//     grads as in 3.12/4.4.5, reusing the first pass's hidden_pre).
//   - gated: 3.12 = 6.x (gate penalty weighted by decoder norms, auxiliary
//     reconstruction through the gate path).
//   - jumprelu: 6.x (log_threshold parameter, rectangle-kernel
//     pseudo-derivatives, "step" L0 or "tanh" sparsity loss).
//   - topk, batchtopk: 6.x with rescale_acts_by_decoder_norm off (AuxK with
//     k_aux = d_in/2, detached residual, aux_loss_coefficient; batchtopk's
//     threshold is an EMA of the smallest positive activation and the SAE is
//     saved as jumprelu).
//   - Trainer step order (deliberately not SAELens 3.12's): unit-norm the
//     decoder rows, forward + backward, remove the decoder-parallel gradient,
//     clip the global gradient norm, Adam step, then advance the schedules.
//     SAELens 3.12 removed the parallel component after the optimizer step,
//     where it has no effect.
//   - Explained variance is 1 − Σ‖x−x̂‖² / Σ‖x−mean(x)‖² over the batch or
//     eval set (SAELens averages a per-token ratio instead).
//   - sparsity.safetensors holds log10(feature density + 1e-10) over the
//     current feature_sampling_window (the counts since the last window
//     reset, as SAELens), not over the whole run.
package sae
