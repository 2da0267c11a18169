// Package workload owns what every SAE job on a transformer shares — a case
// compiled once, the model that runs it, the vectors read at a hook and how
// they are scored — so that training (pipeline), sweeps (bench) and analysis
// (features/rundir) read the same vectors from the same model:
//
//	cd, err := workload.CatalogueCase(3)        // compiled once per process, dataset + traces
//	w, err := workload.Open(cd, "")             // its compiled model; or a model folder (siit, InterpBench)
//	set, err := workload.Collect(w.Model, w.Tokens, "blocks.1.attn.hook_pattern", workload.Select{Head: &h})
//	cfg := workload.SAEConfig("case3", hook, T, set.DIn) // the notebook's config: every job's defaults
//
//	v, err := workload.NewView(hook, act.Shape, B, T, head) // the same slicing for analysis and splicing
//	acts, xhat, err := workload.Reconstruct(s, v.Extract(act.Data, nil))
//	d, err := w.Downstream(v, clean, xhat)                  // spliced vs clean vs zero-ablated outputs
//
// The parts:
//
//   - Case: a RASP program compiled with tracr (Compile, CompileCase) and,
//     separately, its dataset and evaluation traces (WithRows,
//     WithDataset), so a sweep compiles a case once; CatalogueCase caches
//     catalogue cases per process. Workload (Open) adds the model that
//     runs it: the compiled one or a model folder (model.Open: glassbox's
//     or InterpBench's files). A folder's HL → LL correspondence
//     (Correspondence: its correspondence.json, else InterpBench's default)
//     decides where each variable is available (LLGroundTruth, per head at
//     per-head hooks); the compiled model uses the compiler's alignment.
//   - ModelRef: the model a run used (path, kind compiled|siit|interpbench,
//     WeightsHash), recorded in source.json; Check and Resolve refuse
//     another model or a missing folder, naming both.
//   - View: the one hook-slicing rule ([B,T,d]; [B,T,H,d] at a head or
//     hook_z flattened; [B,H,T,T] at a head, keys per query position),
//     built on model.ParseHook, the one hook-name parser. Collect and Slice
//     turn a hook into an activations.Set for training.
//   - Source: where a run's activations come from, written to and read
//     from source.json (WriteSource, ReadSource); Label names it for run
//     directories ("case3", or the activation file's name). FindSAE resolves a run or
//     SAE directory; ReadMetrics reads a run's metrics.jsonl.
//   - EmptyHooks: the hooks of half-layers that compute nothing (tracr's
//     empty MLPs), from the compiled blocks or, for a model folder, from
//     all-zero output weights; bench's kind selectors skip them.
//   - SAEConfig / SetHook: sae.NotebookConfig completed for a hook.
//   - Scoring: ReconMetrics (features.Reconstruction on the SAE's
//     Reconstruct; train's summary and sae-eval), Workload.Splice and
//     Downstream (numerical outputs within Workload.ATol, default |Δ| <
//     0.05).
package workload
