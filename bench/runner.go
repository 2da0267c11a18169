package bench

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/glassbox-interp/glassbox/activations"
	"github.com/glassbox-interp/glassbox/cases"
	"github.com/glassbox-interp/glassbox/features"
	"github.com/glassbox-interp/glassbox/model"
	"github.com/glassbox-interp/glassbox/sae"
	"github.com/glassbox-interp/glassbox/tensor"
	"github.com/glassbox-interp/glassbox/workload"
)

// Backend is what a real sweep needs from the rest of glassbox: the case
// catalogue, each case's model hooks, and the cell runner.
type Backend struct {
	AllCases func() []int       // the cases "--cases all" means
	Hooks    HookLister         // hook names of a case's compiled model, forward order
	Empty    EmptyLister        // hooks of half-layers that compute nothing (skipped by kind selectors)
	Run      RunFunc            // compile → activations → train SAE → label → metrics
	Cost     func(Cell) float64 // relative run time of a cell (Options.Cost)
	// Plan, if set, is told the cells a sweep will run before it starts
	// (Runner.Plan: one model pass per case for all their hooks).
	Plan func([]Cell)
	// ModelHooks, if set, lists a case's hooks per model kind (Expand uses
	// it instead of Hooks).
	ModelHooks ModelHookLister
	// Provenance, if set, names the model folder a cell ran on (path,
	// kind, weights hash); nil for the compiled model (Options.Provenance).
	Provenance func(Cell) *workload.ModelRef
	// SubjectHooks and SubjectEmpty, if set, list the hooks of cases and
	// programs per model kind (Expand uses them instead of ModelHooks and
	// Hooks, and tells AddPrograms the spec's programs first).
	SubjectHooks SubjectHookLister
	SubjectEmpty SubjectEmptyLister
	AddPrograms  func([]Program)
}

// RunnerOptions are the training settings shared by every cell. The zero
// value means the original notebook's SAELens config (sae.NotebookConfig,
// through workload.SAEConfig).
// They are not part of the cell key: change them only with a new output
// directory.
type RunnerOptions struct {
	TrainBatchSizeTokens int     `json:"train_batch_size_tokens"` // default: the notebook's (80, its 320//4)
	LR                   float64 `json:"lr"`                      // default: the notebook's (3e-4), constant
	// SIIT records the SIIT training of a sweep with siit models (nil
	// otherwise), so a sweep with other SIIT settings refuses the directory.
	SIIT SIITOptions `json:"siit,omitzero"`
	// ModelDir is the directory of downloaded models the interpbench
	// cells run on (absolute; ModelsOptions.InterpBenchDir), recorded so a
	// sweep over other downloads refuses the directory.
	ModelDir string `json:"model_dir,omitempty"`
	// KeepDir, if set, is where each cell's trained SAE is saved
	// (SAELens layout, KeepDir/<cell id>/; bench --keep-saes).
	KeepDir string `json:"-"`
	// ATol is the numerical accuracy tolerance: an output is correct when
	// |output − program value| < ATol. Default features.DefaultATol (0.05,
	// InterpBench's).
	ATol float64 `json:"atol"`
}

// WithDefaults fills the zero fields with the defaults.
func (o RunnerOptions) WithDefaults() RunnerOptions {
	nb := sae.NotebookConfig()
	if o.TrainBatchSizeTokens <= 0 {
		o.TrainBatchSizeTokens = nb.TrainBatchSizeTokens
	}
	if o.LR <= 0 {
		o.LR = nb.LR
	}
	if o.ATol <= 0 {
		o.ATol = features.DefaultATol
	}
	return o
}

