package pipeline

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/glassbox-interp/glassbox/activations"
	"github.com/glassbox-interp/glassbox/features"
	"github.com/glassbox-interp/glassbox/sae"
	"github.com/glassbox-interp/glassbox/sae/trainlog"
	"github.com/glassbox-interp/glassbox/workload"
)

// Run is a training run in a directory: its data source, the activations
// and the trainer (fresh or resumed).
type Run struct {
	Dir     string
	Source  workload.Source
	Set     *activations.Set
	Trainer *sae.Trainer
	// Resumed is true when the trainer continues from a checkpoint.
	Resumed bool
}

// StartOptions adjust Start.
type StartOptions struct {
	// ConfigFile names the SAELens config the cfg came from; when set, a
	// d_in in it that disagrees with the activations is an error (instead
	// of being replaced by the activations' width).
	ConfigFile string
}

// ErrRunExists is wrapped by Start's error when the directory already holds a run.
var ErrRunExists = errors.New("directory already holds a run")

// ExistsError is Start's error when its directory already holds a run; it
// matches ErrRunExists (errors.Is) and names the directory to resume.
type ExistsError struct{ Dir string }

func (e *ExistsError) Error() string {
	return fmt.Sprintf("run directory %s: %v (resume it or choose another directory)", e.Dir, ErrRunExists)
}

// Is makes errors.Is(err, ErrRunExists) true.
func (e *ExistsError) Is(target error) bool { return target == ErrRunExists }

// DefaultDir is the run directory Start uses when none is given:
// runs/<source>-<hook>[-head<h>]-<SAELens run name>, e.g.
// runs/case3-blocks.0.hook_mlp_out-52-L1-0.1-LR-0.0003-Tokens-1.500e+06,
// so runs on other cases, hooks or activation files do not collide.
func DefaultDir(src workload.Source, hook, runName string) string {
	name := src.Label() + "-" + hook
	if src.Head != nil {
		name += fmt.Sprintf("-head%d", *src.Head)
	}
	return filepath.Join("runs", name+"-"+runName)
}

// Start prepares a new run in dir: it computes the activations, completes
// cfg from them (d_in, hook name and layer, head index, context size,
// model name), records the source, and builds the trainer. dir must not
// already hold a run.
func Start(dir string, src workload.Source, cfg sae.Config, opt StartOptions) (*Run, error) {
	set, modelName, ref, err := src.LoadRef()
	if err != nil {
		return nil, err
	}
	if ref != nil {
		src.ModelRef = ref
	}
	if opt.ConfigFile != "" && cfg.DIn != set.DIn && cfg.DIn != sae.DefaultConfig().DIn {
		return nil, fmt.Errorf("config %s: d_in is %d but the activations have %d values per vector", opt.ConfigFile, cfg.DIn, set.DIn)
	}
	cfg.DIn = set.DIn
	if set.HookName != "" {
		cfg.HookName = set.HookName
	}
	cfg.HookHeadIndex = src.Head
	workload.SetHook(&cfg, cfg.HookName)
	if set.ContextSize > 0 {
		cfg.ContextSize = set.ContextSize
	}
	if modelName != "" {
		cfg.ModelName = modelName
	} else if src.Activations != "" && opt.ConfigFile == "" {
		// An activation file names no model: do not keep the notebook
		// default ("case3"), which would later label the run against case 3.
		cfg.ModelName = ""
	}
	r, err := cfg.Resolve()
	if err != nil {
		return nil, err
	}
	if dir == "" {
		dir = DefaultDir(src, cfg.HookName, r.RunName())
	}
	if _, err := os.Stat(filepath.Join(dir, sae.RunConfigFile)); err == nil {
		return nil, &ExistsError{Dir: dir}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	src = src.Absolute()
	src.Hook = cfg.HookName
	if err := workload.WriteSource(dir, src); err != nil {
		return nil, err
	}
	store, err := repeatStore(set, cfg.Seed)
	if err != nil {
		return nil, err
	}
	tr, err := sae.NewTrainer(r, store)
	if err != nil {
		return nil, err
	}
	tr.RunDir = dir
	tr.Eval = set.Data
	return &Run{Dir: dir, Source: src, Set: set, Trainer: tr}, nil
}

// Resume reopens the run in dir at its last checkpoint; training it gives
// the same result as an uninterrupted run.
func Resume(dir string) (*Run, error) {
	src, err := workload.ReadSource(dir)
	if err != nil {
		return nil, fmt.Errorf("resume %s: %w", dir, err)
	}
	cfg, err := sae.ReadRunConfig(dir)
	if err != nil {
		return nil, err
	}
	set, _, err := src.Load()
	if err != nil {
		return nil, err
	}
	store, err := repeatStore(set, cfg.Seed)
	if err != nil {
		return nil, err
	}
	tr, err := sae.Resume(dir, store)
	if err != nil {
		return nil, err
	}
	tr.RunDir = dir
	tr.Eval = set.Data
	return &Run{Dir: dir, Source: src, Set: set, Trainer: tr, Resumed: true}, nil
}

// repeatStore serves set the notebook's way: cycled, reshuffled every epoch
// from seed.
func repeatStore(set *activations.Set, seed int64) (*activations.Memory, error) {
	return activations.NewMemory(set.Data, set.DIn, activations.MemoryOptions{Seed: seed, Shuffle: true, Repeat: true})
}

// Finished reports whether dir holds a run whose final SAE was written.
func Finished(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, sae.FinalDir, sae.WeightsFile))
	return err == nil
}

// Train runs the trainer to the end, drawing the progress line on progress
// (nil: none), and returns the final SAE's reconstruction metrics on the
// run's activations (workload.ReconMetrics, the same as sae-eval's).
func (r *Run) Train(progress io.Writer) (*features.ReconMetrics, error) {
	r.Trainer.OnProgress = nil
	if progress != nil {
		r.Trainer.OnProgress = trainlog.Bar(progress)
	}
	if err := r.Trainer.Run(); err != nil {
		return nil, err
	}
	return workload.ReconMetrics(r.Trainer.FinalSAE(), r.Set.Data)
}
