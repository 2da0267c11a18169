package rasp

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Value is one RASP value with Python semantics. It holds nil (Python None),
// bool, int, float64, string or Tuple. Other Go types are rejected by the
// functions of this package with an error.
type Value = any

// Tuple is a Python tuple of values (hashable, ordered lexicographically).
type Tuple []Value

// ErrType is wrapped by every error that Python would raise as TypeError
// (for example ordering an int against a str).
var ErrType = errors.New("TypeError")

// ErrZeroDivision is wrapped by division or modulo by zero.
var ErrZeroDivision = errors.New("ZeroDivisionError")

// Normalize converts Go numeric types (int8…int64, uint…, float32) and
// []Value to the canonical Value representation (int, float64, Tuple). It
// reports an error for types that have no Python counterpart.
func Normalize(v any) (Value, error) {
	switch x := v.(type) {
	case nil, bool, int, float64, string:
		return x, nil
	case Tuple:
		out := make(Tuple, len(x))
		for i, e := range x {
			n, err := Normalize(e)
			if err != nil {
				return nil, err
			}
			out[i] = n
		}
		return out, nil
	case []Value:
		return Normalize(Tuple(x))
	case int8:
		return int(x), nil
	case int16:
		return int(x), nil
	case int32:
		return int(x), nil
	case int64:
		return int(x), nil
	case uint8:
		return int(x), nil
	case uint16:
		return int(x), nil
	case uint32:
		return int(x), nil
	case uint:
		if uint64(x) > math.MaxInt64 {
			return nil, fmt.Errorf("rasp: integer %d out of range", x)
		}
		return int(x), nil
	case uint64:
		if x > math.MaxInt64 {
			return nil, fmt.Errorf("rasp: integer %d out of range", x)
		}
		return int(x), nil
	case float32:
		return float64(x), nil
	}
	return nil, fmt.Errorf("rasp: %T is not a RASP value (want None, bool, int, float, str or tuple)", v)
}

// TypeName returns Python's type name of v: NoneType, bool, int, float, str, tuple.
func TypeName(v Value) string {
	switch v.(type) {
	case nil:
		return "NoneType"
	case bool:
		return "bool"
	case int:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case Tuple:
		return "tuple"
	}
	return fmt.Sprintf("%T", v)
}

// isNumber reports whether v is bool, int or float64 (Python's numeric tower).
func isNumber(v Value) bool {
	switch v.(type) {
	case bool, int, float64:
		return true
	}
	return false
}

// asFloat returns a numeric value as float64.
func asFloat(v Value) float64 {
	switch x := v.(type) {
	case bool:
		if x {
			return 1
		}
		return 0
	case int:
		return float64(x)
	case float64:
		return x
	}
	return math.NaN()
}

// asInt returns a bool or int as int (ok false for other types).
func asInt(v Value) (int, bool) {
	switch x := v.(type) {
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case int:
		return x, true
	}
	return 0, false
}

// numCompare compares two numbers exactly (ints are not rounded through
// float64 when both are integers). It returns -1, 0, 1, or 2 for unordered (NaN).
func numCompare(a, b Value) int {
	ai, aInt := asInt(a)
	bi, bInt := asInt(b)
	if aInt && bInt {
		switch {
		case ai < bi:
			return -1
		case ai > bi:
			return 1
		}
		return 0
	}
	if aInt || bInt {
		// int versus float: compare exactly when the float is integral and in range.
		var i int
		var f float64
		sign := 1
		if aInt {
			i, f = ai, asFloat(b)
		} else {
			i, f = bi, asFloat(a)
			sign = -1
		}
		if math.IsNaN(f) {
			return 2
		}
		var c int
		switch {
		case math.IsInf(f, 1) || f >= 9.3e18:
			c = -1
		case math.IsInf(f, -1) || f <= -9.3e18:
			c = 1
		default:
			fl := math.Floor(f)
			fi := int(fl)
			switch {
			case i < fi:
				c = -1
			case i > fi:
				c = 1
			case f > fl:
				c = -1
			default:
				c = 0
			}
		}
		return c * sign
	}
	x, y := asFloat(a), asFloat(b)
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	case x == y:
		return 0
	}
	return 2
}