// Runner is the real cell runner: for a cell it compiles the case with the
// tracr compiler (once per case, shared by the case's cells), runs the
// model over the case's dataset (all inputs when there are at most 5000,
// otherwise 2000 seeded samples, as the reference data), trains an SAE on
// the activations at the cell's hook, labels its features against the
// program's trace, and measures it. Metrics:
//
//   - coverage: features.Label's coverage of the hook's expected candidates
//     (absent when the hook has none);
//   - mean_f1: mean best-label score (F1, or |r| for numerical variables)
//     over live features;
//   - explained_variance, l0, dead_fraction: the trained SAE on every
//     (row, position) activation of the dataset (sae.ReconSums; explained_variance
//     is left out when the activations do not vary: an empty layer); input_variance
//     is the activations' total variance;
//   - spliced_accuracy (and clean_accuracy, zero_accuracy, accuracy_retained
//     = spliced/clean, ce_loss_score or mse_score): the model's output
//     accuracy against the program's output on content positions with the
//     reconstruction spliced in at the hook (features.Downstream; numerical
//     outputs within RunnerOptions.ATol).
type Runner struct {
	opts  RunnerOptions
	mu    sync.Mutex
	cases map[Subject]*caseEntry
	data  map[Subject]*dataSlot // datasets of the most recently used cases
	tick  int64
	build func(s Subject) (*caseData, error) // buildCaseData; replaced in tests
	plan  map[Subject][]string               // hooks the planned cells use, per case (Plan)
	// programs are the .star programs the runner may be asked about, by
	// content hash (AddPrograms).
	programs map[string]Program

	// modelDir, when set, gives the model folder that runs a case instead
	// of its compiled model, and modelConfig that model's config (its hook
	// names and width; the siit and interpbench runners of
	// RealBackendModels).
	modelDir    func(s Subject) (string, error)
	modelConfig func(s Subject) (model.Config, error)
	refs        map[Subject]workload.ModelRef // the model folder each case ran on (Provenance)
}

// maxCachedCases bounds the case datasets kept in memory; cells come
// ordered by case, so a few suffice for any number of workers.
const maxCachedCases = 4

type dataSlot struct {
	once sync.Once
	data *caseData
	err  error
	used int64
}

type caseEntry struct {
	compileOnce sync.Once
	c           *cases.Case
	compiled    *workload.Case // the case compiled once; its dataset is built per dataSlot
	hooks       []string
	empty       map[string]bool // hooks of empty half-layers (workload.EmptyHooks)
	dModel      int
	compileErr  error
}

// caseData is a case's dataset with everything the metrics need.
type caseData struct {
	model        *model.Model // built from the same compilation as gt's alignment
	tokens       [][]int
	gt           *features.GroundTruth
	categorical  bool
	targets      []int     // categorical: output id per (row, pos); -1 = not evaluated
	targetValues []float64 // numerical: value per (row, pos); NaN = not evaluated
	atol         float64   // numerical accuracy tolerance (RunnerOptions.ATol)

	// The model passes that do not depend on the SAE are shared by every
	// cell of the case: the clean output once per case, and per hook the
	// activations and the zero-ablated output (read-only once computed).
	cleanOnce sync.Once
	clean     *tensor.Tensor
	cleanErr  error
	hooksMu   sync.Mutex
	hooks     map[string]*hookData

	// The planned hooks of the case (Runner.Plan) come from one full pass
	// (fullPass): shared caches them and their splice bases; a hook's entry
	// is dropped once its hookData has it.
	planned    []string
	sharedOnce sync.Once
	shared     model.Cache
	sharedErr  error
}

// hookData is what every cell at one hook of a case shares.
type hookData struct {
	once sync.Once
	set  *activations.Set
	zero *tensor.Tensor
	err  error

	// The spliced pass resumes at start (model.SplicePoint) from base + the
	// reconstruction; base is nil when the hook is a residual-stream point.
	// Hooks without a splice point are replaced through view.
	start string
	base  *tensor.Tensor
	view  workload.View

	// The SAE is a function of the activation row alone, so it runs once
	// per distinct row: uniq holds them ([len, d_in]) and rowOf maps each
	// dataset row to its distinct row (nil: every row is distinct and uniq
	// is the activations themselves).
	uniq     []float32
	rowOf    []int32
	ids      []int32 // activations.DistinctRows' ids, for every cell's Memory
	variance float64 // totalVariance of the activations

	// What every cell's metrics share: the labeller holds the hook's
	// candidates; ref holds the clean and zero-ablated outputs' downstream
	// metrics at the evaluated flat positions evalPos (ref nil: none).
	labeler  *features.Labeler
	ref      *features.DownstreamRef
	evalPos  []int32
	outWidth int // V, the model's outputs per position
}

// cleanOutput is the model's output on the dataset, computed once.
func (d *caseData) cleanOutput() (*tensor.Tensor, error) {
	d.cleanOnce.Do(func() { d.clean, d.cleanErr = d.model.Forward(d.tokens) })
	return d.clean, d.cleanErr
}

// hook returns the activations at hook and the output with them zeroed,
// computed once per (case, hook).
func (d *caseData) hook(name string) (*hookData, error) {
	d.hooksMu.Lock()
	if d.hooks == nil {
		d.hooks = map[string]*hookData{}
	}
	h, ok := d.hooks[name]
	if !ok {
		h = &hookData{}
		d.hooks[name] = h
	}
	d.hooksMu.Unlock()
	h.once.Do(func() { h.err = d.computeHook(name, h) })
	return h, h.err
}

