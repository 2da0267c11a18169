package star

import (
	"errors"
	"math"
	"math/big"
	"sync"
)

// Correctly rounded elementary functions.
//
// CPython's math module calls the C library (glibc), whose exp, log, pow,
// sin, cos, tan, atan, asin, acos, sinh, cosh and tanh return the correctly
// rounded result for practically every argument, while Go's math package can
// be one ulp off. Value sets and labels print floats with all their digits
// (e.g. map_5:0.5403023058681398), so one ulp matters. These functions
// evaluate in 320-bit binary floating point and round once to float64.

const crPrec = 320

var errDomain = errors.New("math domain error")
var errRange = errors.New("math range error")

var crConsts struct {
	once            sync.Once
	pi, halfPi, ln2 *big.Float
}

func newF() *big.Float { return new(big.Float).SetPrec(crPrec) }

func bf(x float64) *big.Float { return newF().SetFloat64(x) }

func consts() (pi, halfPi, ln2 *big.Float) {
	crConsts.once.Do(func() {
		// pi = 16 atan(1/5) - 4 atan(1/239) (Machin).
		a := atanSeries(newF().Quo(bf(1), bf(5)))
		b := atanSeries(newF().Quo(bf(1), bf(239)))
		p := newF().Sub(newF().Mul(a, bf(16)), newF().Mul(b, bf(4)))
		crConsts.pi = p
		crConsts.halfPi = newF().Quo(p, bf(2))
		// ln 2 = 2 atanh(1/3).
		crConsts.ln2 = newF().Mul(atanhSeries(newF().Quo(bf(1), bf(3))), bf(2))
	})
	return crConsts.pi, crConsts.halfPi, crConsts.ln2
}

// tiny reports whether term is negligible next to sum.
func tiny(term, sum *big.Float) bool {
	if term.Sign() == 0 {
		return true
	}
	if sum.Sign() == 0 {
		return false
	}
	return term.MantExp(nil) < sum.MantExp(nil)-crPrec-8
}

// atanSeries is Σ (-1)^k x^(2k+1)/(2k+1) for small |x|.
func atanSeries(x *big.Float) *big.Float {
	x2 := newF().Mul(x, x)
	pow := newF().Set(x)
	sum := newF().Set(x)
	for k := 1; ; k++ {
		pow.Mul(pow, x2)
		term := newF().Quo(pow, bf(float64(2*k+1)))
		if k%2 == 1 {
			sum.Sub(sum, term)
		} else {
			sum.Add(sum, term)
		}
		if tiny(term, sum) {
			return sum
		}
	}
}

// atanhSeries is Σ x^(2k+1)/(2k+1) for small |x|.
func atanhSeries(x *big.Float) *big.Float {
	x2 := newF().Mul(x, x)
	pow := newF().Set(x)
	sum := newF().Set(x)
	for k := 1; ; k++ {
		pow.Mul(pow, x2)
		term := newF().Quo(pow, bf(float64(2*k+1)))
		sum.Add(sum, term)
		if tiny(term, sum) {
			return sum
		}
	}
}

// expBig returns e^x.
func expBig(x *big.Float) *big.Float {
	_, _, ln2 := consts()
	// x = k ln2 + r.
	q, _ := newF().Quo(x, ln2).Float64()
	k := math.Round(q)
	r := newF().Sub(x, newF().Mul(bf(k), ln2))
	// e^r = (e^(r/2^16))^(2^16).
	const halvings = 16
	r.SetMantExp(r, -halvings)
	sum := bf(1)
	term := bf(1)
	for n := 1; ; n++ {
		term.Mul(term, r)
		term.Quo(term, bf(float64(n)))
		sum.Add(sum, term)
		if tiny(term, sum) {
			break
		}
	}
	for i := 0; i < halvings; i++ {
		sum.Mul(sum, sum)
	}
	return sum.SetMantExp(sum, int(k))
}

// logBig returns ln x for x > 0.
func logBig(x *big.Float) *big.Float {
	_, _, ln2 := consts()
	m := newF()
	e := x.MantExp(m) // x = m 2^e, m in [0.5, 1)
	if m.Cmp(bf(math.Sqrt2/2)) < 0 {
		m.SetMantExp(m, 1)
		e--
	}
	s := newF().Quo(newF().Sub(m, bf(1)), newF().Add(m, bf(1)))
	l := newF().Mul(atanhSeries(s), bf(2))
	return l.Add(l, newF().Mul(bf(float64(e)), ln2))
}

