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
//     eval set (SAELens averages a per-token ratio instead), NaN when the
//     inputs do not vary. The reconstruction metrics have one definition
//     each, as ReconSums methods named by what they average
//     (MSEPerElement, SumSqPerRow, ExplainedVariance, L0, DeadFeatures);
//     metrics.jsonl's eval/mse is MSEPerElement (SAELens' eval "mse"),
//     losses/mse_loss the training loss as each architecture defines it.
//     ReadMetrics is the one reader of metrics.jsonl.
//   - sparsity.safetensors holds log10(feature density + 1e-10) over the
//     current feature_sampling_window (the counts since the last window
//     reset, as SAELens), not over the whole run.
//
// # Architectures
//
// Everything that differs between architectures is one implementation of
// the unexported architecture interface (arch.go), one file each:
// arch_standard.go, arch_gated.go, arch_jumprelu.go, arch_topk.go and
// arch_batchtopk.go. An implementation allocates its parameters beyond
// W_enc, W_dec and b_dec and names them as SAELens does (params; their
// order is the Adam state's), turns one row's encoder product into feature
// activations (encoder), runs one training step (step: forward, loss,
// backward), checks its config keys (resolve), and reads and writes its
// cfg.json keys and weight tensors (cfgDict, readCfg, tensors). Optional
// hooks come from the embedded archDefaults. The architectures are
// registered in one place, the architectures slice of arch.go. The shared
// sparse machinery the steps use (active lists, gathered decoding, gradients
// applied feature by feature) is sparse.go.
//
// Wide SAEs (d_in ≥ 128) choose each step's path by cost from the step's
// own encoder output: while at least 10 % of the entries are active (the
// first hundreds of steps of a run: about half the features fire at
// initialisation) the standard, gated and jumprelu steps run dense products
// over every feature on the blocked, core-parallel kernels (step_dense.go,
// step_gated_dense.go, step_jumprelu_dense.go), later the sparse path;
// topk/batchtopk are sparse from the start. The dense steps' per-entry
// passes and transposes split over the cores too, by blocks fixed by the
// shape (parallel_pass.go), and so do the sparse steps' per-row passes
// (topk selection, gathered decoding), per-feature gradient rows, b_dec's
// sums over the centred input (by columns), Adam, the decoder-row passes
// and the geometric median: every split either leaves each value's own
// sum untouched or combines partial sums in a fixed order, so a step gives
// the same bits with any GOMAXPROCS. The dense products (kernel.go) run
// 6×16 AVX2 register tiles over packed 16-column panels — on CPUs with
// AVX-512, 12×32 zmm tiles over pairs of panels in k blocks of 256
// (gemm512.go), each element's FMA chain in the same k order, so both give
// the same bits (TestGemm512MatchesAVX2, TestDenseSteps512) — packed straight from
// W_encᵀ or W_dec where the product needs their transpose (no [d_in,
// d_sae] copies). The step buffers are shared between the two paths and
// the sparse steps' active lists are packed row after row, sized by the
// path choice's counts, so that a whole 300-step run of a 768→6144
// standard SAE at batch 4096 peaks at ≈ 550 MiB, 1.48× of its parameters,
// gradients, Adam moments and one batch's activations and gradients
// (workspace comments in step.go); BenchmarkRunBig times whole runs from
// initialisation and reports the peak RSS.
//
// Each architecture also has a reference step, ref_<name>_test.go: the same
// forward, loss and backward in plain float64 Go on dense matrices, checked
// against PyTorch autograd fixtures (scripts/sae_parity.py). The fast steps
// are tested against the references in every kernel mode
// (TestFastStepsMatchReference).
//
// Adding a sixth architecture, say "relu-l0" (a standard SAE whose penalty
// counts active features), takes one new file plus its registration:
//
//	// arch_relul0.go
//	type reluL0Arch struct{ archDefaults }
//
//	func (reluL0Arch) name() string { return "relu-l0" }
//	func (reluL0Arch) resolve(*Resolved, func(string, string, ...any) error) error { return nil }
//	func (reluL0Arch) alloc(s *SAE)                     { s.BEnc = make([]float32, s.DSAE) }
//	func (reluL0Arch) params(s *SAE) []param {
//		return []param{{"W_enc", s.WEncT}, {"W_dec", s.WDec}, {"b_enc", s.BEnc}, {"b_dec", s.BDec}}
//	}
//	func (reluL0Arch) encoder(s *SAE) func(f []float32) {
//		return func(f []float32) { thresholdRow(f, s.BEnc, nil, 0) }
//	}
//	func (reluL0Arch) tensors(s *SAE) []fileTensor { return []fileTensor{vecTensor("b_enc", s.BEnc)} }
//	func (reluL0Arch) step(s *SAE, w *workspace, x []float32, o *stepOptions, gr grads) (StepLosses, error) {
//		var L StepLosses
//		s.encodeDense(w, s.BEnc, o) // w.pre = c·W_enc + b_enc
//		w.activeLists(s.DSAE) // room for d_sae per row (or count first: countedLists)
//		// fill the active lists w.actIdx/actVal/actN (row b at w.actOff[b]) from w.pre, then
//		L.MSE = s.decodeGathered(w, x, o, gr[1], gr[3]) // x̂, MSE, dLoss/dy, W_dec and b_dec grads
//		// add the penalty to L.L1 and its gradients, and backEncoder each
//		// active entry's dLoss/dpre (collected, then applied to gr[0])
//		return L, nil
//	}
//
//	// arch.go
//	var architectures = []architecture{..., reluL0Arch{}}
//
// plus, for the tests, its reference step (ref_relul0_test.go, registered
// in refSteps). The config, the trainer, checkpoints, resume, cfg.json and
// the safetensors files, Encode, Forward and the CLI's --arch then know
// it; TestFastStepsMatchReference fails until it has a reference step.
package sae