// computeHook fills h with one full model pass (caching the hook and the
// splice base; its logits are the clean output) and one pass from the
// splice point with the hook's activation zeroed. Hooks that do not write
// the residual stream (hook_z, mlp.hook_post, …) have no splice point:
// their passes run from the embedding with a hook.
func (d *caseData) computeHook(name string, h *hookData) error {
	start, base, err := model.SplicePoint(d.model.Config(), name)
	if err != nil {
		h.set, err = workload.Collect(d.model, d.tokens, name, workload.Select{})
		if err == nil {
			B, T := len(d.tokens), len(d.tokens[0])
			var shape []int
			if shape, err = model.HookShape(d.model.Config(), name, B, T); err == nil {
				h.view, err = workload.NewView(name, shape, B, T, nil)
			}
		}
	} else {
		names := []string{name}
		if base != "" {
			names = append(names, base)
		}
		var cache model.Cache
		if cache, err = d.fullPass(names); err != nil {
			return err
		}
		h.start, h.base = start, cache[base]
		h.set, err = workload.Slice(cache[name], name, len(d.tokens), len(d.tokens[0]), workload.Select{})
		d.taken(name)
	}
	if err != nil {
		return err
	}
	if h.zero, err = d.spliceFrom(h, make([]float32, len(h.set.Data))); err != nil {
		return err
	}
	h.uniq, h.rowOf, h.ids = distinctRows(h.set.Data, h.set.DIn)
	h.variance = totalVariance(h.set.Data, h.set.DIn)
	B, T := len(d.tokens), len(d.tokens[0])
	if h.labeler, err = features.NewLabeler(d.gt, name, B, T); err != nil {
		return fmt.Errorf("label features at %s: %w", name, err)
	}
	clean, err := d.cleanOutput()
	if err != nil {
		return err
	}
	V := clean.Shape[len(clean.Shape)-1]
	h.outWidth = V
	in := features.DownstreamInput{Categorical: d.categorical, V: V, ATol: d.atol}
	for i := 0; i < B*T; i++ {
		if d.categorical {
			if d.targets[i] < 0 {
				continue
			}
			in.Targets = append(in.Targets, d.targets[i])
		} else {
			if math.IsNaN(d.targetValues[i]) {
				continue
			}
			in.TargetValues = append(in.TargetValues, d.targetValues[i])
		}
		h.evalPos = append(h.evalPos, int32(i))
		in.Clean = append(in.Clean, clean.Data[i*V:(i+1)*V]...)
		in.Zero = append(in.Zero, h.zero.Data[i*V:(i+1)*V]...)
	}
	if len(h.evalPos) > 0 {
		if h.ref, err = features.NewDownstreamRef(in); err != nil {
			return fmt.Errorf("downstream metrics: %w", err)
		}
	}
	return nil
}

// fullPass returns a full model pass's cache of names (a hook and its
// splice base); its logits are the clean output. When the hook is one of
// the case's planned hooks, one pass caches all of those with their bases,
// for every hook of them.
func (d *caseData) fullPass(names []string) (model.Cache, error) {
	hooks, bases := spliceHooks(d.model.Config(), d.planned)
	if !slices.Contains(hooks, names[0]) {
		logits, cache, err := d.model.RunWithCache(d.tokens, names...)
		if err == nil {
			d.cleanOnce.Do(func() { d.clean = logits })
		}
		return cache, err
	}
	d.sharedOnce.Do(func() {
		var logits *tensor.Tensor
		logits, d.shared, d.sharedErr = d.model.RunWithCache(d.tokens, append(hooks, bases...)...)
		if d.sharedErr == nil {
			d.cleanOnce.Do(func() { d.clean = logits })
		}
	})
	if d.sharedErr != nil {
		return nil, d.sharedErr
	}
	d.hooksMu.Lock()
	defer d.hooksMu.Unlock()
	cache := model.Cache{}
	for _, n := range names {
		if d.shared[n] == nil {
			return nil, fmt.Errorf("shared pass: %s was not cached", n)
		}
		cache[n] = d.shared[n]
	}
	return cache, nil
}

