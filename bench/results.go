package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/glassbox-interp/glassbox/formats/atomicfile"
	"github.com/glassbox-interp/glassbox/workload"
)

// ResultsFile is the name of the results file inside a sweep directory.
const ResultsFile = "results.jsonl"

// Metric names a RunFunc reports and the leaderboard averages. A runner may
// report other metrics too; they are kept in results.jsonl.
const (
	MetricCoverage          = "coverage"           // fraction of the hook's ground-truth candidates matched with F1 >= 0.9
	MetricMeanF1            = "mean_f1"            // mean best-label F1 over live features
	MetricExplainedVariance = "explained_variance" // 1 - Σ‖x−x̂‖² / Σ‖x−mean(x)‖² on the eval set
	MetricL0                = "l0"                 // mean number of active latents per token
	MetricDeadFraction      = "dead_fraction"      // fraction of latents that never fire on the eval set
	MetricSplicedAccuracy   = "spliced_accuracy"   // model accuracy with the reconstruction spliced in at the hook (numerical: |Δ| < RunnerOptions.ATol)
	MetricAccuracyRetained  = "accuracy_retained"  // spliced / clean accuracy (absent when the clean accuracy is 0)
	MetricATol              = "atol"               // numerical programs: the accuracy tolerance used (|Δ| < atol)
)

// LeaderboardMetrics lists the metrics the leaderboard shows, in column order.
var LeaderboardMetrics = []string{
	MetricCoverage, MetricMeanF1, MetricExplainedVariance, MetricL0, MetricDeadFraction, MetricSplicedAccuracy,
}

// Result statuses.
const (
	StatusOK    = "ok"
	StatusError = "error"
)

// Result is one line of results.jsonl: a finished cell, successful or not.
type Result struct {
	ID      string             `json:"id"`                // Cell.ID()
	Key     string             `json:"key"`               // Cell.Key()
	Cell    Cell               `json:"cell"`              // the cell's parameters
	Status  string             `json:"status"`            // StatusOK or StatusError
	Error   string             `json:"error,omitempty"`   // the error or panic message (StatusError)
	Metrics map[string]float64 `json:"metrics,omitempty"` // finite values only
	// BestF1 is, for every ground-truth candidate the hook should carry
	// (features.Labelling.Expected, e.g. "a@1", "frac_prevs_1"), the best
	// score any feature reached on it (0 when no feature fires with it);
	// a candidate is recovered at ≥ features.CleanScore. It tells which
	// variables an SAE never finds; the leaderboard does not average it.
	BestF1  map[string]float64 `json:"best_f1,omitempty"`
	Started time.Time          `json:"started"`         // when the cell started (UTC)
	Seconds float64            `json:"seconds"`         // wall time of the cell
	Shard   string             `json:"shard,omitempty"` // "i/n" of the sweep that ran it
	// Model is the model folder the cell ran on (path, kind, weights
	// hash; Options.Provenance); absent for the compiled model.
	Model *workload.ModelRef `json:"model,omitempty"`
}

// OK reports whether the cell succeeded.
func (r Result) OK() bool { return r.Status == StatusOK }

// validate checks a decoded result for internal consistency.
func (r Result) validate() error {
	switch {
	case r.ID == "":
		return fmt.Errorf("missing id")
	case r.Status != StatusOK && r.Status != StatusError:
		return fmt.Errorf("status %q: expected %q or %q", r.Status, StatusOK, StatusError)
	case r.Status == StatusError && r.Error == "":
		return fmt.Errorf("status error without an error message")
	}
	if _, err := ArchParam(r.Cell.Arch); err != nil && r.Cell.Arch != "" {
		return fmt.Errorf("cell: %w", err)
	}
	if id := r.Cell.ID(); id != r.ID {
		return fmt.Errorf("id %s does not match the cell's parameters (%q has id %s)", r.ID, r.Cell.Key(), id)
	}
	for k, v := range r.Metrics {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("metric %q: not a finite number", k)
		}
	}
	for k, v := range r.BestF1 {
		if !(v >= 0 && v <= 1) {
			return fmt.Errorf("best_f1 %q: %v, want 0 … 1", k, v)
		}
	}
	return nil
}

// bestF1Prefix marks the per-candidate scores a RunFunc returns among its
// metrics ("best_f1:" + label); the sweep moves them to Result.BestF1.
const bestF1Prefix = "best_f1:"

// splitBestF1 moves the bestF1Prefix entries of metrics into their own map
// (nil when there are none).
func splitBestF1(metrics map[string]float64) (map[string]float64, map[string]float64) {
	var best map[string]float64
	for k, v := range metrics {
		if label, ok := strings.CutPrefix(k, bestF1Prefix); ok {
			if best == nil {
				best = map[string]float64{}
			}
			best[label] = v
			delete(metrics, k)
		}
	}
	return metrics, best
}

