package rundir

import (
	"encoding/json"
	"errors"
	"io/fs"

	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"

	"github.com/glassbox-interp/glassbox/features"
	"github.com/glassbox-interp/glassbox/model"
	"github.com/glassbox-interp/glassbox/sae"
	"github.com/glassbox-interp/glassbox/tensor"
	"github.com/glassbox-interp/glassbox/workload"
)

// CaseLoader returns the compiled case with the given circuits-benchmark id
// and its dataset. The CLI sets it from package cases.
type CaseLoader func(id int) (*workload.Case, error)

// Options control Load.
type Options struct {
	// Case is the case id; 0 reads it from the run: its source.json, else
	// config.json or the SAE's model_name/dataset_path ("case3",
	// "case_3"). A run trained on an activation file names no case.
	Case int
	// Cases loads a case by id (required unless CaseData is given).
	Cases CaseLoader
	// CaseData, if set, is used instead of loading a case.
	CaseData *workload.Case
	// ModelDir, if set, is a glassbox model directory (model.Load) used
	// instead of the compiled case model (e.g. an InterpBench model
	// converted with `glassbox convert`); the dataset and ground truth
	// still come from the case.
	ModelDir string
	// Summary and Label are passed to features.Analyze.
	Summary features.SummaryOptions
	Label   features.LabelOptions
	// NoEffects skips the per-feature output effects.
	NoEffects bool
	// ATol is the numerical accuracy tolerance of the downstream metrics
	// (0: features.DefaultATol, |Δ| < 0.05).
	ATol float64
}

// Result is an analysed SAE.
type Result struct {
	RunDir string // "" for a bare SAE directory
	SAEDir string
	Hook   string
	SAE    *sae.SAE
	Case   *workload.Case
	Model  *model.Model
	Tokens [][]int
	// X are the hook activations [rows, positions, d_in], XHat their
	// reconstructions and Acts the feature activations [rows, positions, d_sae].
	X, XHat, Acts *tensor.Tensor
	GT            *features.GroundTruth
	Analysis      *features.Analysis
	Recon         *features.ReconMetrics
	Downstream    *features.DownstreamMetrics
	Effects       [][]features.Effect
	// Curves are the run's training metrics (metrics.jsonl).
	Curves []workload.Curve
	// Config holds selected entries of the run's config.json.
	Config [][2]string

	w *workload.Workload
}

var caseRE = regexp.MustCompile(`(?i)case[_\- ]?(\d+)`)

// caseFromStrings finds a case id in strings like "case3" or "case_3".
func caseFromStrings(ss ...string) int {
	for _, s := range ss {
		if m := caseRE.FindStringSubmatch(s); m != nil {
			if n, err := strconv.Atoi(m[1]); err == nil {
				return n
			}
		}
	}
	return 0
}

// configKeys are the run-config entries shown on the run page.
var configKeys = []string{"model_name", "hook_name", "architecture", "d_in", "d_sae", "expansion_factor",
	"l1_coefficient", "lr", "lr_scheduler_name", "training_tokens", "train_batch_size_tokens",
	"use_ghost_grads", "normalize_activations", "b_dec_init_method", "seed", "k"}

