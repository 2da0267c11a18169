package bench

import (
	"bytes"
	"fmt"
	"math"
	"sort"

	"github.com/glassbox-interp/glassbox/svgplot"
)

// archColors are the series colours of the frontier plot, in rank order.
var archColors = []string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"}

// FrontierSVG draws mean L0 (x) against mean coverage (y) for every
// architecture × sparsity row, one colour per architecture, with each
// architecture's Pareto frontier joined by a line (filled markers are on
// the frontier, hollow ones are dominated). It is a standalone SVG
// document that can also be inlined in HTML.
func (lb Leaderboard) FrontierSVG() []byte {
	const (
		w, h           = 760.0, 460.0
		left, right    = 70.0, 580.0
		top, bottom    = 40.0, 400.0
		legendX        = 600.0
		tickFont, font = 11, 13
	)
	type series struct {
		arch  string
		color string
		rows  []Row
	}
	var ss []series
	colorOf := map[string]int{}
	for i, r := range lb.Archs {
		colorOf[r.Name()] = i
	}
	byArch := map[string][]Row{}
	maxL0 := 0.0
	for _, r := range lb.Sparsity {
		if r.Stat(MetricL0).N == 0 || r.Stat(MetricCoverage).N == 0 {
			continue
		}
		byArch[r.Name()] = append(byArch[r.Name()], r)
		maxL0 = math.Max(maxL0, r.Stat(MetricL0).Mean)
	}
	for _, a := range lb.Archs {
		if rows := byArch[a.Name()]; len(rows) > 0 {
			sort.SliceStable(rows, func(i, j int) bool { return rows[i].Stat(MetricL0).Mean < rows[j].Stat(MetricL0).Mean })
			ss = append(ss, series{a.Name(), archColors[colorOf[a.Name()]%len(archColors)], rows})
		}
	}
	step := svgplot.NiceStep(maxL0, 6)
	xMax := math.Max(step, math.Ceil(maxL0*1.05/step)*step)
	X := svgplot.Scale{D0: 0, D1: xMax, R0: left, R1: right}.At
	Y := svgplot.Scale{D0: 0, D1: 1, R0: bottom, R1: top}.At

	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" viewBox="0 0 %g %g" font-family="sans-serif">`+"\n", w, h, w, h)
	fmt.Fprintf(&b, `<rect width="%g" height="%g" fill="white"/>`+"\n", w, h)
	fmt.Fprintf(&b, `<text x="%g" y="24" font-size="15" font-weight="bold">L0 vs coverage (mean per architecture × sparsity)</text>`+"\n", left)
	// Grid and ticks.
	for v := 0.0; v <= xMax+step/2; v += step {
		x := X(v)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%g" x2="%.1f" y2="%g" stroke="#e6e6e6"/>`+"\n", x, top, x, bottom)
		fmt.Fprintf(&b, `<text x="%.1f" y="%g" font-size="%d" text-anchor="middle">%s</text>`+"\n", x, bottom+16, tickFont, formatFloat(math.Round(v*1e6)/1e6))
	}
	for i := 0; i <= 5; i++ {
		v := float64(i) / 5
		y := Y(v)
		fmt.Fprintf(&b, `<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="#e6e6e6"/>`+"\n", left, y, right, y)
		fmt.Fprintf(&b, `<text x="%g" y="%.1f" font-size="%d" text-anchor="end">%.1f</text>`+"\n", left-6, y+4, tickFont, v)
	}
	fmt.Fprintf(&b, `<rect x="%g" y="%g" width="%g" height="%g" fill="none" stroke="#444"/>`+"\n", left, top, right-left, bottom-top)
	fmt.Fprintf(&b, `<text x="%g" y="%g" font-size="%d" text-anchor="middle">L0 (mean active latents per token)</text>`+"\n", (left+right)/2, bottom+38, font)
	fmt.Fprintf(&b, `<text x="18" y="%g" font-size="%d" text-anchor="middle" transform="rotate(-90 18 %g)">coverage of circuit variables</text>`+"\n", (top+bottom)/2, font, (top+bottom)/2)
	if len(ss) == 0 {
		fmt.Fprintf(&b, `<text x="%g" y="%g" font-size="%d" text-anchor="middle" fill="#888">no successful cell reported both L0 and coverage</text>`+"\n", (left+right)/2, (top+bottom)/2, font)
	}
	for si, s := range ss {
		var line bytes.Buffer
		for _, r := range s.rows {
			if r.Frontier {
				fmt.Fprintf(&line, "%.1f,%.1f ", X(r.Stat(MetricL0).Mean), Y(r.Stat(MetricCoverage).Mean))
			}
		}
		fmt.Fprintf(&b, `<g class="arch" data-arch="%s">`+"\n", svgplot.Escape(s.arch))
		if line.Len() > 0 {
			fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`+"\n", bytes.TrimSpace(line.Bytes()), s.color)
		}
		for _, r := range s.rows {
			l0, cov := r.Stat(MetricL0).Mean, r.Stat(MetricCoverage).Mean
			fill := "white"
			if r.Frontier {
				fill = s.color
			}
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="4.5" fill="%s" stroke="%s" stroke-width="1.5"><title>%s</title></circle>`+"\n",
				X(l0), Y(cov), fill, s.color,
				svgplot.Escape(fmt.Sprintf("%s %s: L0 %.2f, coverage %.3f (%d cells)", s.arch, r.Group, l0, cov, r.Stat(MetricCoverage).N)))
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="10" fill="%s">%s</text>`+"\n", X(l0)+6, Y(cov)-6, s.color, svgplot.Escape(r.Group))
		}
		ly := top + 10 + 22*float64(si)
		fmt.Fprintf(&b, `<circle cx="%g" cy="%.1f" r="5" fill="%s"/><text x="%g" y="%.1f" font-size="%d">%s</text>`+"\n",
			legendX, ly, s.color, legendX+12, ly+4, font, svgplot.Escape(s.arch))
		b.WriteString("</g>\n")
	}
	if len(ss) > 0 {
		ly := top + 10 + 22*float64(len(ss)) + 8
		fmt.Fprintf(&b, `<text x="%g" y="%.1f" font-size="10" fill="#555">filled: on the frontier</text>`+"\n", legendX-6, ly)
		fmt.Fprintf(&b, `<text x="%g" y="%.1f" font-size="10" fill="#555">hollow: dominated</text>`+"\n", legendX-6, ly+14)
	}
	b.WriteString("</svg>\n")
	return b.Bytes()
}
