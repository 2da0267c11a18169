package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/glassbox-interp/glassbox/workload"
)

// RunFunc runs one cell (train an SAE, label its features, score it) and
// returns its metrics (see the Metric* names). It is called from several
// goroutines at once. It should return promptly with ctx.Err() when ctx is
// cancelled; such a cell is not recorded and runs again on resume.
type RunFunc func(ctx context.Context, c Cell) (map[string]float64, error)

// Options configures Sweep.
type Options struct {
	Dir         string         // sweep directory; results go to Dir/results.jsonl (created if needed)
	Jobs        int            // cells run at once; 0 means DefaultJobs (CPUs, affinity, SLURM_CPUS_PER_TASK)
	Shard       Shard          // the part of the grid to run; zero = all
	RetryFailed bool           // run again the cells whose recorded result is an error
	Progress    func(Progress) // called after every finished cell, from one goroutine; may be nil
	// Cost, if set, estimates a cell's run time (any unit); the cells left
	// to run start most expensive first (longest-processing-time order),
	// which keeps every worker busy until the end. Ties keep grid order.
	Cost func(Cell) float64
	// Provenance, if set, names the model a finished cell ran on; it is
	// recorded in the cell's Result (Result.Model).
	Provenance func(Cell) *workload.ModelRef
}

// Progress is a snapshot of a running sweep.
type Progress struct {
	Total   int           // cells in this shard
	Skipped int           // cells already in results.jsonl at start
	Done    int           // cells finished in this run
	OK      int           // of Done, succeeded
	Failed  int           // of Done, recorded with an error
	Elapsed time.Duration // since this run started
	Last    Result        // the cell that just finished
}

// Remaining returns the cells still to run.
func (p Progress) Remaining() int { return p.Total - p.Skipped - p.Done }

// String formats the progress as one status line.
func (p Progress) String() string {
	s := fmt.Sprintf("bench: %d/%d cells (%d skipped, %d ok, %d failed this run), %s",
		p.Skipped+p.Done, p.Total, p.Skipped, p.OK, p.Failed, p.Elapsed.Round(time.Second))
	if p.Done > 0 && p.Remaining() > 0 {
		eta := time.Duration(float64(p.Elapsed) / float64(p.Done) * float64(p.Remaining()))
		s += fmt.Sprintf(", ETA %s", eta.Round(time.Second))
	}
	return s
}

// Summary describes a finished (or interrupted) sweep run.
type Summary struct {
	Path      string // the results file
	Total     int    // cells in this shard
	Skipped   int    // already recorded before this run
	OK        int    // succeeded in this run
	Failed    int    // recorded with an error in this run
	Remaining int    // not recorded yet (non-zero after an interruption)
	Dropped   int64  // bytes of a partial trailing line dropped at start
}

// ShardDir returns the directory a shard writes to inside out: out itself
// for the whole grid, out/shard-<i>-of-<n> otherwise, so that the shards of
// one array job can share out.
func ShardDir(out string, s Shard) string {
	if s.Whole() {
		return out
	}
	return filepath.Join(out, fmt.Sprintf("shard-%d-of-%d", s.Index, s.Count))
}