// taken drops a planned hook's activations from the shared pass's cache
// once its hookData holds a copy (splice bases stay: hookData uses them).
func (d *caseData) taken(name string) {
	hooks, bases := spliceHooks(d.model.Config(), d.planned)
	if slices.Contains(hooks, name) && !slices.Contains(bases, name) {
		d.hooksMu.Lock()
		delete(d.shared, name)
		d.hooksMu.Unlock()
	}
}

// spliceHooks returns those of names that are hooks of the model with a
// splice point, and their splice bases.
func spliceHooks(cfg model.Config, names []string) (hooks, bases []string) {
	for _, n := range names {
		if _, base, err := model.SplicePoint(cfg, n); err == nil && !slices.Contains(hooks, n) {
			hooks = append(hooks, n)
			if base != "" && !slices.Contains(bases, base) {
				bases = append(bases, base)
			}
		}
	}
	return hooks, bases
}

// spliceFrom returns the model's output with the activation at h's hook
// replaced by act ([B·T, d_model]): the pass resumes at the splice point,
// which gives the same logits as the full hooked run (model.RunFrom).
func (d *caseData) spliceFrom(h *hookData, act []float32) (*tensor.Tensor, error) {
	if h.start == "" {
		return d.model.RunWithHooks(d.tokens, []model.Hook{{Name: h.set.HookName, Fn: func(a *tensor.Tensor) error {
			h.view.Replace(a.Data, act)
			return nil
		}}})
	}
	B, T := len(d.tokens), len(d.tokens[0])
	in := &tensor.Tensor{Shape: []int{B, T, len(act) / (B * T)}, Data: act}
	if h.base != nil {
		if len(h.base.Data) != len(act) {
			return nil, fmt.Errorf("splice at %s: %d values, the residual stream has %d", h.set.HookName, len(act), len(h.base.Data))
		}
		in = h.base.Clone()
		for i, v := range act {
			in.Data[i] += v
		}
	}
	logits, _, err := d.model.RunFrom(h.start, in, model.RunOptions{})
	return logits, err
}

// distinctRows returns the distinct rows of x ([n, d]) in order of first
// appearance, for each row the index of its distinct row (rows are equal
// when bit-identical), and activations.DistinctRows' ids (the same
// numbering). When no row repeats, uniq is x and rowOf is nil.
func distinctRows(x []float32, d int) (uniq []float32, rowOf, ids []int32) {
	ids, k := activations.DistinctRows(x, d)
	if k == len(ids) {
		return x, nil, ids
	}
	uniq = make([]float32, 0, k*d)
	next := int32(0)
	for i, id := range ids {
		if id == next {
			uniq = append(uniq, x[i*d:(i+1)*d]...)
			next++
		}
	}
	return uniq, ids, ids
}

// NewRunner returns a Runner. Every cell trains with the original
// notebook's SAELens settings: expansion from the cell, geometric-median
// b_dec, apply_b_dec_to_input false, unit-norm decoder, Adam(0.9, 0.999),
// constant lr, ghost grads for the standard architecture
// (feature_sampling_window 2000, dead_feature_window 1000),
// normalize_activations none, the cell's seed, and context size n_ctx.
func NewRunner(opts RunnerOptions) *Runner {
	r := &Runner{opts: opts.WithDefaults(), cases: map[Subject]*caseEntry{}, data: map[Subject]*dataSlot{}, programs: map[string]Program{}}
	r.build = r.buildCaseData
	return r
}

// RealBackend returns the backend built from glassbox's own packages:
// InterpBench's cases, the tracr compiler and a Runner with opts.
func RealBackend(opts RunnerOptions) (*Backend, error) {
	r := NewRunner(opts)
	return &Backend{AllCases: InterpBenchCases, Hooks: r.Hooks, Empty: r.Empty, Run: r.Run, Cost: r.Cost, Plan: r.Plan,
		SubjectHooks: func(s Subject, _ string) ([]string, error) { return r.HooksOf(s) }, SubjectEmpty: r.EmptyOf, AddPrograms: r.AddPrograms}, nil
}

// InterpBenchCases lists the catalogue cases InterpBench ships models for.
func InterpBenchCases() []int {
	var out []int
	for _, id := range cases.IDs() {
		if cases.InInterpBench(id) {
			out = append(out, id)
		}
	}
	return out
}

