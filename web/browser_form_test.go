package web

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/glassbox-interp/glassbox/report"
)

// formDriver is a test page that loads the run's try page in a frame, fills
// in the form like a user (input, feature, mode), submits it, and copies
// the resulting page's table into its own DOM for --dump-dom.
const formDriver = `<!doctype html><html><body><div id="out">waiting</div>
<iframe id="f" src="/run/runA/try" width="900" height="600"></iframe>
<script>
var f = document.getElementById("f"), step = 0;
f.addEventListener("load", function(){
  var d = f.contentDocument;
  if (step === 0) {
    step = 1;
    d.getElementById("input").value = "x y";
    d.getElementById("feature").value = "0";
    d.getElementById("mode").value = "zero";
    d.getElementById("run").click();
    return;
  }
  var t = d.getElementById("probe"), c = d.getElementById("changed");
  document.getElementById("out").innerHTML = "submitted " + d.location.search + (t ? t.outerHTML : "no table") + (c ? c.outerHTML : "");
});
</script></body></html>`

// TestBrowserTryForm fills in and submits the try-your-input form in
// headless Chromium and checks the per-position table it gets back.
func TestBrowserTryForm(t *testing.T) {
	bin := chromium(t)
	base := t.TempDir()
	os.MkdirAll(filepath.Join(base, "runA"), 0o755)
	s, err := New([]string{filepath.Join(base, "runA")}, func(string) (*report.Run, error) { return probeRun("blocks.0.hook_resid_pre") })
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/driver" {
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte(formDriver))
			return
		}
		h.ServeHTTP(w, r)
	}))
	defer ts.Close()
	dom := string(runChromium(t, bin, "--virtual-time-budget=10000", "--dump-dom", ts.URL+"/driver"))
	for _, want := range []string{"submitted ?input=x+y&amp;feature=0&amp;mode=zero", `id="probe"`, `class="changed"`, "2 position(s) change output"} {
		if !strings.Contains(dom, want) {
			t.Errorf("after submitting the form the page lacks %q:\n%.1500s", want, dom)
		}
	}
}

// TestBrowserLiveRefresh opens a run page in headless Chromium while
// metrics.jsonl grows (a line is appended after the page's first poll) and
// checks that the page redrew its curves with the new metric.
func TestBrowserLiveRefresh(t *testing.T) {
	bin := chromium(t)
	base := t.TempDir()
	run := filepath.Join(base, "runA")
	os.MkdirAll(run, 0o755)
	metrics := filepath.Join(run, "metrics.jsonl")
	os.WriteFile(metrics, []byte(`{"step":0,"losses/mse_loss":1,"details/n_training_tokens":100}`+"\n"), 0o644)
	s, err := New([]string{run}, func(string) (*report.Run, error) { return probeRun("blocks.0.hook_resid_pre") })
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	var polls atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/metrics-stamp") && polls.Add(1) == 2 {
			f, _ := os.OpenFile(metrics, os.O_APPEND|os.O_WRONLY, 0)
			f.WriteString(`{"step":1,"losses/mse_loss":0.5,"metrics/l0":4.5,"details/n_training_tokens":200}` + "\n")
			f.Close()
		}
		h.ServeHTTP(w, r)
	}))
	defer ts.Close()
	dom := string(runChromium(t, bin, "--virtual-time-budget=15000", "--dump-dom", ts.URL+"/run/runA/"))
	if polls.Load() < 3 {
		t.Errorf("the page polled metrics-stamp %d times, want >= 3", polls.Load())
	}
	i := strings.Index(dom, `id="curves"`)
	if i < 0 {
		t.Fatalf("no curves box:\n%.800s", dom)
	}
	if !strings.Contains(dom[i:], "metrics/l0") || !strings.Contains(dom, "updated ") {
		t.Errorf("the curves were not redrawn with the new metric:\n%.1500s", dom[i:])
	}
}