// Sweep runs the opts.Shard part of cells with run on opts.Jobs goroutines,
// appending each finished cell's Result to opts.Dir/results.jsonl, and
// skipping cells already recorded there (see the package doc). It returns
// when every cell is recorded, or when ctx is cancelled (then with an
// error wrapping ctx.Err() and a Summary counting what is left).
func Sweep(ctx context.Context, cells []Cell, run RunFunc, opts Options) (Summary, error) {
	if run == nil {
		return Summary{}, errors.New("bench: sweep: no RunFunc")
	}
	if err := opts.Shard.Validate(); err != nil {
		return Summary{}, err
	}
	if opts.Dir == "" {
		return Summary{}, errors.New("bench: sweep: no output directory")
	}
	jobs := opts.Jobs
	if jobs <= 0 {
		jobs = DefaultJobs(nil)
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return Summary{}, fmt.Errorf("bench: %w", err)
	}
	unlock, err := lockDir(opts.Dir)
	if err != nil {
		return Summary{}, err
	}
	defer unlock()

	path := filepath.Join(opts.Dir, ResultsFile)
	sum := Summary{Path: path}
	var done map[string]Result
	size := int64(0)
	if data, err := os.ReadFile(path); err == nil {
		rs, complete, err := ParseResults(data, path)
		if err != nil {
			return sum, fmt.Errorf("bench: resume: %w", err)
		}
		size = complete
		sum.Dropped = int64(len(data)) - complete
		done = make(map[string]Result, len(rs))
		for _, r := range Latest(rs) {
			done[r.ID] = r
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return sum, fmt.Errorf("bench: resume: %w", err)
	}

	mine := opts.Shard.Select(cells)
	seen := make(map[string]bool, len(mine))
	var todo []Cell
	for _, c := range mine {
		id := c.ID()
		if seen[id] {
			continue
		}
		seen[id] = true
		sum.Total++
		if r, ok := done[id]; ok && (r.OK() || !opts.RetryFailed) {
			sum.Skipped++
			continue
		}
		todo = append(todo, c)
	}
	sum.Remaining = len(todo)
	if opts.Cost != nil {
		cost := make(map[string]float64, len(todo))
		for _, c := range todo {
			cost[c.ID()] = opts.Cost(c)
		}
		sort.SliceStable(todo, func(i, j int) bool { return cost[todo[i].ID()] > cost[todo[j].ID()] })
	}

	app, err := openResults(path, size)
	if err != nil {
		return sum, fmt.Errorf("bench: %w", err)
	}
	defer app.close()
	if len(todo) == 0 {
		return sum, nil
	}

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	feed := make(chan Cell)
	out := make(chan Result)
	var wg sync.WaitGroup
	if jobs > len(todo) {
		jobs = len(todo)
	}
	shard := ""
	if !opts.Shard.Whole() {
		shard = opts.Shard.String()
	}
	for w := 0; w < jobs; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range feed {
				r, recorded := runCell(runCtx, c, run)
				if !recorded {
					continue
				}
				r.Shard = shard
				if opts.Provenance != nil {
					r.Model = opts.Provenance(c)
				}
				out <- r
			}
		}()
	}
	go func() {
		defer close(feed)
		for _, c := range todo {
			select {
			case feed <- c:
			case <-runCtx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(out) }()

	start := time.Now()
	prog := Progress{Total: sum.Total, Skipped: sum.Skipped}
	var writeErr error
	for r := range out {
		if writeErr != nil {
			continue // drain; the sweep is stopping
		}
		if err := app.append(r); err != nil {
			writeErr = err
			cancel()
			continue
		}
		sum.Remaining--
		prog.Done++
		if r.OK() {
			sum.OK++
			prog.OK++
		} else {
			sum.Failed++
			prog.Failed++
		}
		if opts.Progress != nil {
			prog.Elapsed = time.Since(start)
			prog.Last = r
			opts.Progress(prog)
		}
	}
	if writeErr != nil {
		return sum, fmt.Errorf("bench: %w", writeErr)
	}
	if err := ctx.Err(); err != nil && sum.Remaining > 0 {
		return sum, fmt.Errorf("bench: sweep interrupted with %d cells left (run the same command again to resume): %w", sum.Remaining, err)
	}
	return sum, nil
}

// runCell runs one cell and turns its outcome into a Result. recorded is
// false when the cell was interrupted by cancellation.
func runCell(ctx context.Context, c Cell, run RunFunc) (r Result, recorded bool) {
	r = Result{ID: c.ID(), Key: c.Key(), Cell: c, Started: time.Now().UTC()}
	if c.ExpandErr != "" {
		r.Status, r.Error = StatusError, c.ExpandErr
		return r, true
	}
	if ctx.Err() != nil {
		return r, false
	}
	t0 := time.Now()
	metrics, err := safeRun(ctx, c, run)
	r.Seconds = time.Since(t0).Seconds()
	if err != nil {
		if ctx.Err() != nil {
			return r, false
		}
		r.Status, r.Error = StatusError, err.Error()
		return r, true
	}
	var bad []string
	for k, v := range metrics {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			bad = append(bad, fmt.Sprintf("%s = %v", k, v))
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		r.Status, r.Error = StatusError, "non-finite metrics: "+strings.Join(bad, ", ")
		return r, true
	}
	r.Metrics, r.BestF1 = splitBestF1(metrics)
	r.Status = StatusOK
	return r, true
}

// safeRun calls run and turns a panic into an error with the panic value
// and the top of the stack.
func safeRun(ctx context.Context, c Cell, run RunFunc) (m map[string]float64, err error) {
	defer func() {
		if p := recover(); p != nil {
			stack := strings.Split(string(debug.Stack()), "\n")
			if len(stack) > 16 {
				stack = stack[:16]
			}
			err = fmt.Errorf("panic: %v\n%s", p, strings.Join(stack, "\n"))
		}
	}()
	return run(ctx, c)
}

// SpecFile is the name of the file recording a sweep's spec and settings.
const SpecFile = "spec.json"

// SweepInfo is the content of spec.json: what a sweep directory was made
// with. Runner holds the settings that are not part of the cell keys.
type SweepInfo struct {
	Spec   Spec          `json:"spec"`
	Shard  string        `json:"shard"`
	Runner RunnerOptions `json:"runner"`
}

// WriteSpec records a sweep's settings in dir/spec.json (atomically). If
// the file exists and was written with different runner options, it
// refuses: results made with other training settings share cell IDs and
// must not be mixed. A different spec is fine (cells are matched by ID).
func WriteSpec(dir string, info SweepInfo) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	path := filepath.Join(dir, SpecFile)
	if old, err := os.ReadFile(path); err == nil {
		prev, err := decodeSpec(old, path)
		if err != nil {
			return err
		}
		if prev.Runner != info.Runner {
			return fmt.Errorf("bench: %s was made with runner settings %+v, this sweep uses %+v: use a new output directory", dir, prev.Runner, info.Runner)
		}
	}
	b, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return fmt.Errorf("bench: encode spec: %w", err)
	}
	return writeFileAtomic(path, append(b, '\n'))
}

// decodeSpec decodes the content of spec.json read from path.
func decodeSpec(b []byte, path string) (SweepInfo, error) {
	var info SweepInfo
	if err := json.Unmarshal(b, &info); err != nil {
		return SweepInfo{}, fmt.Errorf("bench: read %s: %w", path, err)
	}
	return info, nil
}
