package siit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/glassbox-interp/glassbox/formats/atomicfile"
	"github.com/glassbox-interp/glassbox/formats/safetensors"
	"github.com/glassbox-interp/glassbox/tensor"
)

// Files of a training folder besides the model files.
const (
	CheckpointFile = "checkpoint.safetensors"
	MetricsFile    = "metrics.jsonl"
	RunFile        = "siit_run.json"
)

// runSettings is what a resumed run must share with the original.
type runSettings struct {
	Case     string          `json:"case"`
	Recipe   Recipe          `json:"recipe"`
	LL       json.RawMessage `json:"ll_config"`
	InitStd  float64         `json:"init_std"`
	Seed     int64           `json:"seed"`
	InitSeed int64           `json:"init_seed"`
	Corr     json.RawMessage `json:"correspondence"`
	DataRule string          `json:"data"`
}

func (t *trainer) settings() ([]byte, error) {
	ll, err := json.Marshal(t.job.LL)
	if err != nil {
		return nil, err
	}
	corr, err := json.Marshal(t.job.Corr.Entries)
	if err != nil {
		return nil, err
	}
	r := t.job.Recipe
	r.Epochs = 0 // a resumed run may train for longer
	s := runSettings{Case: t.job.Case.Name(), Recipe: r, LL: ll, InitStd: t.job.InitStd,
		Seed: t.opt.Seed, InitSeed: t.opt.InitSeed, Corr: corr, DataRule: t.job.Data.Rule}
	return json.MarshalIndent(s, "", " ")
}

// prepareOut creates the folder or, resuming, checks its settings and loads
// the checkpoint.
func (t *trainer) prepareOut() error {
	dir := t.opt.Out
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	atomicfile.RemoveTemps(dir) // left by a kill during a write
	want, err := t.settings()
	if err != nil {
		return err
	}
	runPath := filepath.Join(dir, RunFile)
	have, err := os.ReadFile(runPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	case !t.opt.Resume:
		return fmt.Errorf("siit: %s already holds a run: use --resume to continue it, or another --out", dir)
	case !bytes.Equal(bytes.TrimSpace(have), bytes.TrimSpace(want)):
		return fmt.Errorf("siit: %s holds a run with other settings (%s differs from this run's): use another --out", dir, runPath)
	default:
		if err := t.loadCheckpoint(); err != nil {
			return err
		}
	}
	return atomicfile.WriteFile(runPath, append(want, '\n'), 0o644)
}

type checkpointMeta struct {
	Epoch     int            `json:"epoch"`
	Step      int            `json:"step"`
	AdamStep  int            `json:"adam_step"`
	AdamSteps map[string]int `json:"adam_steps"` // per parameter (a parameter without a gradient does not step)
	BestEpoch int            `json:"best_epoch"`
	BestScore float64        `json:"best_score"`
	BestVal   Metrics        `json:"best_val"`
	Stopped   string         `json:"stopped,omitempty"`
	Seconds   float64        `json:"seconds,omitempty"` // wall time so far, every invocation
}

func (t *trainer) saveCheckpoint() error {
	ts := map[string]*tensor.Tensor{}
	for name, p := range t.net.Params() {
		ts["param/"+name] = p
	}
	step, m, v := t.adam.State()
	for name, x := range m {
		ts["adam_m/"+name] = x
	}
	for name, x := range v {
		ts["adam_v/"+name] = x
	}
	for name, x := range t.best {
		ts["best/"+name] = x
	}
	meta, err := json.Marshal(checkpointMeta{Epoch: t.epoch, Step: t.step, AdamStep: step, AdamSteps: t.adam.Steps(), BestEpoch: t.bestEpoch,
		BestScore: t.bestScore, BestVal: t.bestVal, Stopped: t.stopped, Seconds: t.seconds()})
	if err != nil {
		return err
	}
	return safetensors.Save(filepath.Join(t.opt.Out, CheckpointFile), ts, map[string]string{"siit": string(meta)})
}

