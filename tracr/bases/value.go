package bases

import "github.com/glassbox-interp/glassbox/rasp"

// Value is a RASP value with Python semantics (see package rasp): nil (None),
// bool, int, float64, string or Tuple.
type Value = rasp.Value

// Tuple is a Python tuple of values.
type Tuple = rasp.Tuple

// Equal is Python's == on values.
func Equal(a, b Value) bool { return rasp.Equal(a, b) }

// ValueLess is Python's < on values; it fails (wrapping rasp.ErrType) where
// Python raises TypeError.
func ValueLess(a, b Value) (bool, error) { return rasp.Less(a, b) }

// Key returns a string equal for two values exactly when they are equal.
func Key(v Value) string { return rasp.Key(v) }

// Str is Python's str(v).
func Str(v Value) string { return rasp.Str(v) }

// Repr is Python's repr(v).
func Repr(v Value) string { return rasp.Repr(v) }

// AsFloat returns the numeric value of a bool, int or float.
func AsFloat(v Value) (float64, bool) { return rasp.AsFloat(v) }
