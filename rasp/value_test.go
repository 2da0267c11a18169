package rasp

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"strconv"
	"testing"
)

// encValue is a JSON-encoded Python value from testdata/python_values.json.
type encValue struct {
	T string          `json:"t"`
	V json.RawMessage `json:"v"`
}

func (e encValue) decode(t *testing.T) Value {
	t.Helper()
	switch e.T {
	case "none":
		return nil
	case "bool":
		var b bool
		mustUnmarshal(t, e.V, &b)
		return b
	case "int":
		var i int
		mustUnmarshal(t, e.V, &i)
		return i
	case "float":
		var s string
		mustUnmarshal(t, e.V, &s)
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("bad float %q", s)
		}
		return f
	case "str":
		var s string
		mustUnmarshal(t, e.V, &s)
		return s
	case "tuple":
		var elems []encValue
		mustUnmarshal(t, e.V, &elems)
		out := Tuple{}
		for _, x := range elems {
			out = append(out, x.decode(t))
		}
		return out
	}
	t.Fatalf("unknown tag %q", e.T)
	return nil
}

func mustUnmarshal(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("unmarshal %s: %v", b, err)
	}
}

type pyResult struct {
	OK  *encValue `json:"ok"`
	Err string    `json:"err"`
}

type pythonValues struct {
	Values []struct {
		V    encValue `json:"v"`
		Str  string   `json:"str"`
		Repr string   `json:"repr"`
		Bool bool     `json:"bool"`
	} `json:"values"`
	Pairs []map[string]json.RawMessage `json:"pairs"`
	Basis []struct {
		AName string   `json:"a_name"`
		A     encValue `json:"a"`
		BName string   `json:"b_name"`
		B     encValue `json:"b"`
		Less  bool     `json:"less"`
	} `json:"basis"`
	Sets []struct {
		In  []encValue `json:"in"`
		Out []encValue `json:"out"`
	} `json:"sets"`
}

func loadPythonValues(t *testing.T) *pythonValues {
	t.Helper()
	b, err := os.ReadFile("testdata/python_values.json")
	if err != nil {
		t.Fatal(err)
	}
	var pv pythonValues
	if err := json.Unmarshal(b, &pv); err != nil {
		t.Fatal(err)
	}
	return &pv
}

// sameValue reports whether a and b are the same Python value of the same
// type (stricter than Equal: 1 and 1.0 differ), with NaN equal to NaN.
func sameValue(a, b Value) bool {
	if TypeName(a) != TypeName(b) {
		return false
	}
	if fa, ok := a.(float64); ok {
		fb := b.(float64)
		if math.IsNaN(fa) && math.IsNaN(fb) {
			return true
		}
		return fa == fb && math.Signbit(fa) == math.Signbit(fb)
	}
	if ta, ok := a.(Tuple); ok {
		tb := b.(Tuple)
		if len(ta) != len(tb) {
			return false
		}
		for i := range ta {
			if !sameValue(ta[i], tb[i]) {
				return false
			}
		}
		return true
	}
	return Equal(a, b)
}

func TestFormattingMatchesPython(t *testing.T) {
	pv := loadPythonValues(t)
	for _, c := range pv.Values {
		v := c.V.decode(t)
		if got := Str(v); got != c.Str {
			t.Errorf("Str(%#v) = %q, Python %q", v, got, c.Str)
		}
		if got := Repr(v); got != c.Repr {
			t.Errorf("Repr(%#v) = %q, Python %q", v, got, c.Repr)
		}
		if got := Truthy(v); got != c.Bool {
			t.Errorf("Truthy(%#v) = %v, Python %v", v, got, c.Bool)
		}
	}
}