// Plan records the hooks the given cells use per case, so that one full
// model pass per case caches all of them (and their splice bases) instead
// of one pass per hook. Cells may still run without a plan, or outside it.
func (r *Runner) Plan(cells []Cell) {
	plan := map[Subject][]string{}
	for _, c := range cells {
		if c.ExpandErr == "" && !slices.Contains(plan[c.Subject()], c.Hook) {
			plan[c.Subject()] = append(plan[c.Subject()], c.Hook)
		}
	}
	r.mu.Lock()
	r.plan = plan
	r.mu.Unlock()
}

// AddPrograms tells the runner the .star programs its cells may name
// (Cell.Program, by content hash).
func (r *Runner) AddPrograms(ps []Program) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range ps {
		r.programs[p.Hash] = p
	}
}

func (r *Runner) entry(s Subject) *caseEntry {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.cases[s]
	if !ok {
		e = &caseEntry{}
		r.cases[s] = e
	}
	return e
}

// load returns the case or program s names.
func (r *Runner) load(s Subject) (*cases.Case, error) {
	if s.Program == "" {
		return cases.Get(s.Case)
	}
	p, ok := r.program(s.Program)
	if !ok {
		return nil, fmt.Errorf("program %s: not among the sweep's programs", s.Program)
	}
	return loadProgram(p)
}

// program returns the sweep's program with content hash hash (AddPrograms).
func (r *Runner) program(hash string) (Program, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p, ok := r.programs[hash]
	return p, ok
}

// compiled returns the case's compiled program and model (once per case).
func (r *Runner) compiled(s Subject) (*caseEntry, error) {
	e := r.entry(s)
	e.compileOnce.Do(func() {
		c, err := r.load(s)
		if err != nil {
			e.compileErr = err
			return
		}
		comp, err := workload.CompileCase(c)
		if err != nil {
			e.compileErr = fmt.Errorf("compile %s: %w", s.String(), err)
			return
		}
		e.c, e.compiled = c, comp
		e.hooks, e.dModel = model.HookNames(comp.Compiled.Config), comp.Compiled.Config.DModel
		e.empty = workload.EmptyHooks(comp.Compiled.Config, comp.Compiled.Blocks, nil)
	})
	return e, e.compileErr
}

// Hooks is a HookLister: the hook names of the case's compiled model (or
// of the runner's model folders).
func (r *Runner) Hooks(id int) ([]string, error) { return r.HooksOf(Subject{Case: id}) }

// HooksOf is Hooks for a case or a program.
func (r *Runner) HooksOf(s Subject) ([]string, error) {
	if r.modelConfig != nil {
		cfg, err := r.modelConfig(s)
		if err != nil {
			return nil, err
		}
		return model.HookNames(cfg), nil
	}
	e, err := r.compiled(s)
	if err != nil {
		return nil, err
	}
	return e.hooks, nil
}

// Empty is an EmptyLister: the hooks of the case's compiled model whose
// half-layer tracr left empty (none when the case does not compile).
func (r *Runner) Empty(id int) map[string]bool { return r.EmptyOf(Subject{Case: id}) }

// EmptyOf is Empty for a case or a program.
func (r *Runner) EmptyOf(s Subject) map[string]bool {
	e, err := r.compiled(s)
	if err != nil {
		return nil
	}
	return e.empty
}

// Cost estimates a cell's relative run time: training tokens × d_in ×
// d_sae, with d_in the d_model of the model the cell runs on (the width of
// every hook the selectors pick): the compiled model's, or the model
// folder's (modelConfig: the LL shape of a siit cell). Cells whose case
// does not compile, or whose model cannot be read, cost nothing.
func (r *Runner) Cost(c Cell) float64 {
	e, err := r.compiled(c.Subject())
	if err != nil {
		return 0
	}
	d := float64(e.dModel)
	if r.modelConfig != nil {
		cfg, err := r.modelConfig(c.Subject())
		if err != nil {
			return 0
		}
		d = float64(cfg.DModel)
	}
	return float64(c.TrainingTokens) * d * d * float64(c.Expansion)
}

// Provenance returns the model folder c's case ran on (its path, kind and
// weights hash, workload.ModelRef), or nil when the case runs on its
// compiled model or its folder has not been opened.
func (r *Runner) Provenance(c Cell) *workload.ModelRef {
	r.mu.Lock()
	defer r.mu.Unlock()
	ref, ok := r.refs[c.Subject()]
	if !ok {
		return nil
	}
	return &ref
}