// sinCosBig returns sin x and cos x.
func sinCosBig(x *big.Float) (sin, cos *big.Float) {
	_, halfPi, _ := consts()
	q, _ := newF().Quo(x, halfPi).Float64()
	n := math.Round(q)
	r := newF().Sub(x, newF().Mul(bf(n), halfPi))
	r2 := newF().Mul(r, r)
	// Taylor series of sin r and cos r.
	s, c := newF().Set(r), bf(1)
	ts, tc := newF().Set(r), bf(1)
	for k := 1; ; k++ {
		ts.Mul(ts, r2)
		ts.Quo(ts, bf(float64((2*k)*(2*k+1))))
		ts.Neg(ts)
		tc.Mul(tc, r2)
		tc.Quo(tc, bf(float64((2*k-1)*(2*k))))
		tc.Neg(tc)
		s.Add(s, ts)
		c.Add(c, tc)
		if tiny(ts, s) && tiny(tc, c) {
			break
		}
	}
	switch int64(math.Mod(n, 4)+4) % 4 {
	case 0:
		return s, c
	case 1:
		return c, s.Neg(s)
	case 2:
		return s.Neg(s), c.Neg(c)
	default:
		return c.Neg(c), s
	}
}

// atanBig returns atan x.
func atanBig(x *big.Float) *big.Float {
	_, halfPi, _ := consts()
	neg := x.Sign() < 0
	a := newF().Abs(x)
	inv := false
	if a.Cmp(bf(1)) > 0 {
		a.Quo(bf(1), a)
		inv = true
	}
	// atan a = 2 atan(a / (1 + sqrt(1 + a²))), three times.
	for i := 0; i < 3; i++ {
		d := newF().Sqrt(newF().Add(bf(1), newF().Mul(a, a)))
		a.Quo(a, d.Add(d, bf(1)))
	}
	r := atanSeries(a)
	r.SetMantExp(r, 3)
	if inv {
		r.Sub(halfPi, r)
	}
	if neg {
		r.Neg(r)
	}
	return r
}

// round64 rounds to float64, reporting overflow as a range error.
func round64(x *big.Float) (float64, error) {
	f, _ := x.Float64()
	if math.IsInf(f, 0) {
		return 0, errRange
	}
	return f, nil
}

// crFunc returns the correctly rounded version of a one-argument function
// named as in Python's math module.
func crFunc(name string) func(x float64) (float64, error) {
	return func(x float64) (float64, error) {
		if math.IsNaN(x) {
			return x, nil
		}
		if math.IsInf(x, 0) {
			return infCase(name, x)
		}
		switch name {
		case "exp":
			if x == 0 {
				return 1, nil
			}
			if x > 710 {
				return 0, errRange
			}
			if x < -746 {
				return 0, nil
			}
			return round64(expBig(bf(x)))
		case "log10":
			if x <= 0 {
				return 0, errDomain
			}
			return glibcLog10(x), nil
		case "sinh", "cosh", "tanh":
			return glibcHyperbolic(name, x)
		case "log", "log2":
			if x <= 0 {
				return 0, errDomain
			}
			l := logBig(bf(x))
			if name == "log2" {
				_, _, ln2 := consts()
				l.Quo(l, ln2)
			}
			return round64(l)
		case "sin", "cos", "tan":
			if x == 0 && name != "cos" {
				return x, nil
			}
			s, c := sinCosBig(bf(x))
			switch name {
			case "sin":
				return round64(s)
			case "cos":
				return round64(c)
			}
			return round64(s.Quo(s, c))
		case "atan":
			if x == 0 {
				return x, nil
			}
			return round64(atanBig(bf(x)))
		case "asin", "acos":
			if x < -1 || x > 1 {
				return 0, errDomain
			}
			_, halfPi, _ := consts()
			var as *big.Float
			switch {
			case x == 1:
				as = newF().Set(halfPi)
			case x == -1:
				as = newF().Neg(halfPi)
			case x == 0 && name == "asin":
				return x, nil
			default:
				b := bf(x)
				d := newF().Sqrt(newF().Sub(bf(1), newF().Mul(b, b)))
				as = atanBig(newF().Quo(b, d))
			}
			if name == "asin" {
				return round64(as)
			}
			return round64(newF().Sub(halfPi, as))
		}
		return 0, errors.New("unknown function " + name)
	}
}

// infCase gives C99's results for infinite arguments (domain errors as Python raises them).
func infCase(name string, x float64) (float64, error) {
	pos := x > 0
	switch name {
	case "exp":
		if pos {
			return x, nil
		}
		return 0, nil
	case "log", "log2", "log10":
		if pos {
			return x, nil
		}
		return 0, errDomain
	case "sin", "cos", "tan", "asin", "acos":
		return 0, errDomain
	case "atan":
		return math.Copysign(math.Pi/2, x), nil
	case "sinh":
		return x, nil
	case "cosh":
		return math.Inf(1), nil
	case "tanh":
		return math.Copysign(1, x), nil
	}
	return 0, errors.New("unknown function " + name)
}

