package sae

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/glassbox-interp/glassbox/formats/atomicfile"
	"github.com/glassbox-interp/glassbox/formats/safetensors"
	"github.com/glassbox-interp/glassbox/tensor"
)

// Run-directory file names.
const (
	RunConfigFile  = "config.json"
	MetricsFile    = "metrics.jsonl"
	CheckpointsDir = "checkpoints"
	FinalDir       = "final"
	stateJSON      = "trainer_state.json"
	stateTensors   = "trainer_state.safetensors"
)

// ErrInterrupted is returned by Run when its Context ends the run; the
// checkpoint of the step it stopped at is written, and Resume continues it.
var ErrInterrupted = errors.New("training interrupted")

// Run trains until every step is done, logging metrics, writing
// checkpoints and the final SAE to RunDir (when set) and reporting
// progress to OnProgress. On error (bad input, divergence) it stops; the previous
// checkpoint stays intact and metrics up to that point are written. When
// Context ends, it writes a checkpoint at the current step and returns
// ErrInterrupted.
func (t *Trainer) Run() error {
	r := t.Cfg
	if t.RunDir != "" {
		if err := os.MkdirAll(filepath.Join(t.RunDir, CheckpointsDir), 0o755); err != nil {
			return fmt.Errorf("run dir: %w", err)
		}
		removeTemps(t.RunDir)
		if err := WriteRunConfig(t.RunDir, r.Config); err != nil {
			return err
		}
		// metrics.jsonl holds exactly the records so far (a killed run may
		// have appended lines past its checkpoint), then grows a line per
		// record.
		if err := t.writeMetrics(); err != nil {
			return err
		}
		f, err := os.OpenFile(filepath.Join(t.RunDir, MetricsFile), os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("run dir: %w", err)
		}
		t.mlog, t.mlogErr = f, nil
		defer func() { f.Close(); t.mlog = nil }()
	}
	t.started = time.Now()
	t.startTokens = t.Tokens
	logEvery := int64(r.WandbLogFrequency)
	evalEvery := logEvery * r.EvalEveryNWandbLogs
	if r.EvalEveryNWandbLogs > 0 && evalEvery/r.EvalEveryNWandbLogs != logEvery {
		evalEvery = math.MaxInt64 // overflow: never
	}
	for !t.Done() {
		step := t.StepN
		if t.Context != nil && step&31 == 0 && t.Context.Err() != nil {
			return t.interrupt()
		}
		L, err := t.Step()
		if err != nil {
			t.reportStopped()
			if t.RunDir != "" {
				if ck, _ := LatestCheckpoint(t.RunDir); ck != "" {
					return fmt.Errorf("%w (run dir %s keeps its last good checkpoint, %s)", err, t.RunDir, filepath.Base(ck))
				}
				return fmt.Errorf("%w (run dir %s has no checkpoint yet: start the run again with a smaller lr)", err, t.RunDir)
			}
			return err
		}
		if t.mlogErr != nil {
			return t.mlogErr
		}
		if (step+1)%logEvery == 0 {
			t.logTrainStep(step, L)
		}
		if len(t.Eval) > 0 && evalEvery > 0 && (step+1)%evalEvery == 0 {
			if err := t.logEval(step); err != nil {
				return err
			}
		}
		if len(t.thresholds) > 0 && t.Tokens > t.thresholds[0] {
			t.thresholds = t.thresholds[1:]
			if t.RunDir != "" {
				if err := t.SaveCheckpoint(strconv.FormatInt(t.Tokens, 10)); err != nil {
					return err
				}
			}
		}
		if t.StepN&127 == 0 && !t.Done() {
			t.reportProgress(false)
		}
	}
	t.reportProgress(true)
	// The step buffers ([B, d_sae] each, 100 MB at d_sae 6144 and batch
	// 4096) are not needed after the last step; the final eval, the final
	// checkpoint and what the caller does next (the final metrics over the
	// whole dataset) can reuse their memory. A later Step allocates them
	// again. One collection now makes the freed memory reusable at once
	// (the collector's goal is still set by the step buffers: without it
	// the next allocations take fresh pages).
	t.ws.release()
	if t.ws.b*t.ws.s >= releaseGCValues {
		runtime.GC()
	}
	if len(t.Eval) > 0 {
		if err := t.logEval(t.StepN - 1); err != nil {
			return err
		}
	}
	if t.RunDir != "" {
		if err := t.SaveCheckpoint(FinalDir); err != nil {
			return err
		}
	}
	return nil
}

