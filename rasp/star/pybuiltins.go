package star

import (
	"fmt"
	"math"
	"sort"
	"strconv"

	"github.com/glassbox-interp/glassbox/rasp"
	smath "go.starlark.net/lib/math"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
	"go.starlark.net/syntax"
)

// pythonBuiltins are the Python built-ins Starlark lacks or defines
// differently (see doc.go for the list).
func pythonBuiltins() starlark.StringDict {
	return starlark.StringDict{
		"abs":    starlark.NewBuiltin("abs", pyAbs),
		"sum":    starlark.NewBuiltin("sum", pySum),
		"round":  starlark.NewBuiltin("round", pyRound),
		"pow":    starlark.NewBuiltin("pow", pyPow),
		"divmod": starlark.NewBuiltin("divmod", pyDivmod),
		"str":    starlark.NewBuiltin("str", pyStrBuiltin),
		"sorted": starlark.NewBuiltin("sorted", pySorted),
		"min":    starlark.NewBuiltin("min", pyMinMax(false)),
		"max":    starlark.NewBuiltin("max", pyMinMax(true)),
		"repr":   starlark.NewBuiltin("repr", pyReprBuiltin),
		"math":   mathModule(),
	}
}

// mathModule is Starlark's math module with Python's extra names.
func mathModule() *starlarkstruct.Module {
	m := map[string]starlark.Value{}
	for k, v := range smath.Module.Members {
		m[k] = v
	}
	delete(m, "round") // Starlark's math.round rounds half away from zero; Python has none
	m["inf"] = starlark.Float(math.Inf(1))
	m["nan"] = starlark.Float(math.NaN())
	m["tau"] = starlark.Float(2 * math.Pi)
	m["pow"] = starlark.NewBuiltin("pow", func(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		var x, y starlark.Value
		if err := starlark.UnpackPositionalArgs("math.pow", args, kwargs, 2, &x, &y); err != nil {
			return nil, err
		}
		fx, err := toFloat("math.pow", x)
		if err != nil {
			return nil, err
		}
		fy, err := toFloat("math.pow", y)
		if err != nil {
			return nil, err
		}
		r, err := crPow(fx, fy)
		if err != nil {
			return nil, fmt.Errorf("math.pow(%v, %v): %w", fx, fy, err)
		}
		return starlark.Float(r), nil
	})
	// The C library functions, computed as glibc computes them (see crmath.go).
	for _, name := range []string{"exp", "log2", "log10", "sin", "cos", "tan", "atan", "asin", "acos", "sinh", "cosh", "tanh"} {
		f := crFunc(name)
		m[name] = starlark.NewBuiltin(name, func(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var x starlark.Value
			if err := starlark.UnpackPositionalArgs("math."+b.Name(), args, kwargs, 1, &x); err != nil {
				return nil, err
			}
			fx, err := toFloat("math."+b.Name(), x)
			if err != nil {
				return nil, err
			}
			r, err := f(fx)
			if err != nil {
				return nil, fmt.Errorf("math.%s(%v): %w", b.Name(), fx, err)
			}
			return starlark.Float(r), nil
		})
	}
	m["log"] = starlark.NewBuiltin("log", func(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		var x starlark.Value
		var base starlark.Value = starlark.None
		if err := starlark.UnpackPositionalArgs("math.log", args, kwargs, 1, &x, &base); err != nil {
			return nil, err
		}
		fx, err := toFloat("math.log", x)
		if err != nil {
			return nil, err
		}
		var r float64
		if base == starlark.None {
			r, err = crFunc("log")(fx)
		} else {
			var fb float64
			if fb, err = toFloat("math.log", base); err != nil {
				return nil, err
			}
			r, err = logBase(fx, fb)
		}
		if err != nil {
			return nil, fmt.Errorf("math.log(%v): %w", fx, err)
		}
		return starlark.Float(r), nil
	})
	m["sqrt"] = starlark.NewBuiltin("sqrt", func(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		var x starlark.Value
		if err := starlark.UnpackPositionalArgs("math.sqrt", args, kwargs, 1, &x); err != nil {
			return nil, err
		}
		fx, err := toFloat("math.sqrt", x)
		if err != nil {
			return nil, err
		}
		if fx < 0 {
			return nil, fmt.Errorf("math.sqrt(%v): %w", fx, errDomain)
		}
		return starlark.Float(math.Sqrt(fx)), nil
	})
	unary := func(name string, f func(float64) starlark.Value) {
		m[name] = starlark.NewBuiltin(name, func(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var x starlark.Value
			if err := starlark.UnpackPositionalArgs("math."+name, args, kwargs, 1, &x); err != nil {
				return nil, err
			}
			fx, err := toFloat("math."+name, x)
			if err != nil {
				return nil, err
			}
			return f(fx), nil
		})
	}
	unary("isnan", func(x float64) starlark.Value { return starlark.Bool(math.IsNaN(x)) })
	unary("isinf", func(x float64) starlark.Value { return starlark.Bool(math.IsInf(x, 0)) })
	unary("isfinite", func(x float64) starlark.Value { return starlark.Bool(!math.IsInf(x, 0) && !math.IsNaN(x)) })
	unary("log2", func(x float64) starlark.Value { return starlark.Float(math.Log2(x)) })
	unary("log10", func(x float64) starlark.Value { return starlark.Float(math.Log10(x)) })
	unary("trunc", func(x float64) starlark.Value { i, _ := starlark.NumberToInt(starlark.Float(math.Trunc(x))); return i })
	m["gcd"] = starlark.NewBuiltin("gcd", func(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		var a, c int
		if err := starlark.UnpackPositionalArgs("math.gcd", args, kwargs, 2, &a, &c); err != nil {
			return nil, err
		}
		for c != 0 {
			a, c = c, a%c
		}
		if a < 0 {
			a = -a
		}
		return starlark.MakeInt(a), nil
	})
	return &starlarkstruct.Module{Name: "math", Members: m}
}