func (t *trainer) loadCheckpoint() error {
	path := filepath.Join(t.opt.Out, CheckpointFile)
	ts, md, err := safetensors.Load(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // settings written, no epoch finished: start afresh
	}
	if err != nil {
		return fmt.Errorf("siit: resume: %w", err)
	}
	var meta checkpointMeta
	if err := json.Unmarshal([]byte(md["siit"]), &meta); err != nil {
		return fmt.Errorf("siit: resume %s: metadata: %w", path, err)
	}
	params, m, v, best := map[string]*tensor.Tensor{}, map[string]*tensor.Tensor{}, map[string]*tensor.Tensor{}, map[string]*tensor.Tensor{}
	for name, x := range ts {
		switch {
		case len(name) > 6 && name[:6] == "param/":
			params[name[6:]] = x
		case len(name) > 7 && name[:7] == "adam_m/":
			m[name[7:]] = x
		case len(name) > 7 && name[:7] == "adam_v/":
			v[name[7:]] = x
		case len(name) > 5 && name[:5] == "best/":
			best[name[5:]] = x
		default:
			return fmt.Errorf("siit: resume %s: unexpected tensor %q", path, name)
		}
	}
	net, err := gradFromParams(t.job, params)
	if err != nil {
		return fmt.Errorf("siit: resume %s: %w", path, err)
	}
	t.net = net
	t.adam = newAdam(t.job, net)
	if err := t.adam.SetState(meta.AdamStep, m, v); err != nil {
		return fmt.Errorf("siit: resume %s: %w", path, err)
	}
	if err := t.adam.SetSteps(meta.AdamSteps); err != nil {
		return fmt.Errorf("siit: resume %s: %w", path, err)
	}
	t.g = net.NewGrads()
	t.epoch, t.step = meta.Epoch, meta.Step
	t.bestEpoch, t.bestScore, t.bestVal, t.stopped = meta.BestEpoch, meta.BestScore, meta.BestVal, meta.Stopped
	t.secondsBefore = meta.Seconds
	if len(best) > 0 {
		t.best = best
	}
	return nil
}

// metricsLog appends one JSON line per epoch to metrics.jsonl, flushed at
// once so the run can be followed live.
type metricsLog struct{ f *os.File }

// openMetrics opens metrics.jsonl for appending, first dropping lines of
// epochs after the checkpoint's (a run killed between the two writes) and
// any torn last line.
func openMetrics(dir string, epoch int) (*metricsLog, error) {
	path := filepath.Join(dir, MetricsFile)
	var keep []byte
	if b, err := os.ReadFile(path); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		for sc.Scan() {
			var rec struct {
				Epoch int `json:"epoch"`
			}
			if json.Unmarshal(sc.Bytes(), &rec) != nil || rec.Epoch > epoch {
				break
			}
			keep = append(append(keep, sc.Bytes()...), '\n')
		}
	}
	if err := atomicfile.WriteFile(path, keep, 0o644); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	return &metricsLog{f: f}, nil
}

// Append writes one epoch's line.
func (l *metricsLog) Append(st EpochStats) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if _, err := l.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("siit: write %s: %w", l.f.Name(), err)
	}
	return nil
}

// Close closes the file.
func (l *metricsLog) Close() error { return l.f.Close() }

// ReadMetrics reads a folder's metrics.jsonl.
func ReadMetrics(dir string) ([]EpochStats, error) {
	return readJSONLines[EpochStats](filepath.Join(dir, MetricsFile))
}

// readJSONLines reads a JSON-lines file of T (blank lines skipped; an
// error names the line).
func readJSONLines[T any](path string) ([]T, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []T
	for i, line := range bytes.Split(b, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var v T
		if err := json.Unmarshal(line, &v); err != nil {
			return nil, fmt.Errorf("read %s: line %d: %w", path, i+1, err)
		}
		out = append(out, v)
	}
	return out, nil
}