// releaseGCValues is the [B, d_sae] size from which Run collects after
// releasing the step buffers, and the W_enc size from which SaveCheckpoint
// collects after writing (16 MB: not the notebook sizes).
const releaseGCValues = 1 << 22

func (t *Trainer) logEval(step int64) error {
	m, err := t.evaluate()
	if err != nil {
		return err
	}
	t.record(step, []string{"eval/explained_variance", "eval/mse", "eval/l0", "eval/dead_features"},
		[]float64{m.ExplainedVariance, m.MSEPerElement, m.L0, float64(m.DeadFeatures)})
	return nil
}

// LastEval evaluates the current SAE on the eval rows.
func (t *Trainer) LastEval() (EvalMetrics, error) { return t.evaluate() }

// WriteRunConfig writes the run's config.json (SAELens keys) atomically.
// Keys that SAELens 6.x keeps in the nested "sae" object are written there.
func WriteRunConfig(dir string, c Config) error {
	flat, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(flat, &m); err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	sub := map[string]json.RawMessage{}
	for k, v := range m {
		if _, top := configKeys[k]; !top && saeSubKeys[k] {
			sub[k] = v
			delete(m, k)
		}
	}
	if len(sub) > 0 {
		sb, _ := json.Marshal(sub)
		m["sae"] = sb
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	return atomicfile.WriteFile(filepath.Join(dir, RunConfigFile), append(b, '\n'), 0o644)
}

// interrupt writes a checkpoint at the current step (when the run has a
// directory) and returns ErrInterrupted, saying how to continue.
func (t *Trainer) interrupt() error {
	t.reportStopped()
	if t.RunDir == "" {
		return ErrInterrupted
	}
	name := strconv.FormatInt(t.Tokens, 10)
	if err := t.SaveCheckpoint(name); err != nil {
		return errors.Join(ErrInterrupted, err)
	}
	return fmt.Errorf("%w after %d steps: checkpoint %s written", ErrInterrupted, t.StepN,
		filepath.Join(t.RunDir, CheckpointsDir, name))
}

// removeTemps deletes what a killed run left in runDir: SaveCheckpoint's
// ".tmp-<name>" directories (beside checkpoints and final/) and the
// temporary files of atomic writes (atomicfile.RemoveTemps).
func removeTemps(runDir string) {
	for _, dir := range []string{runDir, filepath.Join(runDir, CheckpointsDir)} {
		atomicfile.RemoveTemps(dir)
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if e.IsDir() && strings.HasPrefix(e.Name(), ".tmp-") {
				os.RemoveAll(filepath.Join(dir, e.Name()))
			}
		}
	}
}

func (t *Trainer) writeMetrics() error {
	if t.RunDir == "" {
		return nil
	}
	return atomicfile.WriteFile(filepath.Join(t.RunDir, MetricsFile), metricsJSON(t.metrics), 0o644)
}

// Metrics returns the records logged so far.
func (t *Trainer) Metrics() []Record { return t.metrics }

// trainerState is the JSON part of glassbox's trainer state.
type trainerState struct {
	Version     int     `json:"version"`
	Arch        string  `json:"architecture"`
	DIn         int     `json:"d_in"`
	DSAE        int     `json:"d_sae"`
	Step        int64   `json:"step"`
	Tokens      int64   `json:"n_training_tokens"`
	AdamStep    int64   `json:"adam_step"`
	NFracActive int64   `json:"n_frac_active_tokens"`
	NormScale   float64 `json:"norm_scaling_factor"`
	TopKThresh  float64 `json:"topk_threshold"`
	RNG         []byte  `json:"rng"`
	Source      []byte  `json:"source"`
	Thresholds  []int64 `json:"checkpoint_thresholds"`
	MetricsN    int     `json:"metrics_records"`
}

