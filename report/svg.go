package report

import (
	"fmt"
	"html/template"
	"math"
	"strings"

	"github.com/glassbox-interp/glassbox/svgplot"
	"github.com/glassbox-interp/glassbox/workload"
)

// fmtNum prints a number compactly for axis labels and tables.
func fmtNum(v float64) string { return svgplot.Num(v) }

// lineSVG draws a curve as an inline SVG line chart with min/max labels.
func lineSVG(c workload.Curve, w, h int) template.HTML {
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
	x0, x1 := svgplot.MinMax(xs)
	y0, y1 := svgplot.MinMax(ys)
	pw, ph := float64(w-padL-padR), float64(h-padT-padB)
	sx := svgplot.Scale{D0: x0, D1: x1, R0: float64(padL), R1: float64(padL) + pw}
	sy := svgplot.Scale{D0: y0, D1: y1, R0: float64(padT) + ph, R1: float64(padT)}
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.0f" height="%.0f" class="frame"/>`, padL, padT, pw, ph)
	fmt.Fprintf(&b, `<polyline class="line" points="%s"/>`, svgplot.Points(xs, ys, sx, sy))
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