func toFloat(fn string, v starlark.Value) (float64, error) {
	switch x := v.(type) {
	case starlark.Bool:
		if x {
			return 1, nil
		}
		return 0, nil
	case starlark.Int:
		f, _ := starlark.AsFloat(x)
		return f, nil
	case starlark.Float:
		return float64(x), nil
	}
	return 0, fmt.Errorf("%s: must be a real number, not %s", fn, v.Type())
}

// num converts bools to ints so that Python numeric built-ins accept them.
func num(v starlark.Value) starlark.Value {
	if b, ok := v.(starlark.Bool); ok {
		return boolInt(b)
	}
	return v
}

func pyAbs(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var x starlark.Value
	if err := starlark.UnpackPositionalArgs("abs", args, kwargs, 1, &x); err != nil {
		return nil, err
	}
	switch v := num(x).(type) {
	case starlark.Int:
		if v.Sign() < 0 {
			return starlark.Binary(syntax.MINUS, starlark.MakeInt(0), v)
		}
		return v, nil
	case starlark.Float:
		return starlark.Float(math.Abs(float64(v))), nil
	}
	return nil, fmt.Errorf("bad operand type for abs(): '%s'", x.Type())
}

func pySum(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var it starlark.Iterable
	var start starlark.Value = starlark.MakeInt(0)
	if err := starlark.UnpackArgs("sum", args, kwargs, "iterable", &it, "start?", &start); err != nil {
		return nil, err
	}
	if _, ok := start.(starlark.String); ok {
		return nil, fmt.Errorf("sum() can't sum strings [use ''.join(seq) instead]")
	}
	acc := num(start)
	iter := it.Iterate()
	defer iter.Done()
	var x starlark.Value
	for iter.Next(&x) {
		var err error
		if acc, err = starlark.Binary(syntax.PLUS, acc, num(x)); err != nil {
			return nil, fmt.Errorf("sum: %w", err)
		}
	}
	return acc, nil
}

