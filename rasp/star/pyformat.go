package star

import (
	"fmt"
	"strings"

	"github.com/glassbox-interp/glassbox/rasp"
	"go.starlark.net/starlark"
)

// pyRepr formats v as Python's repr() would: floats with Python's digits
// and exponent rules, strings with single quotes, lists, tuples, dicts and
// sets with Python punctuation. Other values use Starlark's formatting.
func pyRepr(v starlark.Value) string {
	var sb strings.Builder
	writePyRepr(&sb, v, 0)
	return sb.String()
}

// pyStr formats v as Python's str() would (strings unquoted).
func pyStr(v starlark.Value) string {
	if s, ok := v.(starlark.String); ok {
		return string(s)
	}
	return pyRepr(v)
}

func writePyRepr(sb *strings.Builder, v starlark.Value, depth int) {
	if depth > 50 {
		sb.WriteString("...")
		return
	}
	switch x := v.(type) {
	case starlark.NoneType, starlark.Bool, starlark.Int:
		sb.WriteString(x.String())
	case starlark.Float:
		sb.WriteString(rasp.FormatFloat(float64(x)))
	case starlark.String:
		sb.WriteString(rasp.Repr(string(x)))
	case starlark.Tuple:
		sb.WriteByte('(')
		for i, e := range x {
			if i > 0 {
				sb.WriteString(", ")
			}
			writePyRepr(sb, e, depth+1)
		}
		if len(x) == 1 {
			sb.WriteByte(',')
		}
		sb.WriteByte(')')
	case *starlark.List:
		sb.WriteByte('[')
		for i := 0; i < x.Len(); i++ {
			if i > 0 {
				sb.WriteString(", ")
			}
			writePyRepr(sb, x.Index(i), depth+1)
		}
		sb.WriteByte(']')
	case *starlark.Dict:
		sb.WriteByte('{')
		for i, kv := range x.Items() {
			if i > 0 {
				sb.WriteString(", ")
			}
			writePyRepr(sb, kv[0], depth+1)
			sb.WriteString(": ")
			writePyRepr(sb, kv[1], depth+1)
		}
		sb.WriteByte('}')
	case *starlark.Set:
		if x.Len() == 0 {
			sb.WriteString("set()")
			return
		}
		sb.WriteByte('{')
		it := x.Iterate()
		var e starlark.Value
		for i := 0; it.Next(&e); i++ {
			if i > 0 {
				sb.WriteString(", ")
			}
			writePyRepr(sb, e, depth+1)
		}
		it.Done()
		sb.WriteByte('}')
	default:
		sb.WriteString(v.String())
	}
}

func pyStrBuiltin(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var x starlark.Value = starlark.String("")
	if err := starlark.UnpackPositionalArgs("str", args, kwargs, 0, &x); err != nil {
		return nil, err
	}
	return starlark.String(pyStr(x)), nil
}

func pyReprBuiltin(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var x starlark.Value
	if err := starlark.UnpackPositionalArgs("repr", args, kwargs, 1, &x); err != nil {
		return nil, err
	}
	return starlark.String(pyRepr(x)), nil
}

// pyPercent prepares `format % args` so that Starlark's formatting prints
// %s and %r operands as Python does: each %s / %r operand that Starlark
// would print differently (floats, containers, quoted strings) is replaced
// by its Python text and the directive by %s. Formats it does not
// understand (%(name)s) are left to Starlark.
func pyPercent(format starlark.String, args starlark.Value) (starlark.Value, starlark.Value, error) {
	f := string(format)
	if strings.Contains(f, "%(") {
		return format, args, nil
	}
	var list []starlark.Value
	tuple, isTuple := args.(starlark.Tuple)
	if isTuple {
		list = append(list, tuple...)
	} else {
		list = []starlark.Value{args}
	}
	var out strings.Builder
	argi := 0
	for i := 0; i < len(f); i++ {
		c := f[i]
		out.WriteByte(c)
		if c != '%' || i+1 >= len(f) {
			continue
		}
		i++
		d := f[i]
		switch {
		case d == '%':
			out.WriteByte('%')
			continue
		case (d == 's' || d == 'r') && argi < len(list):
			a := list[argi]
			if d == 'r' {
				list[argi] = starlark.String(pyRepr(a))
				d = 's'
			} else if _, isStr := a.(starlark.String); !isStr {
				list[argi] = starlark.String(pyStr(a))
			}
		}
		out.WriteByte(d)
		argi++
	}
	if !isTuple {
		if len(list) != 1 {
			return nil, nil, fmt.Errorf("internal error formatting %q", f)
		}
		return starlark.String(out.String()), list[0], nil
	}
	return starlark.String(out.String()), starlark.Tuple(list), nil
}
