package torchfile

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/nlpodyssey/gopickle/types"
)

// DefaultMaxNodes bounds the size of what Plain returns: the number of
// values with every shared reference expanded, where a string or bytes value
// weighs 1 + len/64. A pickle can reference one value many times (memo GET),
// so a few hundred bytes can describe 2^64 values.
const DefaultMaxNodes = 1 << 22

// maxPlainDepth bounds the nesting Plain follows (Python's own pickler
// stops near 1000 levels).
const maxPlainDepth = 1000

// Plain converts gopickle values to plain Go values: dicts → map[string]any
// (non-string keys are formatted as text), lists/tuples/sets → []any,
// integers → int (or *big.Int when they do not fit), DType → its name
// ("float32"), Device → its name ("cpu"), Object → map with "__class__"
// ("module.Name") plus its __dict__ entries (and "__args__" when it had
// constructor arguments). Other values pass through.
//
// A value referenced several times is converted once and shared. A value
// that contains itself is an error, and so is a result of more than
// DefaultMaxNodes values (see PlainLimit).
func Plain(v any) (any, error) {
	return PlainLimit(v, DefaultMaxNodes)
}

// PlainLimit is Plain with a bound of maxNodes on the size of the result
// (counted as for DefaultMaxNodes).
func PlainLimit(v any, maxNodes int) (any, error) {
	p := &plainer{memo: map[any]plainDone{}, active: map[any]bool{}, max: maxNodes}
	out, _, err := p.conv(v, "")
	if err != nil {
		return nil, err
	}
	return out, nil
}

type plainDone struct {
	out  any
	size int // values in out, shared references expanded
}

type plainer struct {
	memo   map[any]plainDone // containers already converted, by pointer
	active map[any]bool      // containers being converted (on the current path)
	max    int
}

// container returns the identity of a value that can be shared or contain
// itself, or nil.
func container(v any) any {
	switch v.(type) {
	case *types.Dict, *types.OrderedDict, *types.List, *types.Tuple, *types.Set, *types.FrozenSet, *Object:
		return v
	}
	return nil
}

func (p *plainer) conv(v any, at string) (any, int, error) {
	id := container(v)
	if id != nil {
		if d, ok := p.memo[id]; ok {
			return d.out, d.size, nil
		}
		if p.active[id] {
			return nil, 0, fmt.Errorf("%s contains itself (a reference cycle): refusing to convert it", where(at))
		}
		if len(p.active) >= maxPlainDepth {
			return nil, 0, fmt.Errorf("%s is nested deeper than %d levels: refusing to convert it", where(at), maxPlainDepth)
		}
		p.active[id] = true
		defer delete(p.active, id)
	}
	out, size, err := p.convNew(v, at)
	if err != nil {
		return nil, 0, err
	}
	if size > p.max {
		return nil, 0, p.tooBig(at)
	}
	if id != nil {
		p.memo[id] = plainDone{out, size}
	}
	return out, size, nil
}

func (p *plainer) tooBig(at string) error {
	return fmt.Errorf("%s holds more than %d values once its shared references are expanded: refusing to convert it", where(at), p.max)
}

// where names the position at (a path such as `["cfg"][0]`) in messages.
func where(at string) string {
	if at == "" {
		return "the pickled value"
	}
	if len(at) > 80 {
		at = at[:40] + "…" + at[len(at)-30:]
	}
	return "the pickled value at " + at
}

// add sums sizes without overflowing past the limit.
func (p *plainer) add(a, b int) int {
	if a > p.max || b > p.max {
		return p.max + 1
	}
	return a + b
}

