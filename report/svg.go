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

// lineSVG draws a curve as an inline SVG line chart with round ticks.
func lineSVG(c workload.Curve, w, h int) template.HTML {
	return chartSVG([]Series{{Name: c.Name, X: c.X, Y: c.Y}}, chartOpts{W: w, H: h, XName: c.XName})
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