// dataset returns the case's dataset, ground truth and targets, building
// them once while the case stays among the maxCachedCases most recently
// used (an evicted case is rebuilt, identically, if needed again).
func (r *Runner) dataset(subj Subject) (*caseData, error) {
	if _, err := r.compiled(subj); err != nil {
		return nil, err
	}
	r.mu.Lock()
	slot, ok := r.data[subj]
	if !ok {
		slot = &dataSlot{}
		r.data[subj] = slot
	}
	r.tick++
	slot.used = r.tick
	for len(r.data) > maxCachedCases {
		var oldest *Subject
		for k, s := range r.data {
			if k != subj && (oldest == nil || s.used < r.data[*oldest].used) {
				oldest = &k
			}
		}
		delete(r.data, *oldest) // holders of the slot keep using it
	}
	planned := r.plan[subj]
	r.mu.Unlock()
	slot.once.Do(func() {
		slot.data, slot.err = r.build(subj)
		if slot.err != nil {
			slot.err = fmt.Errorf("%s dataset: %w", subj.String(), slot.err)
			return
		}
		slot.data.planned = planned
	})
	return slot.data, slot.err
}

// buildCaseData evaluates the case's dataset on its compilation (the
// case is compiled once, by compiled).
func (r *Runner) buildCaseData(id Subject) (*caseData, error) {
	e, err := r.compiled(id)
	if err != nil {
		return nil, err
	}
	cd, err := e.compiled.WithDataset(e.c)
	if err != nil {
		return nil, err
	}
	dir := ""
	if r.modelDir != nil {
		if dir, err = r.modelDir(id); err != nil {
			return nil, err
		}
	}
	w, err := workload.Open(cd, dir)
	if err != nil {
		return nil, err
	}
	if dir != "" {
		ref := w.Ref()
		r.mu.Lock()
		if r.refs == nil {
			r.refs = map[Subject]workload.ModelRef{}
		}
		r.refs[id] = ref
		r.mu.Unlock()
	}
	m, tokens := w.Model, w.Tokens
	gt, err := w.GroundTruth()
	if err != nil {
		return nil, err
	}
	ids, vals := cd.Targets()
	return &caseData{model: m, tokens: tokens, gt: gt, categorical: cd.Compiled.Categorical, targets: ids, targetValues: vals, atol: r.opts.ATol}, nil
}

