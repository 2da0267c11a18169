package report

import (
	"fmt"
	"html/template"
	"math"
	"strings"

	"github.com/glassbox-interp/glassbox/svgplot"
)

// Series is one line of a chart.
type Series struct {
	Name string
	X, Y []float64
}

// chartOpts are a chart's size, axis names and scale.
type chartOpts struct {
	W, H   int
	XName  string
	LogY   bool // log10 y axis (non-positive values are dropped)
	Legend bool
}

// palette colours overlaid series.
var palette = []string{"#1f6fd1", "#d1561f", "#2a9d3c", "#8e44ad", "#c0392b", "#16a085", "#7f6000", "#555555"}

// finite keeps the points a chart can draw.
func finite(s Series, logY bool) (xs, ys []float64) {
	for i := range s.X {
		if i >= len(s.Y) {
			break
		}
		x, y := s.X[i], s.Y[i]
		if math.IsNaN(x) || math.IsInf(x, 0) || math.IsNaN(y) || math.IsInf(y, 0) || (logY && y <= 0) {
			continue
		}
		if logY {
			y = math.Log10(y)
		}
		xs, ys = append(xs, x), append(ys, y)
	}
	return xs, ys
}

// ticks returns round tick values covering [lo, hi].
func ticks(lo, hi float64, n int) []float64 {
	step := svgplot.NiceStep(hi-lo, n)
	var out []float64
	for v := math.Ceil(lo/step) * step; v <= hi+step*1e-9 && len(out) < 20; v += step {
		if math.Abs(v) < step*1e-9 {
			v = 0
		}
		out = append(out, v)
	}
	return out
}

// chartSVG draws series as lines over shared axes with round ticks. A
// series with a single point is drawn as a dot, so one eval record is
// visible instead of an empty frame.
func chartSVG(series []Series, o chartOpts) template.HTML {
	const padL, padR, padT, padB = 56, 10, 10, 30
	var b strings.Builder
	label := "chart"
	if len(series) > 0 {
		label = series[0].Name
	}
	fmt.Fprintf(&b, `<svg class="chart" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="%s">`, o.W, o.H, o.W, o.H, template.HTMLEscapeString(label))
	var allX, allY []float64
	pts := make([][2][]float64, len(series))
	for i, s := range series {
		xs, ys := finite(s, o.LogY)
		pts[i] = [2][]float64{xs, ys}
		allX, allY = append(allX, xs...), append(allY, ys...)
	}
	if len(allX) == 0 {
		b.WriteString(`<text x="10" y="20">no data</text></svg>`)
		return template.HTML(b.String())
	}
	x0, x1 := svgplot.MinMax(allX)
	y0, y1 := svgplot.MinMax(allY)
	if len(allX) > 0 && x0 == allX[0] && x1 == x0+1 && allX[len(allX)-1] == x0 {
		x0, x1 = x0-0.5, x0+0.5 // one x value: centre it
	}
	pw, ph := float64(o.W-padL-padR), float64(o.H-padT-padB)
	sx := svgplot.Scale{D0: x0, D1: x1, R0: padL, R1: padL + pw}
	sy := svgplot.Scale{D0: y0, D1: y1, R0: padT + ph, R1: padT}
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.0f" height="%.0f" class="frame"/>`, padL, padT, pw, ph)
	for _, v := range ticks(y0, y1, 4) {
		y := sy.At(v)
		txt := fmtNum(v)
		if o.LogY {
			txt = fmtNum(math.Pow(10, v))
		}
		fmt.Fprintf(&b, `<line class="grid" x1="%d" x2="%.0f" y1="%.1f" y2="%.1f"/><text x="%d" y="%.1f" class="tick" text-anchor="end">%s</text>`,
			padL, padL+pw, y, y, padL-4, y+3, txt)
	}
	for _, v := range ticks(x0, x1, 4) {
		x := sx.At(v)
		fmt.Fprintf(&b, `<line class="grid" x1="%.1f" x2="%.1f" y1="%d" y2="%.0f"/><text x="%.1f" y="%.0f" class="tick" text-anchor="middle">%s</text>`,
			x, x, padT, padT+ph, x, padT+ph+12, fmtNum(v))
	}
	xn := o.XName
	if o.LogY {
		xn += " (log y)"
	}
	fmt.Fprintf(&b, `<text x="%.0f" y="%d" class="tick" text-anchor="end">%s</text>`, padL+pw, o.H-3, template.HTMLEscapeString(xn))
	for i, p := range pts {
		col := palette[i%len(palette)]
		xs, ys := p[0], p[1]
		if len(xs) > 1 {
			fmt.Fprintf(&b, `<polyline class="line" style="stroke:%s" points="%s"><title>%s</title></polyline>`, col, svgplot.Points(xs, ys, sx, sy), template.HTMLEscapeString(series[i].Name))
		}
		if len(xs) <= 3 {
			for j := range xs {
				fmt.Fprintf(&b, `<circle class="dot" cx="%.1f" cy="%.1f" r="3" style="fill:%s"><title>%s</title></circle>`, sx.At(xs[j]), sy.At(ys[j]), col, fmtNum(series[i].Y[j]))
			}
		}
	}
	if o.Legend {
		for i, s := range series {
			fmt.Fprintf(&b, `<text x="%d" y="%d" class="tick" style="fill:%s">%s</text>`, padL+6, padT+12+12*i, palette[i%len(palette)], template.HTMLEscapeString(s.Name))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
