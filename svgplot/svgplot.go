package svgplot

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math"
	"strings"
)

// Scale maps data values in [D0, D1] linearly onto pixels [R0, R1] (R1 < R0
// for a y axis that grows upwards).
type Scale struct{ D0, D1, R0, R1 float64 }

// At is the pixel of data value v.
func (s Scale) At(v float64) float64 { return s.R0 + (v-s.D0)/(s.D1-s.D0)*(s.R1-s.R0) }

// Points formats (x[i], y[i]) mapped through sx and sy as a polyline's
// points attribute ("x,y x,y", one decimal).
func Points(x, y []float64, sx, sy Scale) string {
	var b strings.Builder
	for i := range x {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%.1f,%.1f", sx.At(x[i]), sy.At(y[i]))
	}
	return b.String()
}

// Escape escapes s for SVG text and attribute values.
func Escape(s string) string {
	var b bytes.Buffer
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// Num prints a number compactly for axis labels and tables ("–" for NaN).
func Num(v float64) string {
	switch {
	case math.IsNaN(v):
		return "–"
	case v != 0 && (math.Abs(v) >= 1e5 || math.Abs(v) < 1e-3):
		return fmt.Sprintf("%.3g", v)
	default:
		return fmt.Sprintf("%.4g", v)
	}
}

// NiceStep returns a round tick step (1, 2 or 5 × 10^k) giving about n
// ticks over span (1 when span ≤ 0).
func NiceStep(span float64, n int) float64 {
	if span <= 0 {
		return 1
	}
	raw := span / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			return m * mag
		}
	}
	return 10 * mag
}

// MinMax returns the smallest and largest of v (non-empty), widened to
// [lo, lo+1] when they are equal so a Scale over them is defined.
func MinMax(v []float64) (lo, hi float64) {
	lo, hi = v[0], v[0]
	for _, x := range v {
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	if hi == lo {
		hi = lo + 1
	}
	return lo, hi
}
