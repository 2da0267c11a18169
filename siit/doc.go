// Package siit trains InterpBench-style low-level (LL) transformers with
// Strict Interchange Intervention Training from a compiled tracr model (the
// high-level, HL, model), and evaluates such models.
//
//	c, _ := cases.Get(3)
//	job, err := siit.Prepare(c, siit.Setup{})          // compile, LL shape, correspondence, data, recipe
//	res, err := job.TrainModel(ctx, siit.Options{Out: dir}) // Train (metrics.jsonl + checkpoint per epoch;
//	                                                        // Resume continues) then WriteModel: ll_model.pth,
//	                                                        // ll_model_cfg.pkl, meta.json, edges.pkl, …
//	ev, err := siit.EvaluateFolder(dir, c, siit.Setup{}, 0, 0) // accuracy, IIA, strict accuracy, effects
//
// The pieces, each in its own file:
//
//   - shape.go: LLConfig, InterpBench's make_ll_cfg_for_case (n_heads ≥ 4,
//     n_layers ≥ 2, d_head or d_model divided by the per-case ratio, d_mlp =
//     4·d_model, exact GELU, the HL config's attn_scale and init σ
//     0.8/√(HL d_model) carried over).
//   - correspondence.go: HL nodes from the compiled blocks
//     (blocks.L.attn.hook_result per head, blocks.L.mlp.hook_post), the
//     default LL nodes (same hook and head), case 3's override
//     (frac_prevs_1 → LL layer 1 head 2), user files, non-circuit nodes,
//     edges in LL names.
//   - recipe.go: the Gen-1 and Gen-2 recipes and the per-case defaults.
//   - data.go: full-length rows, the 80/20 split, iit's fixed seeded pairs.
//   - hl.go, targets.go: the HL model's clean and intervened outputs
//     (cached per pair and node; a training batch fills its drawn node,
//     the validation every node at once, the runs sharing their work:
//     source runs stop at their nodes, patched runs resume from one base
//     run, all bit-identical to full hooked runs).
//   - train.go: the IIT, strict and behaviour steps (model/grad does the
//     forward and backward passes), early stopping, the best state.
//   - eval.go: val/accuracy, val/IIA, val/strict_accuracy and the per-node
//     resample-ablation effect; folder.go evaluates a saved folder.
//   - checkpoint.go: siit_run.json, the per-epoch checkpoint and
//     metrics.jsonl (exact resume, kill -9 safe).
//   - files.go: InterpBench's folder layout; sweep.go: every case, sharded.
//
// Randomness: the LL init uses InitSeed (0, as InterpBench) whatever the
// training Seed; pairs, their order per epoch and the node drawn per batch
// come from PCG streams keyed by (Seed, index), so a run is bit-identical
// on one machine and a resumed run equals an uninterrupted one. glassbox
// does not reproduce numpy's or torch's generators, so its pairs and
// initial weights differ from InterpBench's.
package siit
