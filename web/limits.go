package web

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/glassbox-interp/glassbox/features/rundir"
)

// Server limits. A run's first analysis can take minutes, so the write
// timeout is generous; everything else is short.
const (
	// MaxProbes is the number of try-your-input runs in flight at once
	// (each is one sequence of at most the model's context).
	MaxProbes         = 2
	ReadHeaderTimeout = 10 * time.Second
	ReadTimeout       = 30 * time.Second
	WriteTimeout      = 10 * time.Minute
	IdleTimeout       = 2 * time.Minute
	MaxHeaderBytes    = 64 << 10
)

// HTTPServer returns an http.Server for the handler with the limits above
// (request header, read, write and idle timeouts, header size).
func (s *Server) HTTPServer() *http.Server {
	return &http.Server{Handler: s.Handler(), ReadHeaderTimeout: ReadHeaderTimeout, ReadTimeout: ReadTimeout,
		WriteTimeout: WriteTimeout, IdleTimeout: IdleTimeout, MaxHeaderBytes: MaxHeaderBytes}
}

// MaxPreload bounds the runs Preload analyses: every analysed run stays in
// memory (activations, reconstructions), so a server over a whole sweep's
// kept SAEs analyses only the runs that are opened.
const MaxPreload = 12

// Preload analyses the runs one after another in the background so the
// index fills in (explained variance, L0, coverage, spliced accuracy)
// without each run being opened; it stops when ctx is done and does
// nothing when there are more than MaxPreload runs (it reports whether it
// ran). Failures are kept for the index and retried on request.
func (s *Server) Preload(ctx context.Context) bool {
	if len(s.runs) > MaxPreload {
		return false
	}
	for _, e := range s.runs {
		if ctx.Err() != nil {
			return false
		}
		s.get(e.name)
	}
	return true
}

// RunDirs keeps the arguments that are run or SAE directories
// (rundir.IsRun) and returns a note for each one it skips, so that
// `glassbox serve runs/demo/*` serves the runs and ignores report.html.
func RunDirs(args []string) (dirs, notes []string) {
	for _, a := range args {
		if rundir.IsRun(a) {
			dirs = append(dirs, a)
			continue
		}
		notes = append(notes, fmt.Sprintf("skipping %s: not a run directory (no config.json, metrics.jsonl or SAE)", a))
	}
	return dirs, notes
}