// ParseResults decodes results.jsonl content. A last line without a
// terminating newline is a partial write from a crash: it is not decoded,
// and complete (the length of the prefix made of whole lines) tells the
// caller where the good data ends. Any other undecodable line is an error
// naming name and the line number. Blank lines are skipped.
func ParseResults(data []byte, name string) (results []Result, complete int64, err error) {
	end := bytes.LastIndexByte(data, '\n') + 1
	lineNo := 0
	for rest := data[:end]; len(rest) > 0; {
		i := bytes.IndexByte(rest, '\n')
		line := rest[:i]
		rest = rest[i+1:]
		lineNo++
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var r Result
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			return nil, 0, fmt.Errorf("%s:%d: %w", name, lineNo, err)
		}
		if dec.More() {
			return nil, 0, fmt.Errorf("%s:%d: more than one JSON value on the line", name, lineNo)
		}
		if err := r.validate(); err != nil {
			return nil, 0, fmt.Errorf("%s:%d: %w", name, lineNo, err)
		}
		results = append(results, r)
	}
	return results, int64(end), nil
}

// ReadResults reads a results.jsonl file (or a sweep directory holding
// one). A partial trailing line is dropped; partial reports how many bytes
// were dropped.
func ReadResults(path string) (results []Result, partial int64, err error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		path = filepath.Join(path, ResultsFile)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, fmt.Errorf("read results: %w", err)
	}
	rs, complete, err := ParseResults(data, path)
	if err != nil {
		return nil, 0, err
	}
	return rs, int64(len(data)) - complete, nil
}

// Latest reduces results to one per cell ID: a success beats a recorded
// error, otherwise the later line wins. The output is sorted by case, hook,
// architecture, sparsity and seed.
func Latest(results []Result) []Result {
	byID := map[string]Result{}
	for _, r := range results {
		if old, ok := byID[r.ID]; ok && old.OK() && !r.OK() {
			continue
		}
		byID[r.ID] = r
	}
	out := make([]Result, 0, len(byID))
	for _, r := range byID {
		out = append(out, r)
	}
	sortResults(out)
	return out
}

// sortResults orders results by case, program, hook, architecture, sparsity
// parameter and value, seed, then key.
func sortResults(rs []Result) {
	sort.SliceStable(rs, func(i, j int) bool {
		a, b := rs[i].Cell, rs[j].Cell
		switch {
		case a.Case != b.Case:
			return a.Case < b.Case
		case a.Program != b.Program:
			return a.Program < b.Program
		case a.Hook != b.Hook:
			return a.Hook < b.Hook
		case a.Arch != b.Arch:
			return a.Arch < b.Arch
		case a.Param != b.Param:
			return a.Param < b.Param
		case a.Value != b.Value:
			return a.Value < b.Value
		case a.Seed != b.Seed:
			return a.Seed < b.Seed
		}
		return rs[i].Key < rs[j].Key
	})
}

// appender appends result lines to an open results file.
type appender struct {
	f    *os.File
	path string
}

// openResults opens path for appending after truncating it to size bytes
// (dropping a partial trailing line).
func openResults(path string, size int64) (*appender, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open results: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("stat %s: %w", path, err)
	}
	if st.Size() != size {
		if err := f.Truncate(size); err != nil {
			f.Close()
			return nil, fmt.Errorf("drop partial last line of %s: %w", path, err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, fmt.Errorf("sync %s: %w", path, err)
		}
	}
	return &appender{f: f, path: path}, nil
}

// append writes one result as one line with a single write, then syncs.
func (a *appender) append(r Result) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode result %s: %w", r.ID, err)
	}
	b = append(b, '\n')
	if _, err := a.f.Write(b); err != nil {
		return fmt.Errorf("append to %s: %w", a.path, err)
	}
	if err := a.f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", a.path, err)
	}
	return nil
}

func (a *appender) close() error { return a.f.Close() }

// writeFileAtomic writes data to path through a temporary file in the same
// directory, synced and renamed into place.
func writeFileAtomic(path string, data []byte) error {
	return atomicfile.WriteFile(path, data, 0o644)
}

// encodeResults renders results as results.jsonl content.
func encodeResults(results []Result) ([]byte, error) {
	var buf bytes.Buffer
	for _, r := range results {
		b, err := json.Marshal(r)
		if err != nil {
			return nil, fmt.Errorf("encode result %s: %w", r.ID, err)
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	return buf.Bytes(), nil
}
