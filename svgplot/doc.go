// Package svgplot holds the small pieces every inline SVG chart of glassbox
// shares (the report's curves and histograms, bench's frontier plot):
//
//	sx := svgplot.Scale{D0: 0, D1: maxX, R0: left, R1: right}
//	sy := svgplot.Scale{D0: 0, D1: 1, R0: bottom, R1: top}
//	fmt.Fprintf(&b, `<polyline points="%s"/>`, svgplot.Points(xs, ys, sx, sy))
//	fmt.Fprintf(&b, `<text>%s</text>`, svgplot.Escape(name))
//
// It draws nothing itself: callers write their own elements.
package svgplot
