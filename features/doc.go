// Package features turns SAE feature activations into explanations and scores.
//
// It owns, on plain inputs that need no other glassbox package:
//
//   - top-k examples per feature with the original notebook's get_top_k
//     semantics (all rows × positions flattened row-major; ties broken
//     deterministically: larger value first, then lower flat index), live
//     features, density, activation histograms and quantile examples (TopK,
//     Summarize);
//   - ground-truth labelling against a program trace (GroundTruth, Label):
//     candidates from token strings, positions, token@position pairs and the
//     RASP variables the alignment makes available at the SAE's hook, scored
//     by F1 (indicator candidates) or Pearson |r| (numerical variables), with
//     verdicts, duplicate groups and per-hook coverage;
//   - evaluation metrics: reconstruction (explained variance, MSE, L0, L1,
//     dead/dense counts, shrinkage, cosine; Reconstruction) and downstream
//     metrics from spliced / clean / zero-ablated model outputs (accuracy, CE
//     and KL scores as SAELens defines them, MSE recovered for numerical
//     outputs; Downstream).
//
// Running the model, loading SAEs and building traces is done by adapters in
// features/rundir; this package only does the arithmetic, so it can be tested
// against independent references.
package features