// pyRound is Python's round: ties to even; round(x) returns an int,
// round(x, n) a float (correctly rounded, like CPython).
func pyRound(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var x starlark.Value
	var nd starlark.Value = starlark.None
	if err := starlark.UnpackArgs("round", args, kwargs, "number", &x, "ndigits?", &nd); err != nil {
		return nil, err
	}
	x = num(x)
	if nd == starlark.None {
		switch v := x.(type) {
		case starlark.Int:
			return v, nil
		case starlark.Float:
			f := float64(v)
			if math.IsInf(f, 0) || math.IsNaN(f) {
				return nil, fmt.Errorf("round: cannot convert float %s to integer", v)
			}
			return starlark.NumberToInt(starlark.Float(math.RoundToEven(f)))
		}
		return nil, fmt.Errorf("round: type %s doesn't define __round__", x.Type())
	}
	var n int
	if err := starlark.AsInt(num(nd), &n); err != nil {
		return nil, fmt.Errorf("round: ndigits: %w", err)
	}
	switch v := x.(type) {
	case starlark.Int:
		if n >= 0 {
			return v, nil
		}
		i, ok := v.Int64()
		if !ok {
			return nil, fmt.Errorf("round: integer too large")
		}
		p := int64(math.Pow10(-n))
		q, r := i/p, i%p
		if r < 0 {
			q, r = q-1, r+p
		}
		if 2*r > p || (2*r == p && q%2 != 0) {
			q++
		}
		return starlark.MakeInt64(q * p), nil
	case starlark.Float:
		f := float64(v)
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return v, nil
		}
		if n >= 0 {
			if n > 300 {
				return v, nil
			}
			r, err := strconv.ParseFloat(strconv.FormatFloat(f, 'f', n, 64), 64)
			if err != nil {
				return nil, err
			}
			return starlark.Float(r), nil
		}
		p := math.Pow10(-n)
		return starlark.Float(math.RoundToEven(f/p) * p), nil
	}
	return nil, fmt.Errorf("round: type %s doesn't define __round__", x.Type())
}

// pyPow is Python's pow(x, y[, mod]): int ** non-negative int is an int,
// otherwise a float.
func pyPow(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var x, y starlark.Value
	var mod starlark.Value = starlark.None
	if err := starlark.UnpackArgs("pow", args, kwargs, "base", &x, "exp", &y, "mod?", &mod); err != nil {
		return nil, err
	}
	x, y = num(x), num(y)
	xi, xInt := x.(starlark.Int)
	yi, yInt := y.(starlark.Int)
	if xInt && yInt && yi.Sign() >= 0 {
		e, ok := yi.Int64()
		if !ok || e > 1<<16 {
			return nil, fmt.Errorf("pow: exponent %s too large", yi)
		}
		var m starlark.Int
		hasMod := mod != starlark.None
		if hasMod {
			mi, ok := num(mod).(starlark.Int)
			if !ok || mi.Sign() == 0 {
				return nil, fmt.Errorf("pow: mod must be a non-zero int")
			}
			m = mi
		}
		if !hasMod {
			if err := charge(thread, mulSize(uint64(xi.BigInt().BitLen()), uint64(e))/8); err != nil {
				return nil, err
			}
		}
		var result starlark.Value = starlark.MakeInt(1)
		base := starlark.Value(xi)
		for ; e > 0; e >>= 1 {
			var err error
			if e&1 == 1 {
				if result, err = starlark.Binary(syntax.STAR, result, base); err != nil {
					return nil, err
				}
				if hasMod {
					if result, err = starlark.Binary(syntax.PERCENT, result, m); err != nil {
						return nil, err
					}
				}
			}
			if e > 1 {
				if base, err = starlark.Binary(syntax.STAR, base, base); err != nil {
					return nil, err
				}
				if hasMod {
					if base, err = starlark.Binary(syntax.PERCENT, base, m); err != nil {
						return nil, err
					}
				}
			}
		}
		if hasMod {
			return starlark.Binary(syntax.PERCENT, result, m)
		}
		return result, nil
	}
	if mod != starlark.None {
		return nil, fmt.Errorf("pow: 3-argument pow() needs integer arguments")
	}
	fx, err := toFloat("pow", x)
	if err != nil {
		return nil, err
	}
	fy, err := toFloat("pow", y)
	if err != nil {
		return nil, err
	}
	if fx == 0 && fy < 0 {
		return nil, fmt.Errorf("%w: 0.0 cannot be raised to a negative power", rasp.ErrZeroDivision)
	}
	if fx < 0 && fy != math.Trunc(fy) && !math.IsInf(fy, 0) {
		return nil, fmt.Errorf("pow: negative number to a fractional power gives a complex number (not supported)")
	}
	r, err := crPow(fx, fy)
	if err != nil {
		return nil, fmt.Errorf("pow(%v, %v): %w", fx, fy, err)
	}
	return starlark.Float(r), nil
}

func pyDivmod(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var x, y starlark.Value
	if err := starlark.UnpackPositionalArgs("divmod", args, kwargs, 2, &x, &y); err != nil {
		return nil, err
	}
	x, y = num(x), num(y)
	q, err := starlark.Binary(syntax.SLASHSLASH, x, y)
	if err != nil {
		return nil, err
	}
	r, err := starlark.Binary(syntax.PERCENT, x, y)
	if err != nil {
		return nil, err
	}
	return starlark.Tuple{q, r}, nil
}