// crPow is C's pow(x, y) correctly rounded, with Python's errors:
// 0 to a negative power and a negative base to a fractional power are
// domain errors (ValueError), overflow is a range error (OverflowError).
func crPow(x, y float64) (float64, error) {
	switch {
	case y == 0:
		return 1, nil
	case x == 1:
		return 1, nil
	case math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0):
		return math.Pow(x, y), nil
	case x == 0:
		if y < 0 {
			return 0, errDomain
		}
		return math.Pow(x, y), nil
	}
	yInt := y == math.Trunc(y)
	if x < 0 && !yInt {
		return 0, errDomain
	}
	if yInt && math.Abs(y) <= 1024 {
		// Exact power, then one rounding.
		n := int(math.Abs(y))
		base := new(big.Float).SetPrec(0).SetFloat64(x) // exact
		acc := new(big.Float).SetPrec(uint(53*n + 64)).SetInt64(1)
		for i := 0; i < n; i++ {
			acc.Mul(acc, base)
		}
		if y < 0 {
			acc = newF().Quo(bf(1), acc)
		}
		return round64(acc)
	}
	b := bf(math.Abs(x))
	r := expBig(newF().Mul(bf(y), logBig(b)))
	if x < 0 && math.Mod(y, 2) != 0 {
		r.Neg(r)
	}
	f, _ := r.Float64()
	if math.IsInf(f, 0) {
		return 0, errRange
	}
	return f, nil
}

// logBase is CPython's math.log(x, base): two rounded logarithms divided in
// float64.
func logBase(x, base float64) (float64, error) {
	num, err := crFunc("log")(x)
	if err != nil {
		return 0, err
	}
	den, err := crFunc("log")(base)
	if err != nil {
		return 0, err
	}
	if den == 0 {
		return 0, errors.New("float division by zero")
	}
	return num / den, nil
}

// crExp is the correctly rounded exp of a finite x (0 on underflow, +Inf on overflow).
func crExp(x float64) float64 {
	switch {
	case x == 0:
		return 1
	case x > 710:
		return math.Inf(1)
	case x < -746:
		return 0
	}
	f, _ := expBig(bf(x)).Float64()
	return f
}

// glibcLog10 is glibc's __ieee754_log10 (fdlibm's e_log10.c): a float64
// formula around the correctly rounded log, not itself correctly rounded.
func glibcLog10(x float64) float64 {
	const (
		two54    = 1.80143985094819840000e+16
		ivln10   = 4.34294481903251816668e-01
		log10Hi  = 3.01029995663611771306e-01
		log10Lo  = 3.69423907715893078616e-13
		fracMask = 1<<52 - 1
	)
	k := 0
	if x < 0x1p-1022 {
		k -= 54
		x *= two54
	}
	bits := math.Float64bits(x)
	k += int(bits>>52) - 1023
	i := 0
	if k < 0 {
		i = 1
	}
	// Keep the mantissa, set the exponent to 0 (i == 0) or -1 (i == 1).
	x = math.Float64frombits(bits&fracMask | uint64(0x3ff-i)<<52)
	y := float64(k + i)
	l, _ := logBig(bf(x)).Float64()
	z := float64(y*log10Lo) + float64(ivln10*l)
	return z + float64(y*log10Hi)
}

// glibcHyperbolic is glibc's sinh, cosh and tanh (fdlibm's e_sinh.c,
// e_cosh.c, s_tanh.c): float64 formulas around exp (correctly rounded in
// glibc) and expm1 (fdlibm's, which Go's math.Expm1 ports). Products are
// wrapped in float64() so the compiler cannot fuse them.
func glibcHyperbolic(name string, x float64) (float64, error) {
	ax := math.Abs(x)
	switch name {
	case "cosh":
		switch {
		case ax < 0.5*math.Ln2:
			if ax < 0x1p-55 {
				return 1, nil
			}
			t := math.Expm1(ax)
			w := 1 + t
			return 1 + float64(t*t)/(w+w), nil
		case ax < 22:
			t := crExp(ax)
			return float64(0.5*t) + 0.5/t, nil
		case ax < 709.782712893384:
			return 0.5 * crExp(ax), nil
		case ax <= 710.4758600739439:
			w := crExp(0.5 * ax)
			t := 0.5 * w
			return t * w, nil
		}
		return 0, errRange
	case "sinh":
		h := 0.5
		if x < 0 {
			h = -0.5
		}
		switch {
		case ax < 22:
			if ax < 0x1p-28 {
				return x, nil
			}
			t := math.Expm1(ax)
			if ax < 1 {
				return h * (float64(2.0*t) - float64(t*t)/(t+1)), nil
			}
			return h * (t + t/(t+1)), nil
		case ax < 709.782712893384:
			return h * crExp(ax), nil
		case ax <= 710.4758600739439:
			w := crExp(0.5 * ax)
			t := h * w
			return t * w, nil
		}
		return 0, errRange
	case "tanh":
		var z float64
		switch {
		case x == 0:
			return x, nil
		case ax < 0x1p-55:
			return x * (1 + x), nil
		case ax < 22:
			if ax >= 1 {
				t := math.Expm1(2 * ax)
				z = 1 - 2/(t+2)
			} else {
				t := math.Expm1(-2 * ax)
				z = -t / (t + 2)
			}
		default:
			z = 1
		}
		return math.Copysign(z, x), nil
	}
	return 0, errors.New("unknown function " + name)
}
