// Package bench owns glassbox's benchmark sweeps: the grid of cells
// (cases × hooks × SAE architectures × sparsity × seeds), its deterministic
// order, stable cell IDs and sharding; the parallel, resumable sweep engine
// that runs one cell at a time through a pluggable RunFunc and appends one
// Result per cell to results.jsonl; merging shard outputs; and the
// leaderboard (markdown, HTML and an SVG L0-vs-coverage frontier plot).
//
// # Grid
//
// A Spec lists case ids, hook selectors, architectures, l1 coefficients
// (used by the l1-penalised architectures standard, gated and jumprelu), k
// values (used by topk and batchtopk), seeds, training tokens and the SAE
// expansion factor, and optionally .star programs (Spec.Programs,
// LoadProgram; ParseCases reads "3,4,mine.star"), swept after the cases.
// Expand turns it into an ordered []Cell: by case (in the
// order given, duplicates removed), then hook in the model's forward order,
// then architecture (order given), then sparsity value (ascending), then seed
// (order given).
//
// Hook selectors need the model's hook names, which bench gets from a
// HookLister supplied by the caller (so bench does not depend on the
// compiler). The selectors expand as follows, for a model with n layers:
//
//	residual  blocks.L.hook_resid_pre for L = 0..n-1, plus blocks.{n-1}.hook_resid_post
//	mlp       blocks.L.hook_mlp_out for every L whose MLP computes something
//	attn      blocks.L.hook_attn_out for every L whose attention computes something
//	all       the union of the three
//	KIND:last the last hook KIND (residual, mlp or attn) picks: residual:last
//	          is blocks.{n-1}.hook_resid_post, mlp:last the last non-empty
//	          MLP's blocks.L.hook_mlp_out
//	NAME      any other selector is taken as one exact hook name
//
// Empty half-layers (tracr leaves some MLPs with zero weights) come from an
// EmptyLister (ExpandSkipping; the real backend reads the compiled model's
// blocks, workload.EmptyHooks). The default sweep (DefaultHooks) uses
// residual:last and mlp:last: one residual-stream hook per case, the one
// after the last layer, where every variable the program writes is
// present, and the last MLP output that computes something. Aggregate
// leaves out cells whose activations never vary (EmptyHook).
//
// A selector that matches no hook of a case's model, or a HookLister error
// (a case that does not compile), becomes one failed cell per case and
// selector: it is recorded in results.jsonl with its error and the sweep goes
// on.
//
// # Model kinds
//
// Spec.Models lists the model kinds every case is swept on: ModelCompiled
// (the default; a compiled-only spec has no models key), ModelSIIT, the
// case's SIIT-trained model, and ModelInterpBench, the case's folder in a
// directory of released or downloaded models. ExpandModels lists the hooks
// per case and kind (an LL model can have more layers); a case's cells come
// kind by kind. RealBackendModels runs siit cells on Dir/models/case_N
// (program_<hash> for a program), trained on first use with trained.Ensure
// (once per process, under a file lock across shards, resumable, reused
// later); its SIIT settings are part of the runner settings in spec.json.
// Programs have no interpbench models. It runs interpbench cells on
// ModelFolder(InterpBenchDir, case): DIR/case_N/ or DIR/N/, an InterpBench
// download (ll_model.pth + ll_model_cfg.pkl) or a glassbox model folder,
// opened by workload.Open like the siit models; a case without a folder
// gets no cells (ErrNoModel: one note), and the directory is part of the
// runner settings. A cell on a model folder records it in its Result
// (Result.Model: path, kind, weights hash), and Merge calls two successes
// of one cell on different weights a conflict. Costs use each model's own
// d_model. The leaderboard splits every table, and the frontier plot, by
// model kind when the results hold more than one (compiled, siit,
// interpbench in that order; ranks restart within each kind).
//
// # Cell IDs
//
// Cell.Key is a canonical text form of every parameter of the cell, e.g.
//
//	case=3 hook=blocks.0.hook_resid_pre arch=standard l1=0.1 seed=42 tokens=300000 expansion=4
//
// with " model=siit" appended for cells on a SIIT model (compiled cells keep
// the keys they always had), "program=<hash>" instead of "case=N" for a
// program's cells (ProgramHash of its source: the same for a copy of the
// file, new for an edited one; a file edited after the sweep was planned
// fails its cells) and numbers in Go's shortest round-trip form
// ('g', -1). Cell.ID is the
// first 16 hex digits of the SHA-256 of the key: the same on every machine
// and run, and independent of the grid's other cells and of sharding.
//
// # Shards
//
// Shard{Index, Count} takes the cells whose position p in the expanded grid
// has p % Count == Index. Index is 0-based, as Slurm's SLURM_ARRAY_TASK_ID
// (with --array=0-(n-1)) and Kubernetes' JOB_COMPLETION_INDEX give it;
// ShardFromEnv reads those variables, with the shard count the user
// declared (--shards N or GLASSBOX_SHARD_COUNT), never the running array's
// size, so that resubmitting one index resumes its shard. Shards are disjoint, together cover
// the grid, and differ in size by at most one cell. Every shard expands the
// whole grid, so all shards must be run with the same Spec.
//
// # Results and resume
//
// The sweep appends one JSON line per finished cell to results.jsonl from a
// single writer goroutine (O_APPEND, one write per line, fsync after each).
// On start, the file is read back; a trailing partial line left by a crash is
// dropped (the file is truncated to the last complete line) and every cell
// whose ID already has a result, success or recorded error, is skipped
// (Options.RetryFailed re-runs the recorded errors). With Options.Cost the
// remaining cells start most expensive first. A cell whose RunFunc
// returns an error or panics is recorded with the message. A cell that was
// interrupted by context cancellation is not recorded and runs again on
// resume.
//
// The sweep directory also holds spec.json (WriteSpec): the spec, the shard
// and the runner settings that are not part of the cell keys (training
// batch size, learning rate); a sweep with other runner settings refuses to
// write into the same directory.
//
// # The real runner
//
// Runner (runner.go) is the adapter to the rest of glassbox: cases (the
// catalogue and its datasets), tracr (compilation and the alignment),
// features/rundir (dataset, ground truth and targets of a case), model and
// activations (hook activations, repeated and shuffled per epoch; splicing),
// sae (training) and features (labelling and downstream metrics). RealBackend bundles it with InterpBench's case list.
// Tests of the engine use a deterministic synthetic runner instead; no
// synthetic result is ever produced by the CLI.
//
// # Leaderboard
//
// Aggregate groups results per architecture and per architecture ×
// sparsity value and averages coverage, mean feature F1, explained
// variance, L0, dead fraction and spliced accuracy over the cells that
// report each metric. WriteLeaderboard writes leaderboard.md,
// leaderboard.html (self-contained, with the plot inline) and frontier.svg.
package bench
