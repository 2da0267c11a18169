package cases

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/glassbox-interp/glassbox/rasp"
)

// Format prints a row of values separated by spaces, each as Python's
// str() prints it ("BOS a x PAD", "BOS 0.0 0.5 PAD", None as None).
func Format(row []rasp.Value) string {
	parts := make([]string, len(row))
	for i, v := range row {
		parts[i] = rasp.Str(v)
	}
	return strings.Join(parts, " ")
}

// AppendJSON appends v as Python's json.dumps writes it: null, true/false,
// ints, floats with repr digits (0.0, 0.3333333333333333, 1e-05; Infinity,
// -Infinity and NaN for the non-finite values, as Python does), strings
// (UTF-8, not \u-escaped), tuples as arrays.
func AppendJSON(buf []byte, v rasp.Value) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(buf, "null"...), nil
	case bool:
		return strconv.AppendBool(buf, x), nil
	case int:
		return strconv.AppendInt(buf, int64(x), 10), nil
	case float64:
		switch {
		case math.IsNaN(x):
			return append(buf, "NaN"...), nil
		case math.IsInf(x, 1):
			return append(buf, "Infinity"...), nil
		case math.IsInf(x, -1):
			return append(buf, "-Infinity"...), nil
		}
		return append(buf, rasp.FormatFloat(x)...), nil
	case string:
		return appendJSONString(buf, x), nil
	case rasp.Tuple:
		return appendJSONList(buf, x)
	}
	nv, err := rasp.Normalize(v)
	if err != nil {
		return nil, fmt.Errorf("json: %w", err)
	}
	switch nv.(type) {
	case nil, bool, int, float64, string, rasp.Tuple:
		return AppendJSON(buf, nv)
	}
	return nil, fmt.Errorf("json: cannot encode %T", v)
}

func appendJSONList(buf []byte, vs []rasp.Value) ([]byte, error) {
	return AppendJSONList(buf, vs, ", ")
}

// AppendJSONList appends vs as a JSON list, each value as AppendJSON writes
// it, separated by sep (", " is Python's json.dumps, "," compact JSON).
func AppendJSONList(buf []byte, vs []rasp.Value, sep string) ([]byte, error) {
	buf = append(buf, '[')
	for i, v := range vs {
		if i > 0 {
			buf = append(buf, sep...)
		}
		var err error
		if buf, err = AppendJSON(buf, v); err != nil {
			return nil, err
		}
	}
	return append(buf, ']'), nil
}

func appendJSONString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	for _, r := range s {
		switch {
		case r == '"':
			buf = append(buf, `\"`...)
		case r == '\\':
			buf = append(buf, `\\`...)
		case r == '\n':
			buf = append(buf, `\n`...)
		case r == '\r':
			buf = append(buf, `\r`...)
		case r == '\t':
			buf = append(buf, `\t`...)
		case r < 0x20 || r == 0x2028 || r == 0x2029:
			buf = fmt.Appendf(buf, `\u%04x`, r)
		default:
			buf = append(buf, string(r)...)
		}
	}
	return append(buf, '"')
}

// AppendJSON appends the row as {"input": [...], "tokens": [...], "output": [...]}.
func (r Row) AppendJSON(buf []byte) ([]byte, error) {
	var err error
	buf = append(buf, `{"input": `...)
	if buf, err = appendJSONList(buf, r.Input); err != nil {
		return nil, err
	}
	buf = append(buf, `, "tokens": [`...)
	for i, id := range r.Tokens {
		if i > 0 {
			buf = append(buf, ", "...)
		}
		buf = strconv.AppendInt(buf, int64(id), 10)
	}
	buf = append(buf, `], "output": `...)
	if buf, err = appendJSONList(buf, r.Output); err != nil {
		return nil, err
	}
	return append(buf, '}'), nil
}

// MarshalJSON encodes the row as Row.AppendJSON does.
func (r Row) MarshalJSON() ([]byte, error) { return r.AppendJSON(nil) }

var _ json.Marshaler = Row{}

// ParseJSONValue converts a value decoded by encoding/json (with UseNumber)
// to a RASP value: json.Number literals without a fraction or exponent
// become int, other numbers float64, arrays tuples, null None.
func ParseJSONValue(v any) (rasp.Value, error) {
	switch x := v.(type) {
	case nil, bool, string:
		return x, nil
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return int(i), nil
		}
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			return nil, fmt.Errorf("number %s: %w", x, err)
		}
		return f, nil
	case float64:
		return x, nil
	case []any:
		t := make(rasp.Tuple, len(x))
		for i, e := range x {
			var err error
			if t[i], err = ParseJSONValue(e); err != nil {
				return nil, err
			}
		}
		return t, nil
	}
	return nil, fmt.Errorf("unsupported JSON value %T", v)
}