// Equal reports Python's a == b: numbers compare by value across bool, int
// and float (1 == 1.0 == True), strings by content, tuples element-wise, and
// values of different kinds are unequal. None equals only None.
func Equal(a, b Value) bool {
	if isNumber(a) && isNumber(b) {
		return numCompare(a, b) == 0
	}
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case Tuple:
		y, ok := b.(Tuple)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !Equal(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	return false
}

// Less reports Python's a < b. Numbers compare numerically, strings by code
// point, tuples lexicographically (first unequal element decides). Any other
// pair, including anything with None, is an error wrapping ErrType, as in Python.
func Less(a, b Value) (bool, error) {
	c, err := order(a, b, "<")
	return c < 0, err
}

// order returns -1/0/1 for a vs b (2 for NaN-unordered) or a TypeError.
func order(a, b Value, op string) (int, error) {
	if isNumber(a) && isNumber(b) {
		return numCompare(a, b), nil
	}
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y), nil
		}
	case Tuple:
		if y, ok := b.(Tuple); ok {
			for i := 0; i < len(x) && i < len(y); i++ {
				if Equal(x[i], y[i]) {
					continue
				}
				return order(x[i], y[i], op)
			}
			switch {
			case len(x) < len(y):
				return -1, nil
			case len(x) > len(y):
				return 1, nil
			}
			return 0, nil
		}
	}
	return 0, fmt.Errorf("%w: '%s' not supported between instances of '%s' and '%s'", ErrType, op, TypeName(a), TypeName(b))
}

// Compare applies one of Python's comparison operators ("==", "!=", "<",
// "<=", ">", ">=") to a and b.
func Compare(op string, a, b Value) (bool, error) {
	switch op {
	case "==":
		return Equal(a, b), nil
	case "!=":
		return !Equal(a, b), nil
	}
	c, err := order(a, b, op)
	if err != nil {
		return false, err
	}
	if c == 2 {
		return false, nil
	}
	switch op {
	case "<":
		return c < 0, nil
	case "<=":
		return c <= 0, nil
	case ">":
		return c > 0, nil
	case ">=":
		return c >= 0, nil
	}
	return false, fmt.Errorf("rasp: unknown comparison %q", op)
}

// Sort sorts values in place as Python's sorted() would (stable, ascending).
// It returns an error wrapping ErrType if two values cannot be ordered.
func Sort(vs []Value) error {
	var err error
	sort.SliceStable(vs, func(i, j int) bool {
		c, e := order(vs[i], vs[j], "<")
		if e != nil && err == nil {
			err = e
		}
		return c < 0
	})
	return err
}

// Truthy reports Python's bool(v): None, False, 0, 0.0, "" and () are false.
func Truthy(v Value) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case int:
		return x != 0
	case float64:
		return x != 0
	case string:
		return x != ""
	case Tuple:
		return len(x) != 0
	}
	return true
}

// Key returns a comparable key for v such that Key(a) == Key(b) exactly when
// Equal(a, b) (hashing like a Python set or dict: 1, 1.0 and True share a key).
func Key(v Value) string {
	var sb strings.Builder
	writeKey(&sb, v)
	return sb.String()
}

func writeKey(sb *strings.Builder, v Value) {
	switch x := v.(type) {
	case nil:
		sb.WriteString("N")
	case bool, int:
		i, _ := asInt(x)
		sb.WriteString("n")
		sb.WriteString(strconv.Itoa(i))
	case float64:
		if x == 0 {
			sb.WriteString("n0")
		} else if x == math.Trunc(x) && !math.IsInf(x, 0) {
			sb.WriteString("n")
			sb.WriteString(strconv.FormatFloat(x, 'f', -1, 64))
		} else {
			sb.WriteString("f")
			sb.WriteString(strconv.FormatFloat(x, 'g', -1, 64))
		}
	case string:
		sb.WriteString("s")
		sb.WriteString(strconv.Quote(x))
	case Tuple:
		sb.WriteString("(")
		for i, e := range x {
			if i > 0 {
				sb.WriteString(",")
			}
			writeKey(sb, e)
		}
		sb.WriteString(")")
	default:
		fmt.Fprintf(sb, "?%T:%v", v, v)
	}
}

