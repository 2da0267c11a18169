package grad

import "math"

// GELU (exact erf form) in float32 without a table: for |x| < 6,
// Φ(-|x|) = e^(-x²/2)·M(|x|), where M(a) = Φ(-a)·e^(a²/2) (0.5 at 0, about
// 1/(a·√(2π)) for large a) is smooth on [0, 6] and is a polynomial of
// degree geluDeg in s = a/3 - 1 (its Chebyshev interpolant, made at init,
// evaluated in Estrin's scheme).
// Then Φ(x) = Φ(-|x|) for x < 0, else 1 - Φ(-|x|), gelu(x) = x·Φ(x) and
// gelu'(x) = Φ(x) + x·φ(x) with φ(x) = e^(-x²/2)/√(2π), the same
// exponential (expNeg). Against the float64 erf form rounded to float32
// the results are within one float32 ulp of max(1, |gelu|) and two of
// max(1, |gelu'|) (TestGeluAccuracy); outside (-6, 6) the closed forms of
// geluTail apply.
const (
	geluLo  = -6.0
	geluHi  = 6.0
	geluDeg = 15
)

// geluPoly holds M's monomial coefficients in s, lowest power first;
// geluPoly8 the same, each repeated in eight lanes (the AVX2 kernels'
// operands).
var (
	geluPoly  [geluDeg + 1]float32
	geluPoly8 [geluDeg + 1][8]float32
)

// invSqrt2Pi is 1/√(2π) in float32.
const invSqrt2Pi = float32(0.3989422804014327)

func init() {
	const n = geluDeg + 1
	mills := func(a float64) float64 { return 0.5 * math.Erfc(a/math.Sqrt2) * math.Exp(a*a/2) }
	// Chebyshev interpolation of M(3(s+1)) on s ∈ [-1, 1] at n nodes.
	var f, cheb [n]float64
	for k := range f {
		f[k] = mills(3 * (math.Cos(math.Pi*(float64(k)+0.5)/n) + 1))
	}
	for j := range cheb {
		var sum float64
		for k := range f {
			sum += f[k] * math.Cos(math.Pi*float64(j)*(float64(k)+0.5)/n)
		}
		cheb[j] = 2 * sum / n
	}
	cheb[0] /= 2
	// Σ_j cheb_j·T_j(s) in powers of s (T_j+1 = 2s·T_j - T_j-1).
	var mono, prev, cur [n]float64
	prev[0], cur[1] = 1, 1
	for i := range mono {
		mono[i] = cheb[0]*prev[i] + cheb[1]*cur[i]
	}
	for j := 2; j < n; j++ {
		var next [n]float64
		for i := range next {
			if i > 0 {
				next[i] = 2 * cur[i-1]
			}
			next[i] -= prev[i]
			mono[i] += cheb[j] * next[i]
		}
		prev, cur = cur, next
	}
	for i, c := range mono {
		geluPoly[i] = float32(c)
		for j := range geluPoly8[i] {
			geluPoly8[i][j] = geluPoly[i]
		}
	}
}

// geluExact is TransformerLens' "gelu" (torch's exact GELU).
func geluExact(x float64) float64 { return 0.5 * x * (1 + math.Erf(x/math.Sqrt2)) }

func geluGradExact(x float64) float64 {
	return 0.5*(1+math.Erf(x/math.Sqrt2)) + x*math.Exp(-0.5*x*x)/math.Sqrt(2*math.Pi)
}

// geluRows sets dst = gelu(src) and, when grad is non-nil, grad =
// gelu'(src), element by element, sixteen at a time in AVX-512 and eight
// in AVX2 where available (bit-identical to geluRowsGo).
func geluRows(dst, grad, src []float32) {
	dst = dst[:len(src)]
	if grad != nil {
		grad = grad[:len(src)]
	}
	if n16 := len(src) &^ 15; useAVX512 && n16 > 0 {
		if grad != nil {
			geluGradRowsAVX512(&dst[0], &grad[0], &src[0], n16, &geluPoly8[0][0])
			grad = grad[n16:]
		} else {
			geluRowsAVX512(&dst[0], &src[0], n16, &geluPoly8[0][0])
		}
		dst, src = dst[n16:], src[n16:]
	}
	n8 := 0
	if useAVX2 {
		n8 = len(src) &^ 7
	}
	if n8 > 0 {
		if grad != nil {
			geluGradRowsAVX2(&dst[0], &grad[0], &src[0], n8, &geluPoly8[0][0])
			grad = grad[n8:]
		} else {
			geluRowsAVX2(&dst[0], &src[0], n8, &geluPoly8[0][0])
		}
	}
	geluRowsGo(dst[n8:], grad, src[n8:])
}

// geluRowsGo is the pure-Go twin of the AVX2 kernels: the same float32
// operations in the same order, each rounded on its own (the conversions
// keep the compiler from fusing multiply-adds), so the results agree bit
// for bit on every architecture.
func geluRowsGo(dst, grad, src []float32) {
	dst = dst[:len(src)]
	if grad != nil {
		grad = grad[:len(src)]
	}
	for i, v := range src {
		if !(v > geluLo && v < geluHi) {
			y, dy := geluTail(v)
			dst[i] = y
			if grad != nil {
				grad[i] = dy
			}
			continue
		}
		e := expNeg(float32(float32(v*v) * -0.5)) // e^(-x²/2)
		s := float32(float32(math.Abs(float64(v)))*float32(1.0/3)) - 1
		m := geluEstrin(s)
		q := float32(e * m) // Φ(-|x|)
		xq := float32(v * q)
		phi, y := 1-q, v-xq // x·Φ(x) = x - x·Φ(-x): no rounding of Φ near 1
		if v < 0 {
			phi, y = q, xq
		}
		dst[i] = y
		if grad != nil {
			grad[i] = phi + float32(v*float32(e*invSqrt2Pi))
		}
	}
}

// geluEstrin evaluates M's polynomial at s in Estrin's scheme (pairs,
// then pairs of pairs with s², s⁴, s⁸: a short dependency chain), every
// product rounded on its own.
func geluEstrin(s float32) float32 {
	c := &geluPoly
	s2 := float32(s * s)
	s4 := float32(s2 * s2)
	s8 := float32(s4 * s4)
	var p [8]float32
	for i := range p {
		p[i] = c[2*i] + float32(c[2*i+1]*s)
	}
	var q [4]float32
	for i := range q {
		q[i] = p[2*i] + float32(p[2*i+1]*s2)
	}
	r0 := q[0] + float32(q[1]*s4)
	r1 := q[2] + float32(q[3]*s4)
	return r0 + float32(r1*s8)
}

// geluTail is gelu and gelu' outside (-6, 6), within float32 resolution
// of the exact values: (x, 1) above (1-Φ(6) = 1e-9, 6·φ(6) = 3.6e-8), (0,
// 0) below (|x·Φ(x)| ≤ 6e-9, |gelu'| ≤ 3.6e-8; PyTorch's float32 erf
// already returns exactly 0 from about -5.5); NaN for NaN.
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
