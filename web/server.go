package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log"
	"math"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/glassbox-interp/glassbox/features/rundir"
	"github.com/glassbox-interp/glassbox/report"
	"github.com/glassbox-interp/glassbox/sae"
	"github.com/glassbox-interp/glassbox/workload"
)

// Loader analyses one run directory (load the SAE, run the model, label the
// features) and returns what the pages show.
type Loader func(dir string) (*report.Run, error)

// Server serves a fixed set of run directories.
type Server struct {
	runs   []*runEntry
	byName map[string]*runEntry
	load   Loader
	// Log receives one line per failed request (nil: the standard logger).
	Log *log.Logger
	// probes bounds the try-your-input runs in flight.
	probes chan struct{}
}

type runEntry struct {
	name, dir string
	mu        sync.Mutex // held while loading: concurrent requests wait for one load
	run       *report.Run
	json      []byte
	lastErr   string // the last failed load, for the index

	curvesMu    sync.Mutex // guards the parsed metrics.jsonl (readCurves)
	curves      []workload.Curve
	curvesStamp string
}

// New checks that every dir is a directory and names the runs by their base
// names; runs whose base names collide are named from the model kind (and
// hook) they record, e.g. "compiled-resid-pre" and "siit-resid-pre", with a
// "-2", "-3" … suffix only when they record nothing that differs
// (runNames).
func New(dirs []string, load Loader) (*Server, error) {
	if len(dirs) == 0 {
		return nil, fmt.Errorf("web: no run directories given")
	}
	if load == nil {
		return nil, fmt.Errorf("web: no loader")
	}
	s := &Server{byName: map[string]*runEntry{}, load: load, probes: make(chan struct{}, MaxProbes)}
	var abss []string
	for _, d := range dirs {
		abs, err := filepath.Abs(d)
		if err != nil {
			return nil, fmt.Errorf("web: run directory %s: %w", d, err)
		}
		st, err := os.Stat(abs)
		if err != nil {
			return nil, fmt.Errorf("web: run directory %s: %w", d, err)
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("web: run directory %s is not a directory", d)
		}
		abss = append(abss, abs)
	}
	for i, name := range runNames(abss) {
		e := &runEntry{name: name, dir: abss[i]}
		s.runs = append(s.runs, e)
		s.byName[name] = e
	}
	return s, nil
}

// get loads a run once; later calls (also concurrent ones, which wait for
// the first) share the result. A failed load is not cached, so a run whose
// training has not finished yet can be retried by reloading the page.
func (s *Server) get(name string) (e *runEntry, err error) {
	e = s.byName[name]
	if e == nil {
		return nil, errNotFound{fmt.Sprintf("no run named %q", name)}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.run != nil {
		return e, nil
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("analyse run %s: internal error: %v", e.dir, p)
		}
	}()
	r, err := s.load(e.dir)
	if err != nil {
		e.lastErr = err.Error()
		return nil, fmt.Errorf("analyse run %s: %w", e.dir, err)
	}
	e.lastErr = ""
	if r == nil {
		return nil, fmt.Errorf("analyse run %s: the loader returned nothing", e.dir)
	}
	if r.Name == "" {
		r.Name = e.name
	}
	var js []byte
	if r.Analysis != nil {
		if js, err = json.MarshalIndent(r.Analysis.Report(), "", "  "); err != nil {
			return nil, fmt.Errorf("analyse run %s: %w", e.dir, err)
		}
	}
	e.run, e.json = r, js
	return e, nil
}

type errNotFound struct{ msg string }

func (e errNotFound) Error() string { return e.msg }

// Handler returns the HTTP handler.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.index)
	mux.HandleFunc("GET /run/{name}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/run/"+url(r.PathValue("name"))+"/", http.StatusMovedPermanently)
	})
	mux.HandleFunc("GET /run/{name}/{$}", s.runPage)
	mux.HandleFunc("GET /run/{name}/feature/{n}", s.featurePage)
	mux.HandleFunc("GET /run/{name}/features.json", s.featuresJSON)
	mux.HandleFunc("GET /run/{name}/files/{path...}", s.file)
	mux.HandleFunc("GET /run/{name}/try", s.tryPage)
	mux.HandleFunc("GET /run/{name}/curves", s.curves)
	mux.HandleFunc("GET /run/{name}/metrics-stamp", s.metricsStamp)
	mux.HandleFunc("GET /compare", s.compare)
	mux.HandleFunc("GET /search", s.search)
	return secure(mux)
}

func url(s string) string { return strings.ReplaceAll(s, "/", "%2F") }

// secure adds headers that keep pages self-contained.
func secure(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; form-action 'self'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		h.ServeHTTP(w, r)
	})
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := http.StatusInternalServerError
	var nf errNotFound
	switch {
	case errors.As(err, &nf), errors.Is(err, report.ErrNoFeature), errors.Is(err, fs.ErrNotExist):
		code = http.StatusNotFound
	case errors.Is(err, errBadPath):
		code = http.StatusBadRequest
	}
	if code == http.StatusInternalServerError {
		lg := s.Log
		if lg == nil {
			lg = log.Default()
		}
		lg.Printf("%s %s: %v", r.Method, r.URL.Path, err)
	}
	http.Error(w, fmt.Sprintf("%d %s: %v", code, http.StatusText(code), err), code)
}

func writeHTML(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(b)
}

func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	var entries []report.IndexEntry
	for _, e := range s.runs {
		entries = append(entries, s.indexEntry(e))
	}
	var buf bytes.Buffer
	if err := report.RenderIndex(&buf, entries); err != nil {
		s.fail(w, r, err)
		return
	}
	writeHTML(w, buf.Bytes())
}

