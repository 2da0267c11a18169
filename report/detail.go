package report

import (
	"fmt"
	"html/template"
	"math"
	"strings"

	"github.com/glassbox-interp/glassbox/features"
	"github.com/glassbox-interp/glassbox/svgplot"
)

// collapse merges examples that show the same tokens, active position and
// activation into one row with a count (a token@position feature's top
// examples are often many copies of one string). With prefix set (a causal
// model) only the tokens up to the active position are compared.
func collapse(ex []ExampleView, prefix bool) []ExampleView {
	var out []ExampleView
	at := map[string]int{}
	for _, e := range ex {
		var k strings.Builder
		fmt.Fprintf(&k, "%d|%s|%s|", e.Position, fmtNum(float64(e.Value)), e.GT)
		for i, t := range e.Tokens {
			if prefix && i > e.Position {
				break
			}
			k.WriteString(t.Text)
			k.WriteByte(0)
		}
		if i, ok := at[k.String()]; ok {
			out[i].Count++
			continue
		}
		e.Count = 1
		at[k.String()] = len(out)
		out = append(out, e)
	}
	return out
}

// densityHistSVG draws the histogram of log10(firing density) over the live
// features, with the dead ones counted in the caption.
func densityHistSVG(stats []features.FeatureStats, w, h int) template.HTML {
	const lo, hi, bins = -6.0, 0.0, 24
	counts := make([]int, bins)
	dead, live := 0, 0
	for _, s := range stats {
		if !s.Live || s.Density <= 0 {
			dead++
			continue
		}
		live++
		v := math.Log10(s.Density)
		b := int((v - lo) / (hi - lo) * bins)
		b = max(0, min(bins-1, b))
		counts[b]++
	}
	const padL, padR, padT, padB = 40, 10, 8, 30
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart hist" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="feature density histogram">`, w, h, w, h)
	top := 0
	for _, c := range counts {
		top = max(top, c)
	}
	pw, ph := float64(w-padL-padR), float64(h-padT-padB)
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.0f" height="%.0f" class="frame"/>`, padL, padT, pw, ph)
	bw := pw / bins
	for i, c := range counts {
		if c == 0 {
			continue
		}
		bh := float64(c) / float64(top) * ph
		fmt.Fprintf(&b, `<rect class="bar" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>density 1e%.2f–1e%.2f: %d features</title></rect>`,
			padL+float64(i)*bw+0.5, padT+ph-bh, math.Max(bw-1, 0.5), bh, lo+float64(i)*(hi-lo)/bins, lo+float64(i+1)*(hi-lo)/bins, c)
	}
	for e := lo; e <= hi; e++ {
		x := padL + (e-lo)/(hi-lo)*pw
		fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" class="tick" text-anchor="middle">1e%d</text>`, x, padT+ph+12, int(e))
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" class="tick" text-anchor="end">%d</text>`, padL-4, padT+10, top)
	fmt.Fprintf(&b, `<text x="%.0f" y="%d" class="tick" text-anchor="end">firing density (log10) · %d live, %d dead</text>`, padL+pw, h-3, live, dead)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// scatterSVG draws (value, activation) points.
func scatterSVG(pts [][2]float64, xName string, w, h int) template.HTML {
	const padL, padR, padT, padB = 50, 10, 10, 30
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="activation against %s">`, w, h, w, h, template.HTMLEscapeString(xName))
	if len(pts) == 0 {
		b.WriteString(`<text x="10" y="20">no data</text></svg>`)
		return template.HTML(b.String())
	}
	xs, ys := make([]float64, len(pts)), make([]float64, len(pts))
	for i, p := range pts {
		xs[i], ys[i] = p[0], p[1]
	}
	x0, x1 := svgplot.MinMax(xs)
	y0, y1 := svgplot.MinMax(ys)
	pw, ph := float64(w-padL-padR), float64(h-padT-padB)
	sx := svgplot.Scale{D0: x0, D1: x1, R0: padL, R1: padL + pw}
	sy := svgplot.Scale{D0: y0, D1: y1, R0: padT + ph, R1: padT}
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.0f" height="%.0f" class="frame"/>`, padL, padT, pw, ph)
	for _, v := range ticks(y0, y1, 4) {
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" class="tick" text-anchor="end">%s</text>`, padL-4, sy.At(v)+3, fmtNum(v))
	}
	for _, v := range ticks(x0, x1, 5) {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" class="tick" text-anchor="middle">%s</text>`, sx.At(v), padT+ph+12, fmtNum(v))
	}
	for _, p := range pts {
		fmt.Fprintf(&b, `<circle class="pt" cx="%.1f" cy="%.1f" r="3"/>`, sx.At(p[0]), sy.At(p[1]))
	}
	fmt.Fprintf(&b, `<text x="%.0f" y="%d" class="tick" text-anchor="end">%s (x) · activation (y)</text>`, padL+pw, h-3, template.HTMLEscapeString(xName))
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// BarView is one signed value drawn as a bar in a table.
type BarView struct {
	Label string
	Value float64
	Width int // percent of the largest |value|
	Neg   bool
}

// bars scales signed values for drawing.
func bars(labels []string, vals []float64) []BarView {
	top := 0.0
	for _, v := range vals {
		top = math.Max(top, math.Abs(v))
	}
	out := make([]BarView, len(vals))
	for i, v := range vals {
		w := 0
		if top > 0 {
			w = int(math.Round(100 * math.Abs(v) / top))
		}
		out[i] = BarView{Label: labels[i], Value: v, Width: w, Neg: v < 0}
	}
	return out
}