// pyLess compares two Starlark values with Python's < (bool and int mix,
// tuples element-wise with Python equality); values that are not RASP
// values fall back to Starlark's ordering.
func pyLess(a, b starlark.Value) (bool, error) {
	av, err1 := FromStarlark(a)
	bv, err2 := FromStarlark(b)
	if err1 == nil && err2 == nil {
		return rasp.Less(av, bv)
	}
	return starlark.Compare(syntax.LT, a, b)
}

// keyed applies the optional key function to every element.
func keyed(thread *starlark.Thread, elems []starlark.Value, key starlark.Value) ([]starlark.Value, error) {
	if key == nil || key == starlark.None {
		return elems, nil
	}
	keys := make([]starlark.Value, len(elems))
	for i, e := range elems {
		k, err := starlark.Call(thread, key, starlark.Tuple{e}, nil)
		if err != nil {
			return nil, err
		}
		keys[i] = k
	}
	return keys, nil
}

func collect(v starlark.Value) ([]starlark.Value, error) {
	it, ok := v.(starlark.Iterable)
	if !ok {
		return nil, fmt.Errorf("'%s' object is not iterable", v.Type())
	}
	var out []starlark.Value
	iter := it.Iterate()
	defer iter.Done()
	var x starlark.Value
	for iter.Next(&x) {
		out = append(out, x)
	}
	return out, nil
}

// pySorted is Python's sorted(iterable, key=None, reverse=False): stable,
// with Python's ordering of mixed bools and numbers.
func pySorted(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var iterable, key starlark.Value
	reverse := false
	if err := starlark.UnpackArgs("sorted", args, kwargs, "iterable", &iterable, "key?", &key, "reverse?", &reverse); err != nil {
		return nil, err
	}
	if err := charge(thread, mulSize(uint64(max(starlark.Len(iterable), 0)), 2*elemBytes)); err != nil {
		return nil, err
	}
	elems, err := collect(iterable)
	if err != nil {
		return nil, fmt.Errorf("sorted: %w", err)
	}
	keys, err := keyed(thread, elems, key)
	if err != nil {
		return nil, err
	}
	idx := make([]int, len(elems))
	for i := range idx {
		idx[i] = i
	}
	var cmpErr error
	sort.SliceStable(idx, func(i, j int) bool {
		a, c := keys[idx[i]], keys[idx[j]]
		if reverse {
			a, c = c, a
		}
		lt, err := pyLess(a, c)
		if err != nil && cmpErr == nil {
			cmpErr = err
		}
		return lt
	})
	if cmpErr != nil {
		return nil, fmt.Errorf("sorted: %w", cmpErr)
	}
	out := make([]starlark.Value, len(elems))
	for i, k := range idx {
		out[i] = elems[k]
	}
	return starlark.NewList(out), nil
}

// pyMinMax is Python's min/max: min(iterable) or min(a, b, ...), key=,
// default= (iterable form); the first extreme element wins.
func pyMinMax(isMax bool) func(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	return func(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		name := b.Name()
		var key, def starlark.Value
		for _, kv := range kwargs {
			switch k := string(kv[0].(starlark.String)); k {
			case "key":
				key = kv[1]
			case "default":
				def = kv[1]
			default:
				return nil, fmt.Errorf("%s: unexpected keyword argument %s", name, k)
			}
		}
		var elems []starlark.Value
		switch len(args) {
		case 0:
			return nil, fmt.Errorf("%s expected at least 1 argument, got 0", name)
		case 1:
			var err error
			if elems, err = collect(args[0]); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			if len(elems) == 0 {
				if def != nil {
					return def, nil
				}
				return nil, fmt.Errorf("%s() arg is an empty sequence", name)
			}
		default:
			if def != nil {
				return nil, fmt.Errorf("%s: cannot specify a default with multiple positional arguments", name)
			}
			elems = args
		}
		keys, err := keyed(thread, elems, key)
		if err != nil {
			return nil, err
		}
		best := 0
		for i := 1; i < len(elems); i++ {
			var better bool
			if isMax {
				better, err = pyLess(keys[best], keys[i])
			} else {
				better, err = pyLess(keys[i], keys[best])
			}
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			if better {
				best = i
			}
		}
		return elems[best], nil
	}
}
