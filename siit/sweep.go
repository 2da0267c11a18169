package siit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/glassbox-interp/glassbox/cases"
	"github.com/glassbox-interp/glassbox/formats/atomicfile"
	"github.com/glassbox-interp/glassbox/model"
)

// SweepRow is one case of a sweep (a results.jsonl line and a table row).
type SweepRow struct {
	Case      string  `json:"case"`
	LL        string  `json:"ll_shape,omitempty"`
	Recipe    string  `json:"recipe,omitempty"`
	Epochs    int     `json:"epochs,omitempty"`
	BestEpoch int     `json:"best_epoch,omitempty"`
	Stopped   string  `json:"stopped,omitempty"`
	Accuracy  float64 `json:"val/accuracy"`
	IIA       float64 `json:"val/IIA"`
	Strict    float64 `json:"val/strict_accuracy"`
	Seconds   float64 `json:"seconds"`
	Error     string  `json:"error,omitempty"`
}

// SweepOptions configure Sweep.
type SweepOptions struct {
	Out string
	// Shard i of n: the cases at positions i, i+n, … of the list.
	ShardIndex, ShardCount int
	Setup                  Setup
	Train                  Options // Out and Resume are set per case
	// Progress reports each case's epochs; Done each finished case.
	Progress func(caseName string, st EpochStats)
	Done     func(SweepRow)
}

// SweepResults is the results file of a sweep (shard).
const SweepResults = "results.jsonl"

// Sweep trains every case of ids (this shard's share) into OUT/case_N/,
// resuming interrupted cases and skipping finished ones (a results line
// without error). A failing case records its error and the sweep goes on.
// It returns every row of the shard's results file.
func Sweep(ctx context.Context, ids []int, o SweepOptions) ([]SweepRow, error) {
	if o.ShardCount < 1 {
		o.ShardCount = 1
	}
	if o.ShardIndex < 0 || o.ShardIndex >= o.ShardCount {
		return nil, fmt.Errorf("siit: shard %d/%d: want 0 ≤ index < count", o.ShardIndex, o.ShardCount)
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return nil, err
	}
	resPath := filepath.Join(o.Out, SweepResults)
	if o.ShardCount > 1 {
		resPath = filepath.Join(o.Out, fmt.Sprintf("results-shard-%d-of-%d.jsonl", o.ShardIndex, o.ShardCount))
	}
	rows, err := readSweep(resPath)
	if err != nil {
		return nil, err
	}
	done := map[string]bool{}
	var kept []SweepRow
	for _, r := range rows {
		if r.Error == "" {
			done[r.Case] = true
			kept = append(kept, r)
		}
	}
	for i, id := range ids {
		if i%o.ShardCount != o.ShardIndex {
			continue
		}
		if err := ctx.Err(); err != nil {
			return kept, ErrInterrupted
		}
		name := fmt.Sprint(id)
		if done[name] {
			continue
		}
		row := o.one(ctx, id)
		if errors.Is(ctx.Err(), context.Canceled) {
			return kept, ErrInterrupted
		}
		kept = append(kept, row)
		if err := writeSweep(resPath, kept); err != nil {
			return kept, err
		}
		if o.Done != nil {
			o.Done(row)
		}
	}
	return kept, nil
}

func (o SweepOptions) one(ctx context.Context, id int) SweepRow {
	start := time.Now()
	row := SweepRow{Case: fmt.Sprint(id)}
	fail := func(err error) SweepRow {
		row.Error = err.Error()
		row.Seconds = time.Since(start).Seconds()
		return row
	}
	c, err := cases.Get(id)
	if err != nil {
		return fail(err)
	}
	j, err := Prepare(c, o.Setup)
	if err != nil {
		return fail(err)
	}
	row.LL = ShapeString(j)
	row.Recipe = j.Recipe.Name
	opt := o.Train
	opt.Out = filepath.Join(o.Out, "case_"+row.Case)
	opt.Resume = true
	if o.Progress != nil {
		opt.Progress = func(st EpochStats) { o.Progress(row.Case, st) }
	}
	res, err := j.TrainModel(ctx, opt)
	if err != nil {
		return fail(err)
	}
	row.Epochs, row.BestEpoch, row.Stopped = res.Epochs, res.BestEpoch, res.Stopped
	row.Accuracy, row.IIA, row.Strict = res.Val.Accuracy, res.Val.IIA, res.Val.Strict
	row.Seconds = time.Since(start).Seconds()
	return row
}

// ShapeString describes a job's LL shape ("L2 H4 dh3 d12 mlp48").
func ShapeString(j *Job) string { return configShape(j.LL) }

// configShape describes a model config's shape as ShapeString does.
func configShape(c model.Config) string {
	return fmt.Sprintf("L%d H%d dh%d d%d mlp%d", c.NLayers, c.NHeads, c.DHead, c.DModel, c.DMLP)
}

func readSweep(path string) ([]SweepRow, error) {
	rows, err := readJSONLines[SweepRow](path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return rows, err
}

func writeSweep(path string, rows []SweepRow) error {
	var buf bytes.Buffer
	for _, r := range rows {
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		buf.Write(append(b, '\n'))
	}
	return atomicfile.WriteFile(path, buf.Bytes(), 0o644)
}

// ReadSweeps reads the results of a sweep folder: results.jsonl and every
// results-shard-*.jsonl, one row per case (a later success replaces an
// earlier error).
func ReadSweeps(dir string) ([]SweepRow, error) {
	paths, _ := filepath.Glob(filepath.Join(dir, "results-shard-*.jsonl"))
	paths = append([]string{filepath.Join(dir, SweepResults)}, paths...)
	byCase := map[string]SweepRow{}
	for _, p := range paths {
		rows, err := readSweep(p)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			if old, ok := byCase[r.Case]; !ok || old.Error != "" {
				byCase[r.Case] = r
			}
		}
	}
	out := make([]SweepRow, 0, len(byCase))
	for _, r := range byCase {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return caseLess(out[i].Case, out[j].Case) })
	return out, nil
}

// Table renders sweep rows as a Markdown table, followed by the cases
// below thr on any metric.
func Table(rows []SweepRow, thr float64) string {
	var b strings.Builder
	b.WriteString("| case | LL shape | recipe | epochs (best) | stopped | accuracy | IIA | strict accuracy | seconds |\n")
	b.WriteString("|---:|---|---|---:|---|---:|---:|---:|---:|\n")
	var low []string
	total := 0.0
	for _, r := range rows {
		total += r.Seconds
		if r.Error != "" {
			fmt.Fprintf(&b, "| %s | | | | error: %s | | | | %.1f |\n", r.Case, strings.ReplaceAll(r.Error, "|", "\\|"), r.Seconds)
			low = append(low, r.Case+" (error)")
			continue
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %d (%d) | %s | %.2f%% | %.2f%% | %.2f%% | %.1f |\n", r.Case, r.LL, r.Recipe,
			r.Epochs, r.BestEpoch, r.Stopped, 100*r.Accuracy, 100*r.IIA, 100*r.Strict, r.Seconds)
		if r.Accuracy < thr || r.IIA < thr || r.Strict < thr {
			low = append(low, r.Case)
		}
	}
	fmt.Fprintf(&b, "\n%d cases, %.0f s in all. Below %.0f%% on some metric: %s\n", len(rows), total, 100*thr,
		map[bool]string{true: "none", false: strings.Join(low, ", ")}[len(low) == 0])
	return b.String()
}