func TestOperatorsMatchPython(t *testing.T) {
	pv := loadPythonValues(t)
	ops := []string{"+", "-", "*", "/", "//", "%", "<", "<=", "=="}
	n := 0
	for _, p := range pv.Pairs {
		var ea, eb encValue
		mustUnmarshal(t, p["a"], &ea)
		mustUnmarshal(t, p["b"], &eb)
		a, b := ea.decode(t), eb.decode(t)
		for _, op := range ops {
			raw, ok := p[op]
			if !ok {
				continue
			}
			var want pyResult
			mustUnmarshal(t, raw, &want)
			var got Value
			var err error
			switch op {
			case "<", "<=", "==":
				got, err = Compare(op, a, b)
			default:
				got, err = Apply(Op(op), a, b)
			}
			n++
			if want.OK == nil {
				switch {
				case err == nil:
					t.Errorf("%s %s %s = %s, Python raises %s", Repr(a), op, Repr(b), Repr(got), want.Err)
				case want.Err == "TypeError" && !errors.Is(err, ErrType):
					t.Errorf("%s %s %s: error %v, want TypeError", Repr(a), op, Repr(b), err)
				case want.Err == "ZeroDivisionError" && !errors.Is(err, ErrZeroDivision):
					t.Errorf("%s %s %s: error %v, want ZeroDivisionError", Repr(a), op, Repr(b), err)
				}
				continue
			}
			w := want.OK.decode(t)
			if err != nil {
				t.Errorf("%s %s %s: error %v, Python gives %s", Repr(a), op, Repr(b), err, Repr(w))
				continue
			}
			if !sameValue(got, w) {
				t.Errorf("%s %s %s = %s (%s), Python %s (%s)", Repr(a), op, Repr(b), Repr(got), TypeName(got), Repr(w), TypeName(w))
			}
		}
	}
	if n < 1000 {
		t.Fatalf("only %d operator checks ran", n)
	}
}

func TestKeyMatchesEqual(t *testing.T) {
	pv := loadPythonValues(t)
	var vals []Value
	for _, c := range pv.Values {
		vals = append(vals, c.V.decode(t))
	}
	for _, a := range vals {
		for _, b := range vals {
			if (Key(a) == Key(b)) != Equal(a, b) {
				t.Errorf("Key(%s)==Key(%s) is %v but Equal is %v", Repr(a), Repr(b), Key(a) == Key(b), Equal(a, b))
			}
		}
	}
}

func TestValueSetKeepsFirstRepresentative(t *testing.T) {
	pv := loadPythonValues(t)
	for _, c := range pv.Sets {
		var in []Value
		for _, e := range c.In {
			in = append(in, e.decode(t))
		}
		s := NewValueSet(in...)
		got := s.Values()
		if len(got) != len(c.Out) {
			t.Fatalf("set of %v has %d elements, Python %d", in, len(got), len(c.Out))
		}
		for i, e := range c.Out {
			if w := e.decode(t); !sameValue(got[i], w) {
				t.Errorf("set of %v: element %d is %s, Python keeps %s", in, i, Repr(got[i]), Repr(w))
			}
		}
		for _, v := range in {
			if !s.Has(v) {
				t.Errorf("set of %v lacks %s", in, Repr(v))
			}
		}
	}
}

func TestBasisLessMatchesPython(t *testing.T) {
	pv := loadPythonValues(t)
	for _, c := range pv.Basis {
		a, b := c.A.decode(t), c.B.decode(t)
		if got := BasisLess(c.AName, a, c.BName, b); got != c.Less {
			t.Errorf("BasisLess(%s, %s) = %v, Python %v", BasisString(c.AName, a), BasisString(c.BName, b), got, c.Less)
		}
	}
}

func TestSortLikePython(t *testing.T) {
	vs := []Value{3, 1.5, true, 0, -2.0, false}
	if err := Sort(vs); err != nil {
		t.Fatal(err)
	}
	want := []Value{-2.0, 0, false, true, 1.5, 3} // stable: 0 before False, as inserted
	for i := range want {
		if !sameValue(vs[i], want[i]) {
			t.Fatalf("Sort = %v, want %v", vs, want)
		}
	}
	if err := Sort([]Value{1, "a"}); !errors.Is(err, ErrType) {
		t.Fatalf("sorting int and str: err %v, want TypeError", err)
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		in   any
		want Value
		err  bool
	}{
		{int64(3), 3, false},
		{uint8(2), 2, false},
		{float32(0.5), 0.5, false},
		{[]Value{int32(1), "a"}, Tuple{1, "a"}, false},
		{[]int{1}, nil, true},
		{struct{}{}, nil, true},
		{uint64(math.MaxUint64), nil, true},
	}
	for _, tc := range tests {
		got, err := Normalize(tc.in)
		if (err != nil) != tc.err {
			t.Errorf("Normalize(%#v) error %v, want error %v", tc.in, err, tc.err)
			continue
		}
		if !tc.err && !sameValue(got, tc.want) {
			t.Errorf("Normalize(%#v) = %#v, want %#v", tc.in, got, tc.want)
		}
	}
}
