package web

import (
	"bytes"
	"fmt"
	"net/http"
	neturl "net/url"
	"strconv"
	"strings"

	"github.com/glassbox-interp/glassbox/features/rundir"
	"github.com/glassbox-interp/glassbox/report"
)

// MaxCompare bounds the runs overlaid on one compare page.
const MaxCompare = 8

// tryPage runs the try-your-input form: one sequence (the form's input,
// at most rundir.MaxProbeInput characters and the model's context), at
// most MaxProbes at a time.
func (s *Server) tryPage(w http.ResponseWriter, r *http.Request) {
	e, err := s.get(r.PathValue("name"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	req := rundir.ProbeRequest{Input: q.Get("input"), Feature: -1, Mode: q.Get("mode")}
	if len(req.Input) > rundir.MaxProbeInput {
		http.Error(w, fmt.Sprintf("400 Bad Request: input has %d characters; at most %d are accepted", len(req.Input), rundir.MaxProbeInput), http.StatusBadRequest)
		return
	}
	if f := q.Get("feature"); f != "" {
		if req.Feature, err = strconv.Atoi(f); err != nil {
			http.Error(w, fmt.Sprintf("400 Bad Request: feature %q is not an integer", f), http.StatusBadRequest)
			return
		}
	}
	if v := q.Get("value"); v != "" {
		if req.Value, err = strconv.ParseFloat(v, 64); err != nil {
			http.Error(w, fmt.Sprintf("400 Bad Request: value %q is not a number", v), http.StatusBadRequest)
			return
		}
	}
	if req.Feature < 0 || req.Mode == "" {
		req.Mode = "none"
	}
	if strings.TrimSpace(req.Input) != "" {
		select {
		case s.probes <- struct{}{}:
			defer func() { <-s.probes }()
		default:
			http.Error(w, "503 Service Unavailable: too many inputs are being run; try again", http.StatusServiceUnavailable)
			return
		}
	}
	var buf bytes.Buffer
	probeErr, err := report.RenderTry(&buf, e.run, req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if probeErr != nil {
		w.WriteHeader(http.StatusBadRequest)
	}
	w.Write(buf.Bytes())
}

// compare overlays the training curves of the runs named by ?run=.
func (s *Server) compare(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	names := q["run"]
	if len(names) == 0 {
		for _, e := range s.runs {
			names = append(names, e.name)
		}
	}
	if len(names) > MaxCompare {
		http.Error(w, fmt.Sprintf("400 Bad Request: %d runs selected; compare at most %d at once", len(names), MaxCompare), http.StatusBadRequest)
		return
	}
	var runs []report.CompareRun
	vals := neturl.Values{}
	for _, n := range names {
		e := s.byName[n]
		if e == nil {
			s.fail(w, r, errNotFound{fmt.Sprintf("no run named %q", n)})
			return
		}
		curves, err := s.readCurves(e)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		runs = append(runs, report.CompareRun{Name: e.name, Curves: curves})
		vals.Add("run", n)
	}
	var buf bytes.Buffer
	if err := report.RenderCompare(&buf, runs, q.Get("log") == "1", vals.Encode()); err != nil {
		s.fail(w, r, err)
		return
	}
	writeHTML(w, buf.Bytes())
}

// search lists the features of analysed runs whose label contains ?q=.
func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if len(q) > 200 {
		http.Error(w, "400 Bad Request: search text longer than 200 characters", http.StatusBadRequest)
		return
	}
	var hits []report.SearchHit
	var pending []string
	for _, e := range s.runs {
		var run *report.Run
		if e.mu.TryLock() {
			run = e.run
			e.mu.Unlock()
		}
		if run == nil {
			pending = append(pending, e.name)
			continue
		}
		h := report.Search(run, q, "/run/"+url(e.name)+"/")
		for i := range h {
			h[i].Run = e.name
		}
		hits = append(hits, h...)
	}
	var buf bytes.Buffer
	if err := report.RenderSearch(&buf, q, hits, pending); err != nil {
		s.fail(w, r, err)
		return
	}
	writeHTML(w, buf.Bytes())
}