// Load analyses the SAE at path (see workload.FindSAE) on its case's dataset.
func Load(path string, opts Options) (*Result, error) {
	saeDir, runDir, err := workload.FindSAE(path)
	if err != nil {
		return nil, err
	}
	s, err := sae.Load(saeDir)
	if err != nil {
		return nil, err
	}
	res := &Result{RunDir: runDir, SAEDir: saeDir, SAE: s, Hook: s.Meta.HookName}
	if res.Hook == "" {
		return nil, fmt.Errorf("open run %s: the SAE config %s has no hook_name", path, filepath.Join(saeDir, sae.CfgFile))
	}
	var runCfg map[string]any
	if runDir != "" {
		if b, err := os.ReadFile(filepath.Join(runDir, sae.RunConfigFile)); err == nil {
			if err := json.Unmarshal(b, &runCfg); err != nil {
				return nil, fmt.Errorf("open run %s: %s: %w", path, sae.RunConfigFile, err)
			}
		}
		for _, k := range configKeys {
			if v, ok := runCfg[k]; ok && v != nil {
				res.Config = append(res.Config, [2]string{k, fmt.Sprint(v)})
			}
		}
		mp := filepath.Join(runDir, sae.MetricsFile)
		if _, err := os.Stat(mp); err == nil {
			if res.Curves, err = workload.ReadMetrics(mp); err != nil {
				return nil, err
			}
		}
	}

	// source.json (written by `glassbox train`) names the case and model.
	var src workload.Source
	if runDir != "" {
		if src, err = workload.ReadSource(runDir); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("open run %s: %w", path, err)
		}
	}
	if opts.ModelDir == "" && src.ModelRef != nil {
		// The run recorded its model: use exactly that one (a missing
		// folder is an error, never a fall back to the compiled model).
		if opts.ModelDir, err = src.ModelRef.Resolve(runDir); err != nil {
			return nil, fmt.Errorf("open run %s: %w", path, err)
		}
	} else if opts.ModelDir == "" && src.Model != "" {
		opts.ModelDir = src.Model
		if !filepath.IsAbs(src.Model) {
			// relative to the directory train was run from; try the run dir's parent too
			if _, err := os.Stat(src.Model); err != nil {
				opts.ModelDir = filepath.Join(filepath.Dir(runDir), src.Model)
			}
		}
	}
	cd := opts.CaseData
	if cd == nil && opts.Case == 0 && src.Program != nil {
		// A run on a .star program: its dataset and traces come from the
		// program recorded in source.json.
		if cd, _, err = src.CaseData(); err != nil {
			return nil, fmt.Errorf("open run %s: %w", path, err)
		}
	}
	if cd == nil {
		id := opts.Case
		if id == 0 {
			id = src.Case
		}
		if id == 0 && src.Activations != "" {
			// The run knows what it was trained on: a file of activations,
			// which names no case (its model_name may still carry the
			// notebook default "case3"; it is not evidence).
			return nil, fmt.Errorf("open run %s: it was trained on the activations in %s, which name no case; pass --case N (and --model DIR if they came from a model folder) to analyse it against a case", path, src.Activations)
		}
		if id == 0 {
			var ss []string
			for _, k := range []string{"model_name", "dataset_path", "case"} {
				if v, ok := runCfg[k]; ok {
					ss = append(ss, fmt.Sprint(v))
				}
			}
			ss = append(ss, s.Meta.ModelName, s.Meta.DatasetPath)
			id = caseFromStrings(ss...)
		}
		if id == 0 {
			return nil, fmt.Errorf("open run %s: the run does not say which case it was trained on (no \"caseN\" in model_name or dataset_path); pass --case N", path)
		}
		if opts.Cases == nil {
			return nil, fmt.Errorf("open run %s: no case loader configured for case %d", path, id)
		}
		if cd, err = opts.Cases(id); err != nil {
			return nil, fmt.Errorf("open run %s: case %d: %w", path, id, err)
		}
	}
	w, err := workload.Open(cd, opts.ModelDir)
	if err != nil {
		return nil, err
	}
	if src.ModelRef != nil {
		if err := src.ModelRef.Check(w); err != nil {
			return nil, fmt.Errorf("open run %s: %w", path, err)
		}
	}
	w.ATol = opts.ATol
	res.w, res.Case, res.Model, res.Tokens = w, cd, w.Model, w.Tokens
	if err := res.analyse(opts); err != nil {
		return nil, fmt.Errorf("analyse %s: %w", saeDir, err)
	}
	return res, nil
}

// newView is the SAE's view of its hook's activation (workload.View), with
// the SAE's d_in checked against it.
func newView(shape []int, B, T int, s *sae.SAE, hook string) (workload.View, error) {
	v, err := workload.NewView(hook, shape, B, T, s.Meta.HookHeadIndex)
	if err != nil {
		return v, err
	}
	if v.DIn != s.DIn {
		return v, fmt.Errorf("SAE d_in %d does not match hook %s (width %d)", s.DIn, hook, v.DIn)
	}
	return v, nil
}

