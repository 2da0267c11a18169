package rasp

import "errors"

// BasisString formats a tracr BasisDirection: "name" when value is None,
// else "name:value" with Python's str(value) (e.g. "tokens:a", "is_x_3:True",
// "frac_prevs_1", "indices:0").
func BasisString(name string, value Value) string {
	if value == nil {
		return name
	}
	return name + ":" + Str(value)
}

// BasisLess reproduces tracr's BasisDirection.__lt__: it compares the tuples
// (nameA, valA) < (nameB, valB) the way Python does (names first; equal
// values, e.g. 1 and 1.0, are not less), and when Python raises TypeError
// because the values cannot be ordered (int vs str, None vs anything, …) it
// compares the strings BasisString(nameA, valA) < BasisString(nameB, valB).
// So for tokens, ints sort before "BOS"/"PAD" only by string form
// ("tokens:1" < "tokens:BOS"), lowercase words come after them, and
// uppercase words interleave.
func BasisLess(nameA string, valA Value, nameB string, valB Value) bool {
	if nameA != nameB {
		return nameA < nameB
	}
	if Equal(valA, valB) {
		return false
	}
	c, err := order(valA, valB, "<")
	if err != nil {
		if errors.Is(err, ErrType) {
			return BasisString(nameA, valA) < BasisString(nameB, valB)
		}
		return false
	}
	return c < 0
}
