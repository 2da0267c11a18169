package rasp

import (
	"fmt"
	"math"
	"math/bits"
	"strings"
)

// Op is a Python binary operator usable on RASP values and, through
// Operator, on SOps (tracr's operator overloads).
type Op string

// The operators tracr's SOp overloads (plus the ones Apply supports on values).
const (
	OpEq       Op = "=="
	OpNe       Op = "!="
	OpLt       Op = "<"
	OpLe       Op = "<="
	OpGt       Op = ">"
	OpGe       Op = ">="
	OpAdd      Op = "+"
	OpSub      Op = "-"
	OpMul      Op = "*"
	OpTrueDiv  Op = "/"
	OpFloorDiv Op = "//"
	OpMod      Op = "%"
	OpAnd      Op = "and" // Python's `and` (returns an operand); SOp's & uses it
	OpOr       Op = "or"  // Python's `or` (returns an operand); SOp's | uses it
)

// isComparison reports whether op is one of the six comparisons.
func (op Op) isComparison() bool {
	switch op {
	case OpEq, OpNe, OpLt, OpLe, OpGt, OpGe:
		return true
	}
	return false
}

// Apply evaluates x op y with Python semantics on values: bool behaves as
// int in arithmetic, int/int division gives a float, // and % floor towards
// negative infinity, str and tuple support + (concatenation) and * by an int.
// Errors wrap ErrType or ErrZeroDivision as Python would raise them.
func Apply(op Op, x, y Value) (Value, error) {
	switch op {
	case OpEq, OpNe, OpLt, OpLe, OpGt, OpGe:
		return Compare(string(op), x, y)
	case OpAnd:
		if !Truthy(x) {
			return x, nil
		}
		return y, nil
	case OpOr:
		if Truthy(x) {
			return x, nil
		}
		return y, nil
	}
	if isNumber(x) && isNumber(y) {
		return numArith(op, x, y)
	}
	switch op {
	case OpAdd:
		if a, ok := x.(string); ok {
			if b, ok := y.(string); ok {
				return a + b, nil
			}
		}
		if a, ok := x.(Tuple); ok {
			if b, ok := y.(Tuple); ok {
				return append(append(Tuple{}, a...), b...), nil
			}
		}
	case OpMul:
		if n, ok := asInt(y); ok {
			if r, ok, err := repeat(x, n); ok {
				return r, err
			}
		}
		if n, ok := asInt(x); ok {
			if r, ok, err := repeat(y, n); ok {
				return r, err
			}
		}
	}
	return nil, fmt.Errorf("%w: unsupported operand type(s) for %s: '%s' and '%s'", ErrType, op, TypeName(x), TypeName(y))
}

// maxRepeat bounds the length of str * int and tuple * int results (Python
// would run out of memory; here it is an error).
const maxRepeat = 1 << 24

// repeat implements str * int and tuple * int (ok false for other types).
func repeat(v Value, n int) (Value, bool, error) {
	if n < 0 {
		n = 0
	}
	var size int
	switch s := v.(type) {
	case string:
		size = len(s)
	case Tuple:
		size = len(s)
	default:
		return nil, false, nil
	}
	if size > 0 && n > maxRepeat/size {
		return nil, true, fmt.Errorf("MemoryError: %s * %d is too long", TypeName(v), n)
	}
	if s, ok := v.(string); ok {
		return strings.Repeat(s, n), true, nil
	}
	t := v.(Tuple)
	out := make(Tuple, 0, len(t)*n)
	for i := 0; i < n; i++ {
		out = append(out, t...)
	}
	return out, true, nil
}

// numArith applies an arithmetic operator to two numbers.
func numArith(op Op, x, y Value) (Value, error) {
	a, aInt := asInt(x)
	b, bInt := asInt(y)
	if aInt && bInt && op != OpTrueDiv {
		switch op {
		case OpAdd:
			s := a + b
			if (s > a) != (b > 0) {
				return nil, fmt.Errorf("rasp: integer overflow in %d + %d", a, b)
			}
			return s, nil
		case OpSub:
			s := a - b
			if (s < a) != (b > 0) {
				return nil, fmt.Errorf("rasp: integer overflow in %d - %d", a, b)
			}
			return s, nil
		case OpMul:
			hi, lo := bits.Mul64(uint64(abs(a)), uint64(abs(b)))
			if hi != 0 || lo > math.MaxInt64 {
				return nil, fmt.Errorf("rasp: integer overflow in %d * %d", a, b)
			}
			return a * b, nil
		case OpFloorDiv, OpMod:
			if b == 0 {
				return nil, fmt.Errorf("%w: integer division or modulo by zero", ErrZeroDivision)
			}
			q, r := a/b, a%b
			if r != 0 && (r < 0) != (b < 0) {
				q--
				r += b
			}
			if op == OpFloorDiv {
				return q, nil
			}
			return r, nil
		}
	}
	fa, fb := asFloat(x), asFloat(y)
	switch op {
	case OpAdd:
		return fa + fb, nil
	case OpSub:
		return fa - fb, nil
	case OpMul:
		return fa * fb, nil
	case OpTrueDiv:
		if fb == 0 {
			return nil, fmt.Errorf("%w: division by zero", ErrZeroDivision)
		}
		return fa / fb, nil
	case OpFloorDiv, OpMod:
		if fb == 0 {
			return nil, fmt.Errorf("%w: float floor division or modulo by zero", ErrZeroDivision)
		}
		// CPython's float_divmod.
		m := math.Mod(fa, fb)
		div := (fa - m) / fb
		if m != 0 {
			if (fb < 0) != (m < 0) {
				m += fb
				div--
			}
		} else {
			m = math.Copysign(0, fb)
		}
		if op == OpMod {
			return m, nil
		}
		if div != 0 {
			fl := math.Floor(div)
			if div-fl > 0.5 {
				fl++
			}
			return fl, nil
		}
		return math.Copysign(0, fa/fb), nil
	}
	return nil, fmt.Errorf("%w: unsupported operator %s for '%s' and '%s'", ErrType, op, TypeName(x), TypeName(y))
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}
