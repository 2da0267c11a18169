package web

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/glassbox-interp/glassbox/features/rundir"
	"github.com/glassbox-interp/glassbox/report"
)

// probeRun is fakeRun with a Probe that echoes its request.
func probeRun(hook string) (*report.Run, error) {
	r, err := fakeRun(hook)
	if err != nil {
		return nil, err
	}
	r.Probe = func(req rundir.ProbeRequest) (*rundir.Probe, error) {
		p := &rundir.Probe{Request: req}
		for _, tok := range strings.Fields(req.Input) {
			p.Positions = append(p.Positions, rundir.ProbePosition{Token: tok, Clean: "1", Spliced: "1", Edited: "0"})
		}
		p.Changed = len(p.Positions)
		return p, nil
	}
	return r, nil
}

// TestIndexBeforeLoading: the index shows each run's hook, d_sae,
// architecture and last logged explained variance from its files, before
// any run is opened (issue 15 item 16: the hook column was blank).
func TestIndexBeforeLoading(t *testing.T) {
	ts, base := setup(t, func(dir string) (*report.Run, error) { return probeRun("blocks.0.hook_resid_pre") })
	os.WriteFile(filepath.Join(base, "runB", "config.json"), []byte(`{"hook_name": "blocks.1.hook_mlp_out", "d_sae": 48, "architecture": "topk", "model_name": "case3"}`), 0o644)
	os.WriteFile(filepath.Join(base, "runB", "metrics.jsonl"), []byte(`{"step":0,"metrics/explained_variance":0.5,"metrics/l0":3,"details/n_training_tokens":10}`+"\n"+`{"step":1,"metrics/explained_variance":0.75,"metrics/l0":2.5,"details/n_training_tokens":20}`+"\n"), 0o644)
	code, body := get(t, ts.URL+"/")
	if code != 200 {
		t.Fatal(code)
	}
	for _, want := range []string{"blocks.1.hook_mlp_out", ">48<", "topk", "case 3", ">0.75<", ">2.5<", "training (no final SAE yet)", `name="run" value="runB"`, `id="runfilter"`, `action="/search"`} {
		if !strings.Contains(body, want) {
			t.Errorf("index lacks %q", want)
		}
	}
}

func TestTryCompareSearchLive(t *testing.T) {
	ts, base := setup(t, func(dir string) (*report.Run, error) { return probeRun("blocks.0.hook_resid_pre") })
	tests := []struct {
		path string
		code int
		want string
	}{
		{"/run/runA/try", 200, `id="tryform"`},
		{"/run/runA/try?input=x+y&feature=0&mode=zero", 200, `class="changed"`},
		{"/run/runA/try?input=x&feature=abc", 400, "not an integer"},
		{"/run/runA/try?input=x&feature=0&mode=clamp&value=lots", 400, "not a number"},
		{"/run/runA/try?input=" + strings.Repeat("a+", rundir.MaxProbeInput), 400, "at most"},
		{"/run/nope/try?input=x", 404, "no run named"},
		{"/search?q=x%401", 200, "/run/runA/feature/0"},
		{"/compare?run=runA&run=runB", 200, "losses/mse_loss"},
		{"/compare?run=runA&run=nope", 404, "no run named"},
		{"/compare?" + strings.Repeat("run=runA&", MaxCompare+1), 400, "at most"},
		{"/run/runA/curves", 200, "<svg"},
		{"/run/runA/metrics-stamp", 200, ""},
	}
	// Load runA first so the search finds its features.
	get(t, ts.URL+"/run/runA/")
	for _, tc := range tests {
		code, body := get(t, ts.URL+tc.path)
		if code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("GET %s: %d %.300q, want %d containing %q", tc.path, code, body, tc.code, tc.want)
		}
	}
	// The stamp changes when metrics.jsonl grows, and the curves follow.
	_, s1 := get(t, ts.URL+"/run/runA/metrics-stamp")
	f, _ := os.OpenFile(filepath.Join(base, "runA", "metrics.jsonl"), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"losses/mse_loss": 0.25, "metrics/l0": 7}` + "\n")
	f.Close()
	_, s2 := get(t, ts.URL+"/run/runA/metrics-stamp")
	if s1 == s2 {
		t.Errorf("metrics stamp did not change: %q", s1)
	}
	if _, body := get(t, ts.URL+"/run/runA/curves"); !strings.Contains(body, "metrics/l0") {
		t.Error("curves fragment does not show the new metric")
	}
}

func TestLimits(t *testing.T) {
	s, err := New([]string{t.TempDir()}, func(string) (*report.Run, error) { return probeRun("blocks.0.hook_resid_pre") })
	if err != nil {
		t.Fatal(err)
	}
	hs := s.HTTPServer()
	if hs.ReadHeaderTimeout <= 0 || hs.ReadTimeout <= 0 || hs.WriteTimeout <= 0 || hs.IdleTimeout <= 0 || hs.IdleTimeout > 10*time.Minute || hs.MaxHeaderBytes <= 0 {
		t.Errorf("server limits %+v", hs)
	}
	// With every probe slot taken, a new input is refused with 503.
	for i := 0; i < MaxProbes; i++ {
		s.probes <- struct{}{}
	}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	name := s.runs[0].name
	if code, body := get(t, ts.URL+"/run/"+name+"/try?input=x"); code != 503 || !strings.Contains(body, "too many") {
		t.Errorf("busy: %d %q", code, body)
	}
	if code, _ := get(t, ts.URL+"/run/"+name+"/try"); code != 200 {
		t.Errorf("the empty form should not need a probe slot: %d", code)
	}
}

// TestRunDirs: `glassbox serve runs/demo/*` skips report.html with a note.
func TestRunDirs(t *testing.T) {
	base := t.TempDir()
	run := filepath.Join(base, "resid-pre")
	os.MkdirAll(run, 0o755)
	os.WriteFile(filepath.Join(run, "config.json"), []byte(`{}`), 0o644)
	html := filepath.Join(base, "report.html")
	os.WriteFile(html, nil, 0o644)
	empty := filepath.Join(base, "empty")
	os.MkdirAll(empty, 0o755)
	dirs, notes := RunDirs([]string{run, html, empty})
	if len(dirs) != 1 || dirs[0] != run || len(notes) != 2 || !strings.Contains(notes[0], "report.html") {
		t.Errorf("RunDirs: %v %v", dirs, notes)
	}
}

func TestPreload(t *testing.T) {
	var dirs []string
	for i := 0; i <= MaxPreload; i++ {
		dirs = append(dirs, t.TempDir())
	}
	load := func(string) (*report.Run, error) { return probeRun("blocks.0.hook_resid_pre") }
	s, err := New(dirs[:2], load)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Preload(t.Context()) || s.runs[0].run == nil || s.runs[1].run == nil {
		t.Error("Preload did not analyse two runs")
	}
	big, err := New(dirs, load)
	if err != nil {
		t.Fatal(err)
	}
	if big.Preload(t.Context()) || big.runs[0].run != nil {
		t.Errorf("Preload analysed %d runs (more than MaxPreload %d)", len(dirs), MaxPreload)
	}
}
