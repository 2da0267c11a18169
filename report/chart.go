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

// sameAll reports whether every value equals the first.
func sameAll(v []float64) bool {
	for _, x := range v {
		if x != v[0] {
			return false
		}
	}
	return len(v) > 0
}

// logTicks returns the integer decades in [lo, hi] (log10 units), or nil
// when the range spans less than two of them.
func logTicks(lo, hi float64) []float64 {
	var out []float64
	for e := math.Ceil(lo); e <= hi+1e-9; e++ {
		out = append(out, e)
	}
	if len(out) < 2 {
		return nil
	}
	for len(out) > 6 { // keep every other decade
		var half []float64
		for i := 0; i < len(out); i += 2 {
			half = append(half, out[i])
		}
		out = half
	}
	return out
}

// axisNum prints an x tick compactly: 1.5M, 500k, 0.25.
func axisNum(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e9:
		return strings.TrimSuffix(fmt.Sprintf("%.3g", v/1e9), ".0") + "G"
	case a >= 1e6:
		return fmt.Sprintf("%.3gM", v/1e6)
	case a >= 1e3:
		return fmt.Sprintf("%.3gk", v/1e3)
	}
	return fmtNum(v)
}

// chartSVG draws series as lines over shared axes with round ticks. A
// series with a single point is drawn as a dot, so one eval record is
// visible instead of an empty frame.
func chartSVG(series []Series, o chartOpts) template.HTML {
	const padL, padR, padB = 56, 22, 30
	padT := 10
	if o.Legend {
		padT = 12 + 13*((len(series)+2)/3)
	}
	var b strings.Builder
	label := "chart"
	if len(series) > 0 {
		label = series[0].Name
	}
	fmt.Fprintf(&b, `<svg class="chart" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="%s">`, o.W, o.H, o.W, o.H, template.HTMLEscapeString(label))
	var allX, allY []float64
	pts := make([][2][]float64, len(series))
	collect := func() {
		allX, allY = nil, nil
		for i, s := range series {
			xs, ys := finite(s, o.LogY)
			pts[i] = [2][]float64{xs, ys}
			allX, allY = append(allX, xs...), append(allY, ys...)
		}
	}
	collect()
	linearNote := ""
	if o.LogY {
		nonPos := false
		for _, s := range series {
			for _, y := range s.Y {
				nonPos = nonPos || y <= 0
			}
		}
		if nonPos { // a log axis would hide values ≤ 0
			o.LogY, linearNote = false, " (linear: values ≤ 0)"
			collect()
		}
	}
	if len(allX) == 0 {
		b.WriteString(`<text x="10" y="20">no data</text></svg>`)
		return template.HTML(b.String())
	}
	x0, x1 := svgplot.MinMax(allX)
	y0, y1 := svgplot.MinMax(allY)
	oneX, oneY := x1 == x0+1 && sameAll(allX), y1 == y0+1 && sameAll(allY)
	if oneX { // one x value (a single eval record): centre it
		d := math.Max(math.Abs(x0)*0.05, 0.5)
		x0, x1 = x0-d, x0+d
	}
	if oneY {
		d := math.Max(math.Abs(y0)*0.1, 0.5)
		y0, y1 = y0-d, y0+d
	}
	pw, ph := float64(o.W-padL-padR), float64(o.H-padT-padB)
	sx := svgplot.Scale{D0: x0, D1: x1, R0: padL, R1: padL + pw}
	pt := float64(padT)
	sy := svgplot.Scale{D0: y0, D1: y1, R0: pt + ph, R1: pt}
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.0f" height="%.0f" class="frame"/>`, padL, padT, pw, ph)
	yt := ticks(y0, y1, 4)
	if o.LogY {
		if lt := logTicks(y0, y1); lt != nil {
			yt = lt
		}
	}
	for _, v := range yt {
		y := sy.At(v)
		txt := fmtNum(v)
		if o.LogY {
			txt = fmtNum(math.Pow(10, v))
		}
		fmt.Fprintf(&b, `<line class="grid" x1="%d" x2="%.0f" y1="%.1f" y2="%.1f"/><text x="%d" y="%.1f" class="tick" text-anchor="end">%s</text>`,
			padL, padL+pw, y, y, padL-4, y+3, txt)
	}
	xt := ticks(x0, x1, 4)
	if oneX {
		xt = []float64{allX[0]}
	}
	for _, v := range xt {
		x := sx.At(v)
		fmt.Fprintf(&b, `<line class="grid" x1="%.1f" x2="%.1f" y1="%d" y2="%.0f"/><text x="%.1f" y="%.0f" class="tick" text-anchor="middle">%s</text>`,
			x, x, padT, pt+ph, x, pt+ph+12, axisNum(v))
	}
	xn := o.XName
	if o.LogY {
		xn += " (log y)"
	}
	xn += linearNote
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
	if o.Legend { // above the plot, three names a row
		colW := pw / 3
		for i, s := range series {
			x, y := float64(padL)+colW*float64(i%3), 11+13*(i/3)
			col := palette[i%len(palette)]
			fmt.Fprintf(&b, `<rect x="%.1f" y="%d" width="10" height="3" style="fill:%s"/><text x="%.1f" y="%d" class="tick legend">%s</text>`,
				x, y-4, col, x+14, y, template.HTMLEscapeString(s.Name))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
