package trainlog

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/glassbox-interp/glassbox/sae"
)

func TestSparkline(t *testing.T) {
	nan := math.NaN()
	for _, c := range []struct {
		name  string
		v     []float64
		width int
		want  string
	}{
		{"empty", nil, 40, ""},
		{"rising", []float64{0, 1, 2, 3, 4, 5, 6, 7}, 40, "▁▂▃▄▅▆▇█"},
		{"flat", []float64{2, 2, 2}, 40, "▁▁▁"},
		{"bucketed", []float64{0, 0, 10, 10}, 2, "▁█"},
		{"nan bucket", []float64{0, nan, 1}, 3, "▁ █"},
		{"zero width", []float64{1}, 0, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := Sparkline(c.v, c.width); got != c.want {
				t.Errorf("Sparkline(%v, %d) = %q, want %q", c.v, c.width, got, c.want)
			}
		})
	}
}

func TestSummary(t *testing.T) {
	recs := []sae.Record{
		{Step: 9, Values: map[string]float64{"losses/mse_loss": 2, "metrics/l0": 5}, Order: []string{"losses/mse_loss", "metrics/l0"}},
		{Step: 19, Values: map[string]float64{"losses/mse_loss": 1}, Order: []string{"losses/mse_loss"}},
	}
	want := "losses/mse_loss █▁ 1\nmetrics/l0      ▁ 5\n"
	if got := Summary(recs); got != want {
		t.Errorf("Summary:\n%q\nwant\n%q", got, want)
	}
}

// TestSummaryUndefinedEV: an explained variance that is NaN (the inputs
// do not vary) is printed as such, not as NaN.
func TestSummaryUndefinedEV(t *testing.T) {
	recs := []sae.Record{{Step: 1, Values: map[string]float64{"eval/explained_variance": math.NaN()}, Order: []string{"eval/explained_variance"}}}
	if got := Summary(recs); !strings.HasSuffix(got, " n/a (inputs do not vary)\n") {
		t.Errorf("Summary = %q", got)
	}
}

func TestBar(t *testing.T) {
	var buf bytes.Buffer
	bar := Bar(&buf)
	p := sae.Progress{Step: 10, Tokens: 800, TotalTokens: 1600, RunTokens: 800, Elapsed: 2 * time.Second, MSE: 0.5, L1: 0.25}
	bar(p)
	bar(p) // within 100 ms: not drawn
	p.Step, p.Tokens, p.RunTokens, p.Final = 20, 1600, 1600, true
	bar(p)
	got := buf.String()
	want := "\r10| MSE Loss 0.500 | L1 0.250:  50%|" + strings.Repeat("█", 20) + strings.Repeat(" ", 20) + "| 800/1600 [00:02<00:02, 400 it/s]" +
		"\r20| MSE Loss 0.500 | L1 0.250: 100%|" + strings.Repeat("█", 40) + "| 1600/1600 [00:02<00:00, 800 it/s]\n"
	if got != want {
		t.Errorf("bar output\n%q\nwant\n%q", got, want)
	}
	// A stopped run ends the line only if one was drawn.
	var quiet bytes.Buffer
	Bar(&quiet)(sae.Progress{Stopped: true})
	if quiet.Len() != 0 {
		t.Errorf("stopped before drawing wrote %q", quiet.String())
	}
	buf.Reset()
	bar(sae.Progress{Stopped: true})
	if buf.String() != "\n" {
		t.Errorf("stopped after drawing wrote %q, want a newline", buf.String())
	}
}
