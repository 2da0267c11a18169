package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glassbox-interp/glassbox/features/rundir"
	"github.com/glassbox-interp/glassbox/report"
	"github.com/glassbox-interp/glassbox/web"
	"github.com/glassbox-interp/glassbox/workload"
)

// TestPatternHookRunEndToEnd is issue 13's acceptance run: an SAE trained on
// head 0 of blocks.1.attn.hook_pattern trains, analyses (features,
// sae-eval), reports and serves, because every step reads the hook through
// workload.View.
func TestPatternHookRunEndToEnd(t *testing.T) {
	run := filepath.Join(t.TempDir(), "R")
	if _, _, err := runTrainCLI(t, "train", "--case", "3", "--hook", "blocks.1.attn.hook_pattern", "--head", "0",
		"--training-tokens", "8000", "--out", run, "--quiet"); err != nil {
		t.Fatalf("train: %v", err)
	}
	out, err := runFeaturesCLI(t, "features", run)
	if err != nil || !strings.Contains(out, "blocks.1.attn.hook_pattern") {
		t.Fatalf("features: %v\n%s", err, out)
	}
	if out, err = runFeaturesCLI(t, "sae-eval", run); err != nil || !strings.Contains(out, "explained variance") {
		t.Fatalf("sae-eval: %v\n%s", err, out)
	}
	if _, err = runFeaturesCLI(t, "report", run); err != nil {
		t.Fatalf("report: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(run, "report.html")); err != nil || !strings.Contains(string(b), "hook_pattern") {
		t.Fatalf("report.html: %v", err)
	}
	srv, err := web.New([]string{run}, func(dir string) (*report.Run, error) {
		res, err := rundir.Load(dir, rundir.Options{Cases: workload.CatalogueCase})
		if err != nil {
			return nil, err
		}
		return report.FromResult(res), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	resp, err := http.Get(ts.URL + "/run/R/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "hook_pattern") {
		t.Fatalf("serve: %d\n%.300s", resp.StatusCode, body)
	}
}
