package web

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/glassbox-interp/glassbox/features"
	"github.com/glassbox-interp/glassbox/report"
	"github.com/glassbox-interp/glassbox/tensor"
)

// fakeRun is a small analysed run: feature 0 fires on "x" at position 1,
// feature 1 on "y", feature 2 never.
func fakeRun(hook string) (*report.Run, error) {
	toks := []string{"x", "y", "z"}
	var rows [][]string
	for _, a := range toks {
		for _, b := range toks {
			rows = append(rows, []string{"BOS", a, b})
		}
	}
	acts := tensor.New(len(rows), 3, 3)
	for r, row := range rows {
		for p, tok := range row {
			if tok == "x" && p == 1 {
				acts.Set(2.5, r, p, 0)
			}
			if tok == "y" {
				acts.Set(1, r, p, 1)
			}
		}
	}
	gt := &features.GroundTruth{Tokens: rows, HookOrder: []string{"hook_embed", "hook_pos_embed", hook}}
	a, err := features.Analyze(acts, gt, hook, nil, features.SummaryOptions{}, features.LabelOptions{})
	if err != nil {
		return nil, err
	}
	return &report.Run{Hook: hook, Analysis: a, Tokens: rows, Acts: acts}, nil
}

// setup makes two run directories (one with a file and a secret next to
// them) and a server whose loader counts its calls.
func setup(t *testing.T, load Loader) (*httptest.Server, string) {
	t.Helper()
	base := t.TempDir()
	for _, d := range []string{"runA", "runB"} {
		if err := os.MkdirAll(filepath.Join(base, d, "final"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(base, "runA", "metrics.jsonl"), []byte(`{"losses/mse_loss": 1}`+"\n"), 0o644)
	os.WriteFile(filepath.Join(base, "secret.txt"), []byte("TOP SECRET"), 0o644)
	os.Symlink(filepath.Join(base, "secret.txt"), filepath.Join(base, "runA", "escape.txt"))
	s, err := New([]string{filepath.Join(base, "runA"), filepath.Join(base, "runB")}, load)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return ts, base
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestRoutes(t *testing.T) {
	ts, _ := setup(t, func(dir string) (*report.Run, error) { return fakeRun("blocks.0.hook_resid_pre") })
	tests := []struct {
		path string
		code int
		want string
	}{
		{"/", 200, "runB"},
		{"/run/runA/", 200, "x@1"},
		{"/run/runA/?sort=-density", 200, "x@1"},
		{"/run/runA", 200, "x@1"}, // redirected
		{"/run/runA/feature/0", 200, `class="tok active"`},
		{"/run/runA/feature/1", 200, "Feature 1: y"},
		{"/run/runA/feature/2", 200, "never activates"},
		{"/run/runA/feature/3", 404, "no such feature"},
		{"/run/runA/feature/-1", 404, "no such feature"},
		{"/run/runA/feature/abc", 404, "not an integer"},
		{"/run/nope/", 404, "no run named"},
		{"/run/nope/files/metrics.jsonl", 404, "no run named"},
		{"/run/runA/features.json", 200, `"coverage"`},
		{"/run/runA/files/metrics.jsonl", 200, "mse_loss"},
		{"/run/runA/files/final", 404, "directory"},
		{"/run/runA/files/missing.txt", 404, ""},
		{"/nothing", 404, ""},
	}
	for _, tc := range tests {
		code, body := get(t, ts.URL+tc.path)
		if code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("GET %s: %d %.200q, want %d containing %q", tc.path, code, body, tc.code, tc.want)
		}
	}
}

func TestFilesStayInsideRunDirectory(t *testing.T) {
	ts, _ := setup(t, func(dir string) (*report.Run, error) { return fakeRun("blocks.0.hook_resid_pre") })
	paths := []string{
		"/run/runA/files/../secret.txt",
		"/run/runA/files/../../secret.txt",
		"/run/runA/files/..%2fsecret.txt",
		"/run/runA/files/..%2F..%2Fsecret.txt",
		"/run/runA/files/final/..%2f..%2fsecret.txt",
		"/run/runA/files/%2e%2e/secret.txt",
		"/run/runA/files/..%5csecret.txt",
		"/run/runA/files/escape.txt", // symlink pointing outside
		"/run/runA/files//etc/passwd",
	}
	bad := 0
	for _, p := range paths {
		req, _ := http.NewRequest("GET", ts.URL+p, nil)
		req.URL.RawPath = "" // send the path as written
		req.URL.Opaque = strings.TrimPrefix(p, "")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(b), "TOP SECRET") || resp.StatusCode == 200 {
			t.Errorf("GET %s: %d %q — a file outside the run directory was served", p, resp.StatusCode, b)
		}
		if resp.StatusCode == 400 {
			bad++
		}
	}
	if bad == 0 {
		t.Error("no request was rejected with 400 by the path check")
	}
}

func TestCleanRel(t *testing.T) {
	tests := []struct {
		in   string
		ok   bool
		want string
	}{
		{"metrics.jsonl", true, "metrics.jsonl"},
		{"final/cfg.json", true, "final/cfg.json"},
		{"a/./b", true, "a/b"},
		{"../x", false, ""},
		{"a/../../x", false, ""},
		{"a/..", false, ""},
		{"/etc/passwd", false, ""},
		{`a\..\x`, false, ""},
		{"a\x00b", false, ""},
		{"", false, ""},
	}
	for _, tc := range tests {
		got, err := cleanRel(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("cleanRel(%q) = %q, %v; want %q ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil && !errors.Is(err, errBadPath) {
			t.Errorf("cleanRel(%q): error %v does not wrap errBadPath", tc.in, err)
		}
	}
}

func TestConcurrentRequestsLoadOnce(t *testing.T) {
	var calls atomic.Int32
	ts, _ := setup(t, func(dir string) (*report.Run, error) {
		calls.Add(1)
		return fakeRun("blocks.0.hook_resid_pre")
	})
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			paths := []string{"/run/runA/", "/run/runA/feature/0", "/run/runA/features.json", "/run/runB/feature/1"}
			p := paths[i%len(paths)]
			resp, err := http.Get(ts.URL + p)
			if err != nil {
				errs <- err.Error()
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				errs <- p + ": " + resp.Status
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("loader called %d times, want 2 (once per run)", n)
	}
}

func TestLoaderFailures(t *testing.T) {
	ts, _ := setup(t, func(dir string) (*report.Run, error) {
		if strings.HasSuffix(dir, "runA") {
			return nil, errors.New("run directory has no SAE (final/ is empty)")
		}
		panic("boom")
	})
	s := ts.Config.Handler
	_ = s
	// runA has a metrics.jsonl and no final SAE: a run still training is
	// shown as pending (the reason and its curves so far), not as a 500.
	code, body := get(t, ts.URL+"/run/runA/")
	if code != 200 || !strings.Contains(body, "no SAE") || !strings.Contains(body, "Not analysed yet") {
		t.Errorf("runA: %d %q", code, body)
	}
	code, body = get(t, ts.URL+"/run/runB/feature/0")
	if code != 500 || !strings.Contains(body, "internal error") {
		t.Errorf("runB: %d %q", code, body)
	}
	// A failed load is retried (the loader panics again: still 500).
	code, _ = get(t, ts.URL+"/run/runB/")
	if code != 500 {
		t.Errorf("runB retry: %d", code)
	}
	// The server is still up.
	if code, _ := get(t, ts.URL+"/"); code != 200 {
		t.Errorf("index after failures: %d", code)
	}
}

func TestFailedLoadIsRetried(t *testing.T) {
	var calls atomic.Int32
	ts, _ := setup(t, func(dir string) (*report.Run, error) {
		if calls.Add(1) == 1 {
			return nil, errors.New("training not finished")
		}
		return fakeRun("blocks.0.hook_resid_pre")
	})
	if code, body := get(t, ts.URL+"/run/runA/"); code != 200 || !strings.Contains(body, "training not finished") {
		t.Errorf("first load: %d, want 200 with the pending page", code)
	}
	for i := 0; i < 3; i++ {
		if code, _ := get(t, ts.URL+"/run/runA/"); code != 200 {
			t.Errorf("reload %d: %d, want 200", i, code)
		}
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("loader called %d times, want 2", n)
	}
}

func TestNewErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	os.WriteFile(file, nil, 0o644)
	load := func(string) (*report.Run, error) { return nil, nil }
	tests := []struct {
		name string
		dirs []string
		load Loader
	}{
		{"none", nil, load},
		{"missing", []string{filepath.Join(dir, "nope")}, load},
		{"file", []string{file}, load},
		{"no-loader", []string{dir}, nil},
	}
	for _, tc := range tests {
		if _, err := New(tc.dirs, tc.load); err == nil {
			t.Errorf("%s: expected an error", tc.name)
		}
	}
	s, err := New([]string{dir, dir}, load)
	if err != nil || s.runs[1].name != filepath.Base(dir)+"-2" {
		t.Errorf("duplicate names: %v %v", err, s)
	}
}
