package report

import (
	"github.com/glassbox-interp/glassbox/features"
	"github.com/glassbox-interp/glassbox/features/rundir"
	"github.com/glassbox-interp/glassbox/tensor"
	"github.com/glassbox-interp/glassbox/workload"
)

// Run is everything the pages show about one SAE run. Only Name, Hook and
// Analysis are required; absent parts are shown as "not available".
type Run struct {
	Name string // display name (usually the run directory's base name)
	Dir  string
	Hook string
	// Source describes the model / case the SAE was trained on.
	Source string
	DIn    int
	// Config lists selected configuration entries (key, value) to show.
	Config [][2]string
	// Curves are the training metrics from metrics.jsonl (workload.ReadMetrics).
	Curves []workload.Curve
	// Recon and Downstream are evaluation metrics (may be nil).
	Recon      *features.ReconMetrics
	Downstream *features.DownstreamMetrics
	// Analysis holds feature statistics and (if a ground truth was
	// available) labels.
	Analysis *features.Analysis
	// Tokens[row][pos] are the dataset's token strings, Acts the SAE
	// activations [rows, positions, d_sae] (used to shade token strips).
	Tokens [][]string
	Acts   *tensor.Tensor
	// Effects[feature] is the feature's output effect (may be nil).
	Effects [][]features.Effect
	// EffectNote explains how Effects were computed.
	EffectNote string
	// Notes are warnings shown on the run page.
	Notes []string
	// Causal marks a causal model: examples are collapsed on the tokens up
	// to the active position.
	Causal bool
	// Meta is the run's identity for the index (case, model, architecture…).
	Meta RunMeta
	// Inspect, if set, computes a feature's detail (decoder row in the
	// residual basis, output logits, neighbours, ground-truth values);
	// Probe, if set, runs the try-your-input form. FromResult sets both
	// from the analysed run; pages omit what is nil.
	Inspect func(f int) (*rundir.Detail, error)
	Probe   func(rundir.ProbeRequest) (*rundir.Probe, error)
}

// RunMeta is what the index lists about a run.
type RunMeta struct {
	Case, Model, Hook, Arch string
	DSAE                    int
	// EV and L0 are the explained variance and L0 (the evaluation when the
	// run is analysed, else the last training log); Coverage and Spliced
	// (spliced accuracy) are known once the run is analysed. NaN: unknown.
	EV, L0, Coverage, Spliced float64
}