// indexEntry describes a run for the index: the analysis' figures when the
// run is loaded, else what its files say (config, source, last training log).
func (s *Server) indexEntry(e *runEntry) report.IndexEntry {
	ie := report.IndexEntry{Name: e.name, Href: "/run/" + url(e.name) + "/", Status: "not analysed yet"}
	var loaded *report.Run
	if e.mu.TryLock() {
		loaded = e.run
		if e.lastErr != "" {
			ie.Status = "failed: " + e.lastErr
		}
		e.mu.Unlock()
	} else {
		ie.Status = "analysing…"
	}
	if loaded != nil {
		ie.Meta, ie.Hook, ie.Status = loaded.Meta, loaded.Hook, "analysed"
		if ie.Meta.Hook == "" {
			ie.Meta.Hook = loaded.Hook
		}
		return ie
	}
	ie.Meta = report.RunMeta{EV: math.NaN(), L0: math.NaN(), Coverage: math.NaN(), Spliced: math.NaN()}
	m, err := rundir.ReadMeta(e.dir)
	if err != nil {
		ie.Status = err.Error()
		return ie
	}
	ie.Hook, ie.Meta.Hook, ie.Meta.Arch, ie.Meta.DSAE, ie.Meta.Model = m.Hook, m.Hook, m.Arch, m.DSAE, m.Model
	if m.Case != 0 {
		ie.Meta.Case = fmt.Sprintf("case %d", m.Case)
	}
	if ie.Meta.Model == "" && m.Case != 0 {
		ie.Meta.Model = "compiled"
	}
	if !m.HasSAE && m.HasMetrics {
		ie.Status = "training (no final SAE yet)"
	}
	if curves, err := s.readCurves(e); err == nil {
		for _, c := range curves {
			switch c.Name {
			case "metrics/explained_variance":
				ie.Meta.EV = c.Last()
			case "metrics/l0":
				ie.Meta.L0 = c.Last()
			}
		}
	}
	return ie
}

// readCurves reads a run's metrics.jsonl (nil when it has none), parsing
// it again only when its size or modification time changed.
func (s *Server) readCurves(e *runEntry) ([]workload.Curve, error) {
	p := filepath.Join(e.dir, sae.MetricsFile)
	st, err := os.Stat(p)
	if err != nil {
		return nil, nil
	}
	stamp := fmt.Sprintf("%d %d", st.Size(), st.ModTime().UnixNano())
	e.curvesMu.Lock()
	defer e.curvesMu.Unlock()
	if e.curvesStamp == stamp {
		return e.curves, nil
	}
	c, err := workload.ReadMetrics(p)
	if err != nil {
		return nil, err
	}
	e.curves, e.curvesStamp = c, stamp
	return c, nil
}

func (s *Server) runPage(w http.ResponseWriter, r *http.Request) {
	e, err := s.get(r.PathValue("name"))
	if err != nil {
		if s.pending(w, r, err) {
			return
		}
		s.fail(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := report.RenderRun(&buf, e.run, r.URL.Query().Get("sort")); err != nil {
		s.fail(w, r, err)
		return
	}
	writeHTML(w, buf.Bytes())
}

func (s *Server) featurePage(w http.ResponseWriter, r *http.Request) {
	e, err := s.get(r.PathValue("name"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil {
		s.fail(w, r, errNotFound{fmt.Sprintf("feature %q is not an integer", r.PathValue("n"))})
		return
	}
	var buf bytes.Buffer
	if err := report.RenderFeature(&buf, e.run, n); err != nil {
		s.fail(w, r, err)
		return
	}
	writeHTML(w, buf.Bytes())
}

func (s *Server) featuresJSON(w http.ResponseWriter, r *http.Request) {
	e, err := s.get(r.PathValue("name"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if e.json == nil {
		s.fail(w, r, errNotFound{"run has no feature analysis"})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(e.json)
}

var errBadPath = errors.New("bad file path")

// cleanRel validates a request path for a file inside a run directory.
func cleanRel(p string) (string, error) {
	if p == "" || strings.ContainsAny(p, "\\\x00") || strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("%w %q", errBadPath, p)
	}
	for _, el := range strings.Split(p, "/") {
		if el == ".." {
			return "", fmt.Errorf("%w %q: paths outside the run directory are not served", errBadPath, p)
		}
	}
	c := path.Clean(p)
	if !fs.ValidPath(c) {
		return "", fmt.Errorf("%w %q", errBadPath, p)
	}
	return c, nil
}

func (s *Server) file(w http.ResponseWriter, r *http.Request) {
	e := s.byName[r.PathValue("name")]
	if e == nil {
		s.fail(w, r, errNotFound{fmt.Sprintf("no run named %q", r.PathValue("name"))})
		return
	}
	rel, err := cleanRel(r.PathValue("path"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	root, err := os.OpenRoot(e.dir)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer root.Close()
	f, err := root.Open(rel)
	if err != nil {
		// os.Root refuses symlinks that leave the directory.
		if !errors.Is(err, fs.ErrNotExist) {
			err = fmt.Errorf("%w %q: %v", errBadPath, rel, err)
		}
		s.fail(w, r, err)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if st.IsDir() {
		s.fail(w, r, errNotFound{fmt.Sprintf("%s is a directory", rel)})
		return
	}
	http.ServeContent(w, r, st.Name(), st.ModTime(), f)
}
