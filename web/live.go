package web

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"

	"github.com/glassbox-interp/glassbox/features/rundir"
	"github.com/glassbox-interp/glassbox/report"
	"github.com/glassbox-interp/glassbox/sae"
)

// pending renders the page of a run that cannot be analysed yet because it
// is still training (it has a metrics.jsonl but no final SAE): the reason
// and the curves so far, redrawn as the log grows. It reports whether it
// wrote a response.
func (s *Server) pending(w http.ResponseWriter, r *http.Request, loadErr error) bool {
	var nf errNotFound
	if errors.As(loadErr, &nf) {
		return false
	}
	e := s.byName[r.PathValue("name")]
	if e == nil {
		return false
	}
	m, err := rundir.ReadMeta(e.dir)
	if err != nil || m.HasSAE || !m.HasMetrics {
		return false
	}
	curves, err := s.readCurves(e)
	if err != nil {
		return false
	}
	var buf bytes.Buffer
	if err := report.RenderPending(&buf, e.name, loadErr.Error(), curves); err != nil {
		return false
	}
	writeHTML(w, buf.Bytes())
	return true
}

// curves serves the training-curve charts of a run, read afresh from its
// metrics.jsonl (the fragment live pages fetch).
func (s *Server) curves(w http.ResponseWriter, r *http.Request) {
	e := s.byName[r.PathValue("name")]
	if e == nil {
		s.fail(w, r, errNotFound{fmt.Sprintf("no run named %q", r.PathValue("name"))})
		return
	}
	curves, err := s.readCurves(e)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := report.RenderCurves(&buf, curves); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeHTML(w, buf.Bytes())
}

// metricsStamp serves a short text that changes when metrics.jsonl grows
// or the final SAE appears ("size mtime" plus " final").
func (s *Server) metricsStamp(w http.ResponseWriter, r *http.Request) {
	e := s.byName[r.PathValue("name")]
	if e == nil {
		s.fail(w, r, errNotFound{fmt.Sprintf("no run named %q", r.PathValue("name"))})
		return
	}
	stamp := "none"
	if st, err := os.Stat(filepath.Join(e.dir, sae.MetricsFile)); err == nil {
		stamp = fmt.Sprintf("%d %d", st.Size(), st.ModTime().UnixNano())
	}
	if _, err := os.Stat(filepath.Join(e.dir, sae.FinalDir, sae.WeightsFile)); err == nil {
		stamp += " final"
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprint(w, stamp)
}
