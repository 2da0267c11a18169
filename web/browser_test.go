package web

import (
	"context"
	"image/png"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/glassbox-interp/glassbox/report"
)

// chromium finds a headless-capable Chromium, or skips the test.
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium on PATH (apt-get install -y chromium): skipping the end-to-end browser test")
	return ""
}

func runChromium(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--no-first-run", "--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium %v: %v", args, err)
	}
	return out
}

// TestBrowserFeaturePage loads a feature page in headless Chromium and checks
// that the top examples are in the rendered DOM and that the highlighted
// (orange) active tokens are actually painted in a screenshot.
func TestBrowserFeaturePage(t *testing.T) {
	bin := chromium(t)
	base := t.TempDir()
	os.MkdirAll(filepath.Join(base, "runA"), 0o755)
	s, err := New([]string{filepath.Join(base, "runA")}, func(string) (*report.Run, error) { return fakeRun("blocks.0.hook_resid_pre") })
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	url := ts.URL + "/run/runA/feature/0"

	dom := string(runChromium(t, bin, "--dump-dom", url))
	if !strings.Contains(dom, "Feature 0: x@1") {
		t.Fatalf("rendered DOM lacks the feature heading:\n%.500s", dom)
	}
	if n := strings.Count(dom, `class="example"`); n != 3 {
		t.Errorf("rendered DOM has %d example rows, want 3", n)
	}
	if n := strings.Count(dom, `class="tok active"`); n < 3 {
		t.Errorf("rendered DOM has %d highlighted tokens, want >= 3", n)
	}

	shot := filepath.Join(t.TempDir(), "feature.png")
	runChromium(t, bin, "--hide-scrollbars", "--window-size=1000,900", "--screenshot="+shot, url)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	orange := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			r, g, bl = r>>8, g>>8, bl>>8
			if r > 230 && g > 100 && g < 180 && bl < 90 {
				orange++
			}
		}
	}
	// Three highlighted tokens of roughly 20×20 pixels each.
	t.Logf("%d highlight-coloured pixels", orange)
	if orange < 300 {
		t.Errorf("screenshot has %d highlight-coloured pixels; the active tokens are not visible", orange)
	}
}