func (r *Result) analyse(opts Options) error {
	m, s, hook := r.Model, r.SAE, r.Hook
	known := false
	for _, h := range model.HookNames(m.Config()) {
		if h == hook {
			known = true
		}
	}
	if !known {
		return fmt.Errorf("the SAE's hook %q is not a hook of the model", hook)
	}
	logits, cache, err := m.RunWithCache(r.Tokens, hook)
	if err != nil {
		return err
	}
	act := cache[hook]
	view, err := newView(act.Shape, len(r.Tokens), len(r.Tokens[0]), s, hook)
	if err != nil {
		return err
	}
	B, T, din := view.B, view.T, s.DIn
	x := view.Extract(act.Data, nil)
	f, xh, err := workload.Reconstruct(s, x)
	if err != nil {
		return err
	}
	r.X = &tensor.Tensor{Shape: []int{B, T, din}, Data: x}
	r.XHat = &tensor.Tensor{Shape: []int{B, T, din}, Data: xh}
	r.Acts = &tensor.Tensor{Shape: []int{B, T, s.DSAE}, Data: f}
	if r.Recon, err = features.Reconstruction(r.X, r.XHat, r.Acts); err != nil {
		return err
	}
	if r.GT, err = r.w.GroundTruth(); err != nil {
		return err
	}
	dec := &tensor.Tensor{Shape: []int{s.DSAE, din}, Data: s.WDec}
	labelHook := hook // a head SAE is labelled with its head's variables only
	if h := s.Meta.HookHeadIndex; h != nil {
		labelHook = fmt.Sprintf("%s[%d]", hook, *h)
	}
	lopts := opts.Label
	if lopts.HookFraction > 0 && lopts.HookScale == 0 {
		lopts.HookScale = features.MaxRowNorm(x, din) // the hook's activation scale
	}
	if r.Analysis, err = features.Analyze(r.Acts, r.GT, labelHook, dec, opts.Summary, lopts); err != nil {
		return err
	}

	// Spliced and zero-ablated runs.
	if r.Downstream, err = r.w.Downstream(view, logits, xh); err != nil {
		return err
	}
	if !opts.NoEffects {
		if err := r.effects(view); err != nil {
			return fmt.Errorf("output effects: %w", err)
		}
	}
	return nil
}

// EffectNote describes how Effects are computed.
const EffectNote = "Mean change of each model output at the example position when the feature's contribution " +
	"(activation × decoder row) is added back at the hook, i.e. output(x) − output(x − f·W_dec[i]), over the feature's top examples. " +
	"Categorical outputs are logits; the largest changes are listed."

// effects removes each live feature's contribution at its top examples and
// records the mean output change at the example's position.
func (r *Result) effects(view workload.View) error {
	s, stats := r.SAE, r.Analysis.Stats
	type job struct{ f, row, pos int }
	var jobs []job
	for f, st := range stats {
		for _, e := range st.Top {
			if e.Value > 0 {
				jobs = append(jobs, job{f, e.Row, e.Position})
			}
		}
	}
	r.Effects = make([][]features.Effect, s.DSAE)
	if len(jobs) == 0 {
		return nil
	}
	T, din := view.T, s.DIn
	const chunk = 4096
	names := r.Case.OutputNames()
	sums := make([][]float64, s.DSAE)
	counts := make([]int, s.DSAE)
	for lo := 0; lo < len(jobs); lo += chunk {
		js := jobs[lo:min(lo+chunk, len(jobs))]
		toks := make([][]int, len(js))
		for i, j := range js {
			toks[i] = r.Tokens[j.row]
		}
		clean, err := r.Model.Forward(toks)
		if err != nil {
			return err
		}
		ablated, err := r.Model.RunWithHooks(toks, []model.Hook{{Name: r.Hook, Fn: func(a *tensor.Tensor) error {
			v := view.WithBatch(len(js))
			x := v.Extract(a.Data, nil)
			for i, j := range js {
				fv := r.Acts.Data[(j.row*T+j.pos)*s.DSAE+j.f]
				row := x[(i*T+j.pos)*din : (i*T+j.pos+1)*din]
				for d := range row {
					row[d] -= fv * s.WDec[j.f*din+d]
				}
			}
			v.Replace(a.Data, x)
			return nil
		}}})
		if err != nil {
			return err
		}
		V := clean.Shape[2]
		for i, j := range js {
			if sums[j.f] == nil {
				sums[j.f] = make([]float64, V)
			}
			for k := 0; k < V; k++ {
				o := (i*T+j.pos)*V + k
				sums[j.f][k] += float64(clean.Data[o]) - float64(ablated.Data[o])
			}
			counts[j.f]++
		}
	}
	for f := range sums {
		if counts[f] == 0 {
			continue
		}
		var eff []features.Effect
		for k, v := range sums[f] {
			name := fmt.Sprintf("output %d", k)
			if k < len(names) {
				name = names[k]
			}
			eff = append(eff, features.Effect{Output: name, Delta: v / float64(counts[f])})
		}
		sort.SliceStable(eff, func(a, b int) bool { return math.Abs(eff[a].Delta) > math.Abs(eff[b].Delta) })
		if len(eff) > 10 {
			eff = eff[:10]
		}
		r.Effects[f] = eff
	}
	return nil
}