// Run runs one cell (a RunFunc).
func (r *Runner) Run(ctx context.Context, c Cell) (map[string]float64, error) {
	d, err := r.dataset(c.Subject())
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	hd, err := d.hook(c.Hook)
	if err != nil {
		return nil, err
	}
	T, dIn, x := len(d.tokens[0]), hd.set.DIn, hd.set.Data

	// The notebook's config (workload.SAEConfig) with the cell's
	// architecture, size, budget and seed, the runner's batch size and lr,
	// ghost grads where the architecture defines them (standard), and no
	// checkpoints.
	modelName := fmt.Sprintf("case%d", c.Case)
	if c.Program != "" {
		modelName = "program-" + c.Program
	}
	cfg := workload.SAEConfig(modelName, c.Hook, T, dIn)
	cfg.Architecture, cfg.ExpansionFactor, cfg.TrainingTokens, cfg.Seed = c.Arch, c.Expansion, c.TrainingTokens, c.Seed
	cfg.TrainBatchSizeTokens, cfg.LR = r.opts.TrainBatchSizeTokens, r.opts.LR
	info, ok := sae.ArchitectureInfo(c.Arch)
	if !ok {
		return nil, fmt.Errorf("unknown SAE architecture %q", c.Arch)
	}
	cfg.UseGhostGrads = info.GhostGrads
	// A cell keeps no training log: logging only at the end skips the
	// ghost-grad loss on steps without dead features, whose gradient is
	// zero (the trained SAE is the same as with wandb_log_frequency 10).
	cfg.NCheckpoints, cfg.WandbLogFrequency, cfg.EvalEveryNWandbLogs = 0, 1<<30, 1<<40
	switch c.Param {
	case ParamL1:
		cfg.L1Coefficient = c.Value
	case ParamK:
		cfg.K = c.Value
	}
	res, err := cfg.Resolve()
	if err != nil {
		return nil, fmt.Errorf("SAE config: %w", err)
	}
	mem, err := activations.NewMemory(x, dIn, activations.MemoryOptions{Seed: c.Seed, Shuffle: true, Repeat: true, RowIDs: hd.ids})
	if err != nil {
		return nil, err
	}
	tr, err := sae.NewTrainer(res, ctxSource{ctx, mem}) // Ctrl-C stops training at the next batch
	if err != nil {
		return nil, fmt.Errorf("SAE trainer: %w", err)
	}
	if err := tr.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("train SAE: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	final := tr.FinalSAE()
	if r.opts.KeepDir != "" {
		var prog *Program
		if p, ok := r.program(c.Program); ok {
			prog = &p
		}
		if err := keepSAE(r.opts.KeepDir, c, final, keptSource(c, prog, r.Provenance(c))); err != nil {
			return nil, err
		}
	}
	return d.score(hd, final)
}

// score measures a trained SAE at hd's hook: the SAE runs on the distinct
// rows only, and the metrics are computed from them (sae.SAE.MetricsRows)
// with what the hook's cells share (labeller, downstream reference) — the
// same metrics as sae.SAE.Metrics, features.Label and features.Downstream
// on the whole dataset (TestScoreMatchesUncached).
func (d *caseData) score(hd *hookData, s *sae.SAE) (map[string]float64, error) {
	dIn, S := hd.set.DIn, s.DSAE
	ru, fu, err := s.Forward(hd.uniq)
	if err != nil {
		return nil, fmt.Errorf("SAE forward: %w", err)
	}
	if len(ru) != len(hd.uniq) || len(fu) != len(hd.uniq)/dIn*S {
		return nil, fmt.Errorf("SAE forward of %d rows returned %d reconstruction and %d feature values", len(hd.uniq)/dIn, len(ru), len(fu))
	}
	ev, err := s.MetricsRows(hd.set.Data, hd.rowOf, ru, fu)
	if err != nil {
		return nil, fmt.Errorf("SAE metrics: %w", err)
	}
	metrics := map[string]float64{
		MetricL0:           ev.L0,
		MetricDeadFraction: float64(ev.DeadFeatures) / float64(S),
		"input_variance":   hd.variance,
	}
	if !math.IsNaN(ev.ExplainedVariance) {
		// Undefined (NaN) for a hook whose activation never varies (an
		// empty layer of the compiled model): left out rather than reported.
		metrics[MetricExplainedVariance] = ev.ExplainedVariance
	}

	// Labelling (no decoder: duplicate groups are not a metric).
	lab, err := hd.labeler.LabelRows(fu, hd.rowOf, S, nil, features.LabelOptions{})
	if err != nil {
		return nil, fmt.Errorf("label features: %w", err)
	}
	if !math.IsNaN(lab.Coverage) {
		metrics[MetricCoverage] = lab.Coverage
	}
	for _, e := range lab.Expected {
		// 0 when no feature fires with e; clamped: rounding can give 1+1e-15.
		metrics[bestF1Prefix+e] = min(max(lab.BestFor[e].Score, 0), 1)
	}
	sum, n := 0.0, 0
	for _, fl := range lab.Features {
		if fl.Best != nil {
			sum += fl.Best.Score
			n++
		}
	}
	if n > 0 {
		metrics[MetricMeanF1] = sum / float64(n)
	}

	// Spliced output against the clean and zero-ablated ones.
	if hd.ref == nil {
		return metrics, nil
	}
	at, err := d.splicedAtEval(hd, ru)
	if err != nil {
		return nil, err
	}
	ds, err := hd.ref.Metrics(at)
	if err != nil {
		return nil, fmt.Errorf("downstream metrics: %w", err)
	}
	metrics[MetricSplicedAccuracy] = float64(ds.Spliced.Accuracy)
	metrics["clean_accuracy"] = float64(ds.Clean.Accuracy)
	metrics["zero_accuracy"] = float64(ds.Zero.Accuracy)
	if ds.Retained != nil {
		metrics[MetricAccuracyRetained] = float64(*ds.Retained)
	}
	if ds.ATol != 0 {
		metrics[MetricATol] = ds.ATol // numerical: the tolerance the accuracies used
	}
	for name, v := range map[string]*features.Num{"ce_loss_score": ds.CEScore, "kl_div_score": ds.KLScore, "mse_score": ds.MSEScore} {
		if v != nil && !math.IsNaN(float64(*v)) && !math.IsInf(float64(*v), 0) {
			metrics[name] = float64(*v)
		}
	}
	return metrics, nil
}

// splicedAtEval returns the model's output at the evaluated positions
// (hd.evalPos, [P·V]) with the SAE reconstruction spliced in at hd's
// hook; ru holds the reconstructions of the distinct rows. When the pass
// resumes at the last layer's hook_resid_post, what remains (unembedding)
// works position by position, so it runs on the evaluated positions only,
// as a batch of P one-position sequences; otherwise the whole dataset
// goes through spliceFrom. Both give the full spliced run's logits, bit
// for bit (TestScoreMatchesUncached).
func (d *caseData) splicedAtEval(hd *hookData, ru []float32) ([]float32, error) {
	B, T, dIn, V := len(d.tokens), len(d.tokens[0]), hd.set.DIn, hd.outWidth
	row := func(i int) []float32 {
		if hd.rowOf != nil {
			i = int(hd.rowOf[i])
		}
		return ru[i*dIn : (i+1)*dIn]
	}
	if d.positionwise(hd) {
		P := len(hd.evalPos)
		in := tensor.New(P, 1, dIn)
		for p, i := range hd.evalPos {
			dst := in.Data[p*dIn : (p+1)*dIn]
			if hd.base != nil {
				copy(dst, hd.base.Data[int(i)*dIn:int(i+1)*dIn])
				for j, v := range row(int(i)) {
					dst[j] += v
				}
			} else {
				copy(dst, row(int(i)))
			}
		}
		logits, _, err := d.model.RunFrom(hd.start, in, model.RunOptions{})
		if err != nil {
			return nil, err
		}
		if len(logits.Data) != P*V {
			return nil, fmt.Errorf("splice at %s: %d outputs, want %d", hd.set.HookName, len(logits.Data), P*V)
		}
		return logits.Data, nil
	}
	recon := expandRows(ru, hd.rowOf, dIn)
	if n := B * T * dIn; n != len(recon) {
		return nil, fmt.Errorf("splice at %s: reconstruction has %d values, the hook %d", hd.set.HookName, len(recon), n)
	}
	spliced, err := d.spliceFrom(hd, recon)
	if err != nil {
		return nil, err
	}
	if len(spliced.Data) != B*T*V {
		return nil, fmt.Errorf("splice at %s: %d outputs, want %d", hd.set.HookName, len(spliced.Data), B*T*V)
	}
	at := make([]float32, 0, len(hd.evalPos)*V)
	for _, i := range hd.evalPos {
		at = append(at, spliced.Data[int(i)*V:int(i+1)*V]...)
	}
	return at, nil
}

// positionwise reports whether the spliced pass at hd's hook resumes at
// the last layer's hook_resid_post, after which positions do not mix.
func (d *caseData) positionwise(hd *hookData) bool {
	return hd.start != "" && hd.start == fmt.Sprintf("blocks.%d.hook_resid_post", d.model.Config().NLayers-1)
}

// expandRows returns the rows of u ([k, d]) in the order rowOf gives (u
// itself when rowOf is nil).
func expandRows(u []float32, rowOf []int32, d int) []float32 {
	if rowOf == nil {
		return u
	}
	out := make([]float32, len(rowOf)*d)
	for i, k := range rowOf {
		copy(out[i*d:(i+1)*d], u[int(k)*d:int(k+1)*d])
	}
	return out
}

// totalVariance is Σ_d Var(x[:, d]) over the rows of x ([n, d]), each
// column summed in row order (in one pass over the rows).
func totalVariance(x []float32, d int) float64 {
	n := len(x) / d
	if n == 0 {
		return 0
	}
	sum, sq := make([]float64, d), make([]float64, d)
	for i := 0; i < n; i++ {
		for j, v := range x[i*d : (i+1)*d] {
			sum[j] += float64(v)
			sq[j] += float64(v) * float64(v)
		}
	}
	total := 0.0
	for j := 0; j < d; j++ {
		mean := sum[j] / float64(n)
		if v := sq[j]/float64(n) - mean*mean; v > 0 {
			total += v
		}
	}
	return total
}

// ctxSource stops training when ctx is cancelled: NextBatch then fails
// with ctx.Err(), which ends the trainer's run.
type ctxSource struct {
	ctx context.Context
	*activations.Memory
}

// NextBatch fills dst unless the context is done.
func (s ctxSource) NextBatch(dst []float32) error {
	if err := s.ctx.Err(); err != nil {
		return err
	}
	return s.Memory.NextBatch(dst)
}

// ctxSource serves batches as row indices too.
var _ sae.RowSource = ctxSource{}

// NextRows is Memory.NextRows, failing with ctx.Err() once ctx is cancelled.
func (s ctxSource) NextRows(dst []int32) error {
	if err := s.ctx.Err(); err != nil {
		return err
	}
	return s.Memory.NextRows(dst)
}
