package trainlog

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/glassbox-interp/glassbox/sae"
)

// minInterval is the shortest time between two progress lines (the final
// one is always drawn).
const minInterval = 100 * time.Millisecond

// Bar returns an OnProgress callback that draws the progress line on w,
// at most every 100 ms, ending the line when the run finishes or stops.
func Bar(w io.Writer) func(sae.Progress) {
	var last time.Time
	return func(p sae.Progress) {
		if p.Stopped {
			if !last.IsZero() {
				fmt.Fprintln(w)
			}
			return
		}
		now := time.Now()
		if !p.Final && now.Sub(last) < minInterval {
			return
		}
		last = now
		fmt.Fprint(w, Line(p))
		if p.Final {
			fmt.Fprintln(w)
		}
	}
}

// Line renders one progress line: "\r<step>| MSE Loss … | L1 …: <pct>%|<bar>| done/total [elapsed<remaining, rate it/s]".
func Line(p sae.Progress) string {
	total := p.TotalTokens
	done := min(p.Tokens, total)
	frac := 0.0
	if total > 0 {
		frac = float64(done) / float64(total)
	}
	const width = 40
	filled := int(frac * width)
	bar := strings.Repeat("█", filled) + strings.Repeat(" ", width-filled)
	rate := float64(p.RunTokens) / math.Max(p.Elapsed.Seconds(), 1e-9)
	remain := time.Duration(0)
	if rate > 0 {
		remain = time.Duration(float64(total-done) / rate * float64(time.Second))
	}
	return fmt.Sprintf("\r%d| MSE Loss %.3f | L1 %.3f: %3d%%|%s| %d/%d [%s<%s, %.0f it/s]",
		p.Step, p.MSE, p.L1, int(frac*100), bar, done, total, clock(p.Elapsed), clock(remain), rate)
}

// clock formats a duration as mm:ss or h:mm:ss.
func clock(d time.Duration) string {
	s := int(d.Seconds())
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%02d:%02d", s/60, s%60)
}
