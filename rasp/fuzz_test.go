package rasp

import (
	"math"
	"strconv"
	"testing"
)

// FuzzNumbers checks invariants of the Python number semantics on arbitrary
// floats and ints: repr round-trips, Key agrees with Equal, ordering is
// antisymmetric and consistent with Equal, and arithmetic never panics.
func FuzzNumbers(f *testing.F) {
	f.Add(0.0, int64(0), true)
	f.Add(1.0, int64(1), true)
	f.Add(math.Copysign(0, -1), int64(0), false) // -0.0 as a literal is +0 in Go
	f.Add(1e16, int64(10000000000000000), false)
	f.Add(0.1, int64(-7), true)
	f.Add(math.Inf(1), int64(math.MaxInt64), false)
	f.Add(9.223372036854776e18, int64(math.MaxInt64), false)
	f.Fuzz(func(t *testing.T, x float64, i int64, b bool) {
		s := FormatFloat(x)
		back, err := strconv.ParseFloat(s, 64)
		if err != nil || (back != x && !(math.IsNaN(x) && math.IsNaN(back))) || math.Signbit(back) != math.Signbit(x) && !math.IsNaN(x) {
			t.Fatalf("FormatFloat(%v) = %q does not round-trip (%v, %v)", x, s, back, err)
		}
		vals := []Value{x, int(i), b, nil, "a", Tuple{x, int(i)}}
		for _, u := range vals {
			for _, v := range vals {
				if (Key(u) == Key(v)) != Equal(u, v) && !(isNaN(u) || isNaN(v)) {
					t.Fatalf("Key and Equal disagree on %s, %s", Repr(u), Repr(v))
				}
				lt, err1 := Less(u, v)
				gt, err2 := Less(v, u)
				if err1 == nil && err2 == nil && (lt && gt || (lt || gt) && Equal(u, v)) {
					t.Fatalf("inconsistent order of %s and %s: < %v, > %v", Repr(u), Repr(v), lt, gt)
				}
				for _, op := range []Op{OpAdd, OpSub, OpMul, OpTrueDiv, OpFloorDiv, OpMod, OpAnd, OpOr} {
					_, _ = Apply(op, u, v)
				}
			}
		}
	})
}

func isNaN(v Value) bool {
	switch x := v.(type) {
	case float64:
		return math.IsNaN(x)
	case Tuple:
		for _, e := range x {
			if isNaN(e) {
				return true
			}
		}
	}
	return false
}