func (p *plainer) convNew(v any, at string) (any, int, error) {
	switch x := v.(type) {
	case *types.Dict:
		m := make(map[string]any, x.Len())
		size := 1
		for _, e := range *x {
			if err := p.entry(m, e.Key, e.Value, at, &size); err != nil {
				return nil, 0, err
			}
		}
		return m, size, nil
	case *types.OrderedDict:
		m := make(map[string]any, x.Len())
		size := 1
		for el := x.List.Front(); el != nil; el = el.Next() {
			e := el.Value.(*types.OrderedDictEntry)
			if err := p.entry(m, e.Key, e.Value, at, &size); err != nil {
				return nil, 0, err
			}
		}
		return m, size, nil
	case *types.List:
		return p.slice(*x, at)
	case *types.Tuple:
		return p.slice(*x, at)
	case *types.Set:
		s := make([]any, 0, len(*x))
		for k := range *x {
			s = append(s, k)
		}
		return p.slice(s, at)
	case *types.FrozenSet:
		s := make([]any, 0, len(*x))
		for k := range *x {
			s = append(s, k)
		}
		return p.slice(s, at)
	case *big.Int:
		if x.IsInt64() {
			return int(x.Int64()), 1, nil
		}
		return x, 1 + len(x.Bits()), nil
	case string:
		return x, 1 + len(x)/64, nil
	case []byte:
		return x, 1 + len(x)/64, nil
	case *DType:
		return x.Name, 1, nil
	case *Device:
		return x.Name, 1, nil
	case *Object:
		m := map[string]any{"__class__": x.Class.Module + "." + x.Class.Name}
		size := 1
		for k, val := range x.Dict {
			out, n, err := p.conv(val, at+"."+k)
			if err != nil {
				return nil, 0, err
			}
			m[k] = out
			size = p.add(size, n)
		}
		if len(x.Args) > 0 {
			out, n, err := p.slice(x.Args, at+".__args__")
			if err != nil {
				return nil, 0, err
			}
			m["__args__"] = out
			size = p.add(size, n)
		}
		if x.State != nil {
			out, n, err := p.conv(x.State, at+".__state__")
			if err != nil {
				return nil, 0, err
			}
			m["__state__"] = out
			size = p.add(size, n)
		}
		return m, size, nil
	case *Class:
		return x.Module + "." + x.Name, 1, nil
	case *types.GenericObject:
		return fmt.Sprintf("<%s.%s object>", x.Class.Module, x.Class.Name), 1, nil
	}
	return v, 1, nil
}

func (p *plainer) entry(m map[string]any, key, val any, at string, size *int) error {
	k := keyString(key)
	out, n, err := p.conv(val, at+"["+strconv.Quote(k)+"]")
	if err != nil {
		return err
	}
	m[k] = out
	*size = p.add(*size, p.add(n, 1+len(k)/64))
	if *size > p.max {
		return p.tooBig(at)
	}
	return nil
}

func (p *plainer) slice(s []any, at string) ([]any, int, error) {
	out := make([]any, len(s))
	size := 1
	for i, e := range s {
		o, n, err := p.conv(e, at+"["+strconv.Itoa(i)+"]")
		if err != nil {
			return nil, 0, err
		}
		out[i] = o
		size = p.add(size, n)
		if size > p.max {
			return nil, 0, p.tooBig(at)
		}
	}
	return out, size, nil
}

// keyString formats a dict key as text: strings as they are, tuples as
// "(a, b)", anything else briefly (never recursing without bound).
func keyString(k any) string {
	if s, ok := k.(string); ok {
		return s
	}
	return short(k)
}

// short formats a pickle value for a message or a key: bounded in depth and
// length, so a value that contains itself cannot recurse forever.
func short(v any) string {
	var sb strings.Builder
	writeShort(&sb, v, 0)
	s := sb.String()
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

func writeShort(sb *strings.Builder, v any, depth int) {
	if sb.Len() > 200 {
		return
	}
	seq := func(open, close string, items []any) {
		if depth > 8 {
			sb.WriteString(open + "…" + close)
			return
		}
		sb.WriteString(open)
		for i, e := range items {
			if i > 0 {
				sb.WriteString(", ")
			}
			if sb.Len() > 200 {
				sb.WriteString("…")
				break
			}
			writeShort(sb, e, depth+1)
		}
		sb.WriteString(close)
	}
	switch x := v.(type) {
	case nil:
		sb.WriteString("None")
	case string:
		sb.WriteString(x)
	case *types.Tuple:
		seq("(", ")", *x)
	case *types.List:
		seq("[", "]", *x)
	case []any:
		seq("[", "]", x)
	case *types.Dict:
		sb.WriteString(fmt.Sprintf("{dict of %d}", x.Len()))
	case *types.OrderedDict:
		sb.WriteString(fmt.Sprintf("{OrderedDict of %d}", x.Len()))
	case *types.Set, *types.FrozenSet:
		sb.WriteString("{set}")
	case *Object:
		sb.WriteString("<" + x.Class.Module + "." + x.Class.Name + " object>")
	case *Class:
		sb.WriteString(x.Module + "." + x.Name)
	case *DType:
		sb.WriteString("torch." + x.Name)
	case *Device:
		sb.WriteString("device(" + x.Name + ")")
	case *Tensor:
		sb.WriteString(fmt.Sprintf("tensor%v", x.Shape))
	case *storage:
		sb.WriteString(fmt.Sprintf("storage %q", x.key))
	case int, int64, float64, bool, *big.Int:
		sb.WriteString(fmt.Sprint(x))
	case []byte:
		sb.WriteString(fmt.Sprintf("bytes of %d", len(x)))
	default:
		sb.WriteString(fmt.Sprintf("<%T>", v))
	}
}