// SaveCheckpoint writes checkpoints/<name>/ (or final/ for FinalDir) with the
// SAELens files plus glassbox's trainer state (and, outside Run, rewrites
// metrics.jsonl; Run appends it line by line).
// The directory is assembled under a temporary name and renamed into place,
// so an interrupted write never replaces a complete checkpoint.
func (t *Trainer) SaveCheckpoint(name string) error {
	if len(t.SAE.WEncT) >= releaseGCValues {
		// Collect what the steps left first, so that the checkpoint's
		// garbage lands on a collected heap rather than on top of it.
		runtime.GC()
	}
	err := t.saveCheckpoint(name)
	if len(t.SAE.WEncT) >= releaseGCValues {
		// A checkpoint of a large SAE leaves several copies of the weights
		// and the Adam state as garbage (≈ 280 MB at d_in 768, d_sae 6144);
		// with the step buffers live, the collector's goal lets it pile up
		// over a few checkpoints into fresh pages. Collect it now.
		runtime.GC()
	}
	return err
}

func (t *Trainer) saveCheckpoint(name string) error {
	dst := filepath.Join(t.RunDir, CheckpointsDir, name)
	if name == FinalDir {
		dst = filepath.Join(t.RunDir, FinalDir)
	}
	tmp := filepath.Join(filepath.Dir(dst), ".tmp-"+filepath.Base(dst))
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	var out *SAE
	if name == FinalDir {
		out = t.FinalSAE()
	} else {
		// A shallow copy: Save only reads the parameters; the decoder is
		// copied when it is normalised (no copy of the whole SAE).
		c := *t.SAE
		out = &c
		if t.Cfg.NormalizeSAEDecoder {
			out.WDec = append([]float32(nil), t.SAE.WDec...)
			out.SetDecoderNormToUnit()
		}
		if t.Cfg.NormalizeActivations == "expected_average_only_in" {
			out.NormalizeActivations = "expected_average_only_in"
		}
	}
	if err := Save(tmp, out, t.LogFeatureSparsity()); err != nil {
		return fmt.Errorf("checkpoint %s: %w", name, err)
	}
	if err := t.saveState(tmp); err != nil {
		return fmt.Errorf("checkpoint %s: %w", name, err)
	}
	if t.mlog == nil { // outside Run: metrics.jsonl is not being appended to
		if err := t.writeMetrics(); err != nil {
			return err
		}
	}
	if err := os.RemoveAll(dst); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

func (t *Trainer) saveState(dir string) error {
	rngState, err := t.rng.MarshalBinary()
	if err != nil {
		return err
	}
	srcState, err := t.src.MarshalState()
	if err != nil {
		return fmt.Errorf("source state: %w", err)
	}
	st := trainerState{Version: 1, Arch: t.SAE.Arch, DIn: t.SAE.DIn, DSAE: t.SAE.DSAE, Step: t.StepN, Tokens: t.Tokens,
		AdamStep: t.opt.step, NFracActive: t.nFracActive, NormScale: t.NormScale, TopKThresh: t.SAE.TopKThreshold,
		RNG: rngState, Source: srcState, Thresholds: t.thresholds, MetricsN: len(t.metrics)}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	// The tensors share the trainer's slices (safetensors.Save only reads
	// them): copies would be ≈ 113 MB of garbage per checkpoint at d_in
	// 768, d_sae 6144.
	ts := map[string]*tensor.Tensor{}
	names := t.SAE.paramNames()
	for k, p := range t.SAE.params() {
		n := names[k]
		if n == "W_enc" {
			n = "W_enc_T"
		}
		ts["param."+n] = &tensor.Tensor{Shape: []int{len(p)}, Data: p}
		ts["adam_m."+n] = &tensor.Tensor{Shape: []int{len(p)}, Data: t.opt.m[k][:len(p)]}
		ts["adam_v."+n] = &tensor.Tensor{Shape: []int{len(p)}, Data: t.opt.v[k][:len(p)]}
	}
	ts["act_freq_scores"] = &tensor.Tensor{Shape: []int{len(t.actFreq)}, Data: t.actFreq}
	ts["n_forward_passes_since_fired"] = &tensor.Tensor{Shape: []int{len(t.passesSince)}, Data: t.passesSince}
	if err := safetensors.Save(filepath.Join(dir, stateTensors), ts, map[string]string{"format": "glassbox trainer state v1"}); err != nil {
		return err
	}
	// The JSON part is written last: its presence marks a complete state.
	return atomicfile.WriteFile(filepath.Join(dir, stateJSON), append(b, '\n'), 0o644)
}

// ReadRunConfig reads a run directory's config.json.
func ReadRunConfig(runDir string) (Config, error) {
	c, _, err := LoadConfig(filepath.Join(runDir, RunConfigFile))
	return c, err
}

// LatestCheckpoint returns the newest complete checkpoint directory of a run
// (by token count), or "" when there is none.
func LatestCheckpoint(runDir string) (string, error) {
	entries, err := os.ReadDir(filepath.Join(runDir, CheckpointsDir))
	if err != nil {
		if os.IsNotExist(err) {
			return "", nil
		}
		return "", fmt.Errorf("resume: %w", err)
	}
	best := int64(-1)
	bestDir := ""
	for _, e := range entries {
		n, err := strconv.ParseInt(e.Name(), 10, 64)
		if err != nil || !e.IsDir() {
			continue
		}
		dir := filepath.Join(runDir, CheckpointsDir, e.Name())
		if _, err := os.Stat(filepath.Join(dir, stateJSON)); err != nil {
			continue
		}
		if n > best {
			best, bestDir = n, dir
		}
	}
	return bestDir, nil
}

// Resume rebuilds the trainer of runDir from its last checkpoint; src must
// be the same data source the run was started with (its position is
// restored). Training then continues exactly as the uninterrupted run would.
// A run stopped before its first checkpoint starts again from its config.
func Resume(runDir string, src Source) (*Trainer, error) {
	if _, err := os.Stat(filepath.Join(runDir, FinalDir, stateJSON)); err == nil {
		return nil, fmt.Errorf("resume %s: the run is already finished (final/ exists)", runDir)
	}
	cfg, err := ReadRunConfig(runDir)
	if err != nil {
		return nil, fmt.Errorf("resume %s: %w", runDir, err)
	}
	r, err := cfg.Resolve()
	if err != nil {
		return nil, fmt.Errorf("resume %s: %w", runDir, err)
	}
	ck, err := LatestCheckpoint(runDir)
	if err != nil {
		return nil, err
	}
	if ck == "" {
		// Stopped before its first checkpoint: start again from the config
		// (Run rewrites metrics.jsonl from nothing).
		t, err := NewTrainer(r, src)
		if err != nil {
			return nil, fmt.Errorf("resume %s: %w", runDir, err)
		}
		t.RunDir = runDir
		return t, nil
	}
	t, err := RestoreCheckpoint(r, ck, src)
	if err != nil {
		return nil, err
	}
	t.RunDir = runDir
	// Keep the metrics logged up to the checkpoint.
	recs, err := ReadMetrics(filepath.Join(runDir, MetricsFile))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	n := t.restoredMetricsN
	if n > len(recs) {
		return nil, fmt.Errorf("resume %s: %s has %d records, the checkpoint expects %d", runDir, MetricsFile, len(recs), n)
	}
	t.metrics = recs[:n]
	return t, nil
}

// RestoreCheckpoint rebuilds a trainer from a checkpoint directory written by
// SaveCheckpoint, for the resolved config r.
func RestoreCheckpoint(r *Resolved, dir string, src Source) (*Trainer, error) {
	b, err := os.ReadFile(filepath.Join(dir, stateJSON))
	if err != nil {
		return nil, fmt.Errorf("resume: %w", err)
	}
	var st trainerState
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("resume %s: %w", filepath.Join(dir, stateJSON), err)
	}
	if st.Arch != r.Arch || st.DIn != r.DIn || st.DSAE != r.DSAE {
		return nil, fmt.Errorf("resume %s: checkpoint is a %s SAE (d_in %d, d_sae %d) but the config asks for %s (d_in %d, d_sae %d)",
			dir, st.Arch, st.DIn, st.DSAE, r.Arch, r.DIn, r.DSAE)
	}
	s, err := Load(dir)
	if err != nil {
		return nil, fmt.Errorf("resume: %w", err)
	}
	a, _ := archByName(r.Arch)
	if s.Arch != savedName(a) {
		return nil, fmt.Errorf("resume %s: cfg.json is a %s SAE, the config asks for %s", dir, s.Arch, r.Arch)
	}
	if s.Arch != r.Arch {
		// saved as another architecture (batchtopk as jumprelu): every
		// trained parameter is restored from the trainer state below.
		s.Arch = r.Arch
		s.alloc()
		s.K, s.KBatch = r.K, r.KBatch
	}
	s.ActivationFn = r.ActivationFn
	if s.ActivationFn == "" || s.ActivationFn == "topk" {
		s.ActivationFn = "relu"
	}
	s.NormalizeActivations = r.NormalizeActivations
	if s.NormalizeActivations == "expected_average_only_in" {
		s.NormalizeActivations = "none"
	}
	s.TopKThreshold = st.TopKThresh
	t := newTrainer(r, s, src)
	f, err := safetensors.ReadFile(filepath.Join(dir, stateTensors))
	if err != nil {
		return nil, fmt.Errorf("resume: %w", err)
	}
	get := func(name string, dst []float32) error {
		tt, err := f.Tensor(name)
		if err != nil {
			return fmt.Errorf("resume: %w", err)
		}
		if len(tt.Data) != len(dst) {
			return fmt.Errorf("resume %s: %q has %d values, expected %d", dir, name, len(tt.Data), len(dst))
		}
		copy(dst, tt.Data)
		return nil
	}
	names := s.paramNames()
	for k, p := range s.params() {
		n := names[k]
		if n == "W_enc" {
			n = "W_enc_T"
		}
		if err := get("param."+n, p); err != nil {
			return nil, err
		}
		if err := get("adam_m."+n, t.opt.m[k]); err != nil {
			return nil, err
		}
		if err := get("adam_v."+n, t.opt.v[k]); err != nil {
			return nil, err
		}
	}
	if err := get("act_freq_scores", t.actFreq); err != nil {
		return nil, err
	}
	if err := get("n_forward_passes_since_fired", t.passesSince); err != nil {
		return nil, err
	}
	t.StepN, t.Tokens, t.opt.step, t.nFracActive, t.NormScale = st.Step, st.Tokens, st.AdamStep, st.NFracActive, st.NormScale
	t.thresholds = st.Thresholds
	if err := t.rng.UnmarshalBinary(st.RNG); err != nil {
		return nil, fmt.Errorf("resume %s: rng state: %w", dir, err)
	}
	t.norm = rand.New(t.rng)
	t.opts.normFn = t.norm.NormFloat64
	if err := src.UnmarshalState(st.Source); err != nil {
		return nil, fmt.Errorf("resume %s: source state: %w", dir, err)
	}
	t.restoredMetricsN = st.MetricsN
	return t, nil
}

// reportProgress passes the trainer's progress to OnProgress (when set);
// final marks the report at the end of a complete run.
func (t *Trainer) reportProgress(final bool) {
	if t.OnProgress == nil {
		return
	}
	t.OnProgress(Progress{Step: t.StepN, Tokens: t.Tokens, TotalTokens: t.Cfg.TotalTokens,
		RunTokens: t.Tokens - t.startTokens, Elapsed: time.Since(t.started),
		MSE: t.lastLosses.MSE, L1: t.lastLosses.L1, Final: final})
}

// reportStopped tells OnProgress that the run stopped on an error.
func (t *Trainer) reportStopped() {
	if t.OnProgress != nil {
		t.OnProgress(Progress{Step: t.StepN, Tokens: t.Tokens, TotalTokens: t.Cfg.TotalTokens,
			RunTokens: t.Tokens - t.startTokens, Elapsed: time.Since(t.started),
			MSE: t.lastLosses.MSE, L1: t.lastLosses.L1, Stopped: true})
	}
}
