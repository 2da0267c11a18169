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
	geluScale = 32.0                               // grid points per unit
	geluN     = int((geluHi - geluLo) * geluScale) // intervals
)

// normCoef holds, per grid interval, the cubic Hermite polynomials of Φ
// (first four) and φ (last four) in t ∈ [0, 1), lowest power first.
var normCoef [geluN][8]float64

func init() {
	const h = 1 / geluScale
	cdf := func(x float64) float64 { return 0.5 * (1 + math.Erf(x/math.Sqrt2)) }
	pdf := func(x float64) float64 { return math.Exp(-0.5*x*x) / math.Sqrt(2*math.Pi) }
	herm := func(f0, d0, f1, d1 float64) [4]float64 {
		return [4]float64{f0, h * d0, -3*f0 - 2*h*d0 + 3*f1 - h*d1, 2*f0 + h*d0 - 2*f1 + h*d1}
	}
	for i := range normCoef {
		x0, x1 := geluLo+float64(i)*h, geluLo+float64(i+1)*h
		c := herm(cdf(x0), pdf(x0), cdf(x1), pdf(x1))
		p := herm(pdf(x0), -x0*pdf(x0), pdf(x1), -x1*pdf(x1))
		normCoef[i] = [8]float64{c[0], c[1], c[2], c[3], p[0], p[1], p[2], p[3]}
	}
}

// geluExact is TransformerLens' "gelu" (torch's exact GELU).
func geluExact(x float64) float64 { return 0.5 * x * (1 + math.Erf(x/math.Sqrt2)) }

func geluGradExact(x float64) float64 {
	return 0.5*(1+math.Erf(x/math.Sqrt2)) + x*math.Exp(-0.5*x*x)/math.Sqrt(2*math.Pi)
}

// geluRows sets dst = gelu(src) and, when grad is non-nil, grad =
// gelu'(src), element by element, without calls in the loop. Outside the
// grid the tails are closed forms within float32 resolution: for x ≥ 6,
// gelu(x) = x and gelu'(x) = 1 (1-Φ(6) = 1e-9, 6·φ(6) = 3.6e-8); for
// x ≤ -6 both are 0 (|x·Φ(x)| ≤ 6e-9, |gelu'| ≤ 3.6e-8 there; PyTorch's
// float32 erf already returns exactly 0 from about -5.5). NaN stays NaN.
func geluRows(dst, grad, src []float32) {
	dst = dst[:len(src)]
	if grad != nil {
		grad = grad[:len(src)]
	}
	n4 := 0
	if useAVX2 {
		n4 = len(src) &^ 3
	}
	if n4 > 0 {
		if grad != nil {
			geluGradRowsAVX2(&dst[0], &grad[0], &src[0], n4, &normCoef[0][0])
			grad = grad[n4:]
		} else {
			geluRowsAVX2(&dst[0], &src[0], n4, &normCoef[0][0])
		}
	}
	geluRowsGo(dst[n4:], grad, src[n4:])
}

// geluRowsGo is the pure-Go twin of the AVX2 kernels: the same float64
// operations in the same order, each rounded on its own (the conversions
// keep the compiler from fusing multiply-adds), so the results agree bit
// for bit on every architecture.
func geluRowsGo(dst, grad, src []float32) {
	dst = dst[:len(src)]
	if grad == nil {
		for i, v := range src {
			x := float64(v)
			if !(x > geluLo && x < geluHi) {
				dst[i], _ = geluTail(v)
				continue
			}
			u := (x - geluLo) * geluScale
			k := min(int(u), geluN-1)
			t := u - float64(k)
			c := &normCoef[k]
			dst[i] = float32(x * hermite(t, c[0], c[1], c[2], c[3]))
		}
		return
	}
	grad = grad[:len(src)]
	for i, v := range src {
		x := float64(v)
		if !(x > geluLo && x < geluHi) {
			dst[i], grad[i] = geluTail(v)
			continue
		}
		u := (x - geluLo) * geluScale
		k := min(int(u), geluN-1)
		t := u - float64(k)
		c := &normCoef[k]
		cdf := hermite(t, c[0], c[1], c[2], c[3])
		pdf := hermite(t, c[4], c[5], c[6], c[7])
		dst[i] = float32(x * cdf)
		grad[i] = float32(cdf + float64(x*pdf))
	}
}

// hermite evaluates c0 + t·(c1 + t·(c2 + t·c3)) with every product
// rounded before the sum (no fused multiply-add).
func hermite(t, c0, c1, c2, c3 float64) float64 {
	p := c2 + float64(t*c3)
	p = c1 + float64(t*p)
	return c0 + float64(t*p)
}

// geluTail is gelu and gelu' outside the grid: (x, 1) above it, (0, 0)
// below it, NaN for NaN.
func geluTail(v float32) (y, dy float32) {
	if v >= geluHi {
		return v, 1
	}
	if v <= geluLo {
		return 0, 0
	}
	return v, v // NaN
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
// in float32 arithmetic: x = k·ln2 + f with
// |f| ≤ ln2/2 (ln2 split in two so k·ln2 is exact), e^f by Cephes' expf
// polynomial (about 1 ulp), times 2^k built from its bits. Small enough to
// inline.
func expNeg(x float32) float32 {
	if !(x > -87) {
		return expUnder(x)
	}
	// Every product is converted on its own so that no architecture fuses
	// a multiply-add: the AVX2 twin (expNegRowsAVX2) rounds each one too.
	k := float32(int32(float32(x*1.44269504088896341) - 0.5)) // nearest integer (x ≤ 0: truncation is toward zero)
	f := x - float32(k*0.693359375) + float32(k*2.12194440e-4)
	// Cephes' polynomial, evaluated in Estrin's scheme (shorter latency).
	f2 := f * f
	p := (5.0000001201e-1 + float32(1.6666665459e-1*f)) + float32(f2*(4.1665795894e-2+float32(8.3334519073e-3*f))) + float32(float32(f2*f2)*(1.3981999507e-3+float32(1.9875691500e-4*f)))
	return (float32(p*f2) + f + 1) * math.Float32frombits(uint32(int32(k)+127)<<23)
}

// expNegRows replaces every x[i] (≤ 0) by expNeg(x[i]), eight at a time in
// AVX2 where available (bit-identical to expNeg).
func expNegRows(x []float32) {
	n8 := 0
	if useAVX2 {
		n8 = len(x) &^ 7
	}
	if n8 > 0 {
		expNegRowsAVX2(&x[0], n8)
	}
	for i, v := range x[n8:] {
		x[n8+i] = expNeg(v)
	}
}

// expUnder is expNeg below -87: 0, or NaN for NaN.
func expUnder(x float32) float32 {
	if x != x {
		return x
	}
	return 0
}
