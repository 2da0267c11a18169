package grad

import "math"

// GELU (exact erf form) by table: Φ, the standard normal CDF, and φ, its
// density, are interpolated with cubic Hermite polynomials on a grid of
// step 1/32 over [-6, 6] (using Φ' = φ and φ' = -x·φ), so that gelu(x) =
// x·Φ(x) and gelu'(x) = Φ(x) + x·φ(x) cost a few multiply-adds instead of
// an erf and an exp. The interpolation error is below 3e-9 absolute
// (h⁴/384·max|f⁗|), under float32's resolution; outside the grid (and for
// NaN) the exact formula is used.
const (
	geluLo    = -6.0
	geluHi    = 6.0
	geluScale = 32.0 // grid points per unit
	geluN     = int((geluHi-geluLo)*geluScale) + 1
)

var cdfTab, pdfTab [geluN + 1]float64

func init() {
	for i := range cdfTab {
		x := geluLo + float64(i)/geluScale
		cdfTab[i] = 0.5 * (1 + math.Erf(x/math.Sqrt2))
		pdfTab[i] = math.Exp(-0.5*x*x) / math.Sqrt(2*math.Pi)
	}
}

// normTab returns Φ(x) and φ(x) (x inside the grid).
func normTab(x float64) (cdf, pdf float64) {
	u := (x - geluLo) * geluScale
	i := int(u)
	if i >= geluN-1 {
		i = geluN - 2
	}
	t := u - float64(i)
	const h = 1 / geluScale
	t2 := t * t
	t3 := t2 * t
	h00 := 2*t3 - 3*t2 + 1
	h10 := t3 - 2*t2 + t
	h01 := -2*t3 + 3*t2
	h11 := t3 - t2
	x0 := geluLo + float64(i)*h
	p0, p1 := pdfTab[i], pdfTab[i+1]
	cdf = h00*cdfTab[i] + h10*h*p0 + h01*cdfTab[i+1] + h11*h*p1
	pdf = h00*p0 - h10*h*x0*p0 + h01*p1 - h11*h*(x0+h)*p1
	return cdf, pdf
}

// geluExact is TransformerLens' "gelu" (torch's exact GELU).
func geluExact(x float64) float64 { return 0.5 * x * (1 + math.Erf(x/math.Sqrt2)) }

func geluGradExact(x float64) float64 {
	return 0.5*(1+math.Erf(x/math.Sqrt2)) + x*math.Exp(-0.5*x*x)/math.Sqrt(2*math.Pi)
}

// geluRows sets dst = gelu(src) and, when grad is non-nil, grad =
// gelu'(src), element by element.
func geluRows(dst, grad, src []float32) {
	dst = dst[:len(src)]
	if grad != nil {
		grad = grad[:len(src)]
	}
	for i, v := range src {
		x := float64(v)
		if !(x > geluLo && x < geluHi) {
			dst[i] = float32(geluExact(x))
			if grad != nil {
				grad[i] = float32(geluGradExact(x))
			}
			continue
		}
		cdf, pdf := normTab(x)
		dst[i] = float32(x * cdf)
		if grad != nil {
			grad[i] = float32(cdf + x*pdf)
		}
	}
}

// reluRows sets dst = max(src, 0) and, when grad is non-nil, grad = 1
// where src > 0, else 0 (torch's relu backward).
func reluRows(dst, grad, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = max(v, 0)
	}
	if grad != nil {
		grad = grad[:len(src)]
		for i, v := range src {
			grad[i] = 0
			if v > 0 {
				grad[i] = 1
			}
		}
	}
}

// expNeg returns e^x for x ≤ 0 (a softmax numerator, x = score - max),
// to float32 accuracy: x = k·ln2 + f with |f| ≤ ln2/2, e^f by its Taylor
// polynomial of degree 8 (truncation below 6e-10 relative) in float64.
func expNeg(x float32) float32 {
	if !(x > -87) { // underflows float32, or NaN
		if x != x {
			return x
		}
		return 0
	}
	const (
		log2e = 1.4426950408889634
		ln2hi = 6.93147180369123816490e-01
		ln2lo = 1.90821492927058770002e-10
	)
	xf := float64(x)
	k := math.Floor(xf*log2e + 0.5)
	f := xf - k*ln2hi - k*ln2lo
	p := 1 + f*(1+f*(1.0/2+f*(1.0/6+f*(1.0/24+f*(1.0/120+f*(1.0/720+f*(1.0/5040+f*(1.0/40320))))))))
	return float32(p * math.Float64frombits(uint64(int64(k)+1023)<<52))
}