// ValueSet is an insertion-ordered set of values with Python set semantics:
// equal values (1, 1.0, True) are one element and the first inserted
// representative is kept, as in Python ({1, 1.0, True} == {1}).
type ValueSet struct {
	index map[string]int
	vals  []Value
}

// NewValueSet returns a set holding vs (duplicates merged, first kept).
func NewValueSet(vs ...Value) *ValueSet {
	s := &ValueSet{index: map[string]int{}}
	for _, v := range vs {
		s.Add(v)
	}
	return s
}

// Add inserts v unless an equal value is present; it reports whether v was added.
func (s *ValueSet) Add(v Value) bool {
	if s.index == nil {
		s.index = map[string]int{}
	}
	k := Key(v)
	if _, ok := s.index[k]; ok {
		return false
	}
	s.index[k] = len(s.vals)
	s.vals = append(s.vals, v)
	return true
}

// Has reports whether a value equal to v is in the set.
func (s *ValueSet) Has(v Value) bool {
	_, ok := s.index[Key(v)]
	return ok
}

// Get returns the stored representative equal to v.
func (s *ValueSet) Get(v Value) (Value, bool) {
	i, ok := s.index[Key(v)]
	if !ok {
		return nil, false
	}
	return s.vals[i], true
}

// Len returns the number of elements.
func (s *ValueSet) Len() int { return len(s.vals) }

// Values returns the elements in insertion order (a copy).
func (s *ValueSet) Values() []Value { return append([]Value(nil), s.vals...) }

// Sorted returns the elements sorted as Python's sorted() would.
func (s *ValueSet) Sorted() ([]Value, error) {
	vs := s.Values()
	return vs, Sort(vs)
}

// AsFloat returns the number a bool, int or float64 stands for (True is 1),
// and false for every other value.
func AsFloat(v Value) (float64, bool) {
	switch x := v.(type) {
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case int:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// Str formats v like Python's str(): None, True, 3, 3.0, 0.3333333333333333,
// strings without quotes, tuples as ('a', 1).
func Str(v Value) string {
	if s, ok := v.(string); ok {
		return s
	}
	return Repr(v)
}

// Repr formats v like Python's repr(): strings get quotes ('a').
func Repr(v Value) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case int:
		return strconv.Itoa(x)
	case float64:
		return FormatFloat(x)
	case string:
		return reprString(x)
	case Tuple:
		var sb strings.Builder
		sb.WriteString("(")
		for i, e := range x {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString(Repr(e))
		}
		if len(x) == 1 {
			sb.WriteString(",")
		}
		sb.WriteString(")")
		return sb.String()
	}
	return fmt.Sprintf("<%T %v>", v, v)
}

// FormatFloat formats f as Python's repr(float): the shortest round-trip
// digits, fixed notation for exponents -4..15 with a trailing ".0" when
// integral, otherwise scientific notation like 1e-05 or 1.5e+16.
func FormatFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // d.ddde±XX
	mant, expStr, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expStr)
	if exp < -4 || exp >= 16 {
		sign := "+"
		if exp < 0 {
			sign = "-"
			exp = -exp
		}
		return fmt.Sprintf("%se%s%02d", mant, sign, exp)
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(s, ".") {
		s += ".0"
	}
	return s
}

// reprString quotes s as Python's repr(str) does.
func reprString(s string) string {
	quote := byte('\'')
	if strings.Contains(s, "'") && !strings.Contains(s, "\"") {
		quote = '"'
	}
	var sb strings.Builder
	sb.WriteByte(quote)
	for _, r := range s {
		switch {
		case r == '\\':
			sb.WriteString(`\\`)
		case r == rune(quote):
			sb.WriteByte('\\')
			sb.WriteByte(quote)
		case r == '\n':
			sb.WriteString(`\n`)
		case r == '\r':
			sb.WriteString(`\r`)
		case r == '\t':
			sb.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&sb, `\x%02x`, r)
		case !strconv.IsPrint(r) && r < 0x100:
			fmt.Fprintf(&sb, `\x%02x`, r)
		case !strconv.IsPrint(r) && r < 0x10000:
			fmt.Fprintf(&sb, `\u%04x`, r)
		case !strconv.IsPrint(r):
			fmt.Fprintf(&sb, `\U%08x`, r)
		default:
			sb.WriteRune(r)
		}
	}
	sb.WriteByte(quote)
	return sb.String()
}
