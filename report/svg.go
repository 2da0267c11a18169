package report

import (
	"fmt"
	"html/template"
	"math"
	"strings"
)

// fmtNum prints a number compactly for axis labels and tables.
func fmtNum(v float64) string {
	switch {
	case math.IsNaN(v):
		return "–"
	case v != 0 && (math.Abs(v) >= 1e5 || math.Abs(v) < 1e-3):
		return fmt.Sprintf("%.3g", v)
	default:
		return fmt.Sprintf("%.4g", v)
	}
}

// lineSVG draws a curve as an inline SVG line chart with min/max labels.
func lineSVG(c Curve, w, h int) template.HTML {
	const padL, padR, padT, padB = 52, 8, 8, 22
	var xs, ys []float64
	for i := range c.X {
		if !math.IsNaN(c.Y[i]) && !math.IsInf(c.Y[i], 0) {
			xs = append(xs, c.X[i])
			ys = append(ys, c.Y[i])
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="%s">`, w, h, w, h, template.HTMLEscapeString(c.Name))
	if len(xs) == 0 {
		b.WriteString(`<text x="10" y="20">no data</text></svg>`)
		return template.HTML(b.String())
	}
	x0, x1 := minMax(xs)
	y0, y1 := minMax(ys)
	if x1 == x0 {
		x1 = x0 + 1
	}
	if y1 == y0 {
		y1 = y0 + 1
	}
	pw, ph := float64(w-padL-padR), float64(h-padT-padB)
	px := func(x float64) float64 { return float64(padL) + (x-x0)/(x1-x0)*pw }
	py := func(y float64) float64 { return float64(padT) + (1-(y-y0)/(y1-y0))*ph }
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.0f" height="%.0f" class="frame"/>`, padL, padT, pw, ph)
	b.WriteString(`<polyline class="line" points="`)
	for i := range xs {
		fmt.Fprintf(&b, "%.1f,%.1f ", px(xs[i]), py(ys[i]))
	}
	b.WriteString(`"/>`)
	fmt.Fprintf(&b, `<text x="%d" y="%d" class="tick" text-anchor="end">%s</text>`, padL-4, padT+10, fmtNum(y1))
	fmt.Fprintf(&b, `<text x="%d" y="%.0f" class="tick" text-anchor="end">%s</text>`, padL-4, float64(padT)+ph, fmtNum(y0))
	fmt.Fprintf(&b, `<text x="%d" y="%d" class="tick">%s</text>`, padL, h-6, fmtNum(x0))
	fmt.Fprintf(&b, `<text x="%d" y="%d" class="tick" text-anchor="end">%s %s</text>`, w-padR, h-6, fmtNum(x1), template.HTMLEscapeString(c.XName))
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// histSVG draws histogram counts over (0, max] as bars.
func histSVG(counts []int, max float64, w, h int) template.HTML {
	const padL, padR, padT, padB = 40, 8, 8, 22
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart hist" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="activation histogram">`, w, h, w, h)
	top := 0
	for _, c := range counts {
		if c > top {
			top = c
		}
	}
	if top == 0 || len(counts) == 0 {
		b.WriteString(`<text x="10" y="20">never active</text></svg>`)
		return template.HTML(b.String())
	}
	pw, ph := float64(w-padL-padR), float64(h-padT-padB)
	bw := pw / float64(len(counts))
	for i, c := range counts {
		bh := float64(c) / float64(top) * ph
		fmt.Fprintf(&b, `<rect class="bar" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>(%s, %s]: %d</title></rect>`,
			float64(padL)+float64(i)*bw+0.5, float64(padT)+ph-bh, math.Max(bw-1, 0.5), bh,
			fmtNum(max*float64(i)/float64(len(counts))), fmtNum(max*float64(i+1)/float64(len(counts))), c)
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" class="tick" text-anchor="end">%d</text>`, padL-4, padT+10, top)
	fmt.Fprintf(&b, `<text x="%d" y="%d" class="tick">0</text>`, padL, h-6)
	fmt.Fprintf(&b, `<text x="%d" y="%d" class="tick" text-anchor="end">%s activation</text>`, w-padR, h-6, fmtNum(max))
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func minMax(v []float64) (lo, hi float64) {
	lo, hi = v[0], v[0]
	for _, x := range v {
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	return
}
