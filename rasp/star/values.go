package star

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/glassbox-interp/glassbox/rasp"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// ToStarlark converts a RASP value to Starlark: None, bool, int, float,
// str; a Tuple becomes a Starlark tuple.
func ToStarlark(v rasp.Value) (starlark.Value, error) {
	switch x := v.(type) {
	case nil:
		return starlark.None, nil
	case bool:
		return starlark.Bool(x), nil
	case int:
		return starlark.MakeInt(x), nil
	case float64:
		return starlark.Float(x), nil
	case string:
		return starlark.String(x), nil
	case rasp.Tuple:
		out := make(starlark.Tuple, len(x))
		for i, e := range x {
			s, err := ToStarlark(e)
			if err != nil {
				return nil, err
			}
			out[i] = s
		}
		return out, nil
	}
	n, err := rasp.Normalize(v)
	if err != nil {
		return nil, err
	}
	return ToStarlark(n)
}

// FromStarlark converts a Starlark value to a RASP value. Lists, dicts,
// functions and expressions are not RASP values (Python could not put them
// in a value set either) and give an error.
func FromStarlark(v starlark.Value) (rasp.Value, error) {
	switch x := v.(type) {
	case starlark.NoneType:
		return nil, nil
	case starlark.Bool:
		return bool(x), nil
	case starlark.Int:
		i, ok := x.Int64()
		if !ok || i > math.MaxInt || i < math.MinInt {
			return nil, fmt.Errorf("integer %s is too large for a RASP value", x)
		}
		return int(i), nil
	case starlark.Float:
		return float64(x), nil
	case starlark.String:
		return string(x), nil
	case starlark.Tuple:
		out := make(rasp.Tuple, len(x))
		for i, e := range x {
			r, err := FromStarlark(e)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s is not a RASP value (want None, bool, int, float, str or tuple)", v.Type())
}

// SOpValue is the Starlark value of a RASP SOp. It supports .named(),
// .annotated(), .label, .name, .unique_id, .annotations, .children,
// tracr's operator overloads, and calling it on a list (evaluation).
type SOpValue struct {
	SOp rasp.SOp
	b   *buildState
}

// SelectorValue is the Starlark value of a RASP Selector (supports &, |, ~,
// .named(), .label, … and calling it on a list).
type SelectorValue struct {
	Sel rasp.Selector
	b   *buildState
}

var (
	_ starlark.HasAttrs  = (*SOpValue)(nil)
	_ starlark.HasBinary = (*SOpValue)(nil)
	_ starlark.HasUnary  = (*SOpValue)(nil)
	_ starlark.Callable  = (*SOpValue)(nil)
	_ starlark.HasAttrs  = (*SelectorValue)(nil)
	_ starlark.HasBinary = (*SelectorValue)(nil)
	_ starlark.HasUnary  = (*SelectorValue)(nil)
	_ starlark.Callable  = (*SelectorValue)(nil)
)

func wrap(e rasp.Expr, b *buildState) starlark.Value {
	switch x := e.(type) {
	case rasp.SOp:
		return &SOpValue{SOp: x, b: b}
	case rasp.Selector:
		return &SelectorValue{Sel: x, b: b}
	}
	return starlark.None
}

func exprString(e rasp.Expr) string {
	return fmt.Sprintf("<%s %s>", kindName(e), e.Name())
}

func kindName(e rasp.Expr) string {
	t := fmt.Sprintf("%T", e)
	t = strings.TrimPrefix(t, "*rasp.")
	return t
}

// String describes the SOp.
func (s *SOpValue) String() string { return exprString(s.SOp) }

// Type returns "SOp".
func (s *SOpValue) Type() string { return "SOp" }

// Freeze does nothing: expressions are immutable.
func (s *SOpValue) Freeze() {}

// Truth is True (as for Python objects).
func (s *SOpValue) Truth() starlark.Bool { return true }

// Hash fails: tracr SOps are unhashable (they override ==).
func (s *SOpValue) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable type: SOp") }

// Name is the SOp's name (for starlark.Callable).
func (s *SOpValue) Name() string { return s.SOp.Name() }

// CallInternal evaluates the SOp on a list of values (tracr's sop(xs)).
func (s *SOpValue) CallInternal(thread *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	xs, err := unpackInput(s.SOp.Name(), args, kwargs)
	if err != nil {
		return nil, err
	}
	out, err := rasp.EvalSOp(s.SOp, xs)
	if err != nil {
		return nil, err
	}
	list := make([]starlark.Value, len(out))
	for i, v := range out {
		if list[i], err = ToStarlark(v); err != nil {
			return nil, err
		}
	}
	return starlark.NewList(list), nil
}

func unpackInput(name string, args starlark.Tuple, kwargs []starlark.Tuple) ([]rasp.Value, error) {
	var xs starlark.Iterable
	if err := starlark.UnpackPositionalArgs(name, args, kwargs, 1, &xs); err != nil {
		return nil, err
	}
	var out []rasp.Value
	it := xs.Iterate()
	defer it.Done()
	var x starlark.Value
	for it.Next(&x) {
		v, err := FromStarlark(x)
		if err != nil {
			return nil, fmt.Errorf("%s: input: %w", name, err)
		}
		out = append(out, v)
	}
	return out, nil
}

var exprAttrs = []string{"annotated", "annotations", "children", "label", "name", "named", "unique_id"}

// AttrNames lists the attributes.
func (s *SOpValue) AttrNames() []string { return exprAttrs }

// Attr returns an attribute.
func (s *SOpValue) Attr(name string) (starlark.Value, error) { return exprAttr(s.SOp, s.b, name) }

// Binary implements tracr's SOp operator overloads (+, -, *, /, &, |).
func (s *SOpValue) Binary(op syntax.Token, y starlark.Value, side starlark.Side) (starlark.Value, error) {
	rop, ok := binaryOps[op]
	if !ok {
		return nil, nil
	}
	return sopOperator(s.b, rop, s, y, side)
}

// Unary implements ~sop (Map(lambda x: not x)).
func (s *SOpValue) Unary(op syntax.Token) (starlark.Value, error) {
	if op == syntax.TILDE {
		return &SOpValue{SOp: rasp.Invert(s.SOp), b: s.b}, nil
	}
	return nil, nil
}

var binaryOps = map[syntax.Token]rasp.Op{
	syntax.PLUS:       rasp.OpAdd,
	syntax.MINUS:      rasp.OpSub,
	syntax.STAR:       rasp.OpMul,
	syntax.SLASH:      rasp.OpTrueDiv,
	syntax.SLASHSLASH: rasp.OpFloorDiv,
	syntax.PERCENT:    rasp.OpMod,
	syntax.AMP:        rasp.OpAnd,
	syntax.PIPE:       rasp.OpOr,
	syntax.EQL:        rasp.OpEq,
	syntax.NEQ:        rasp.OpNe,
	syntax.LT:         rasp.OpLt,
	syntax.LE:         rasp.OpLe,
	syntax.GT:         rasp.OpGt,
	syntax.GE:         rasp.OpGe,
}

// sopOperator applies a tracr overload with s on the given side.
func sopOperator(b *buildState, op rasp.Op, s *SOpValue, y starlark.Value, side starlark.Side) (starlark.Value, error) {
	var other any
	switch y := y.(type) {
	case *SOpValue:
		other = y.SOp
	case *SelectorValue:
		return nil, fmt.Errorf("unsupported operand types for %s: SOp and Selector", op)
	default:
		v, err := FromStarlark(y)
		if err != nil {
			return nil, fmt.Errorf("operand of %s with an SOp: %w", op, err)
		}
		other = v
	}
	var res rasp.SOp
	var err error
	if side == starlark.Left {
		res, err = rasp.Operator(op, s.SOp, other)
	} else {
		res, err = rasp.Operator(op, other, s.SOp)
	}
	if err != nil {
		return nil, err
	}
	return &SOpValue{SOp: res, b: b}, nil
}

// String describes the selector.
func (s *SelectorValue) String() string { return exprString(s.Sel) }

// Type returns "Selector".
func (s *SelectorValue) Type() string { return "Selector" }

// Freeze does nothing: expressions are immutable.
func (s *SelectorValue) Freeze() {}

// Truth is True.
func (s *SelectorValue) Truth() starlark.Bool { return true }

// Hash returns an identity-free error (selectors are not used as keys).
func (s *SelectorValue) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable type: Selector") }

// Name is the selector's name (for starlark.Callable).
func (s *SelectorValue) Name() string { return s.Sel.Name() }

// CallInternal evaluates the selector on a list of values: a list of rows
// (queries) of bools (keys), as tracr's sel(xs).
func (s *SelectorValue) CallInternal(thread *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	xs, err := unpackInput(s.Sel.Name(), args, kwargs)
	if err != nil {
		return nil, err
	}
	m, err := rasp.EvalSelector(s.Sel, xs)
	if err != nil {
		return nil, err
	}
	rows := make([]starlark.Value, len(m))
	for i, r := range m {
		cols := make([]starlark.Value, len(r))
		for j, b := range r {
			cols[j] = starlark.Bool(b)
		}
		rows[i] = starlark.NewList(cols)
	}
	return starlark.NewList(rows), nil
}

// AttrNames lists the attributes.
func (s *SelectorValue) AttrNames() []string { return exprAttrs }

// Attr returns an attribute.
func (s *SelectorValue) Attr(name string) (starlark.Value, error) {
	return exprAttr(s.Sel, s.b, name)
}

// Binary implements sel & sel and sel | sel (tracr's selector_and/or with simplification).
func (s *SelectorValue) Binary(op syntax.Token, y starlark.Value, side starlark.Side) (starlark.Value, error) {
	o, ok := y.(*SelectorValue)
	if !ok || (op != syntax.AMP && op != syntax.PIPE) {
		return nil, nil
	}
	l, r := s.Sel, o.Sel
	if side == starlark.Right {
		l, r = r, l
	}
	if op == syntax.AMP {
		return &SelectorValue{Sel: rasp.And(l, r), b: s.b}, nil
	}
	return &SelectorValue{Sel: rasp.Or(l, r), b: s.b}, nil
}

// Unary implements ~sel (tracr's selector_not with simplification).
func (s *SelectorValue) Unary(op syntax.Token) (starlark.Value, error) {
	if op == syntax.TILDE {
		return &SelectorValue{Sel: rasp.Not(s.Sel), b: s.b}, nil
	}
	return nil, nil
}

func exprAttr(e rasp.Expr, b *buildState, name string) (starlark.Value, error) {
	switch name {
	case "named":
		return starlark.NewBuiltin("named", func(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var n string
			if err := starlark.UnpackPositionalArgs("named", args, kwargs, 1, &n); err != nil {
				return nil, err
			}
			return wrap(rasp.Named(e, n), b), nil
		}), nil
	case "annotated":
		return starlark.NewBuiltin("annotated", func(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			if len(args) > 0 {
				return nil, fmt.Errorf("annotated: only keyword arguments are accepted")
			}
			kv, err := annotationArgs(kwargs)
			if err != nil {
				return nil, fmt.Errorf("annotated: %w", err)
			}
			return wrap(rasp.Annotated(e, kv), b), nil
		}), nil
	case "label":
		if b != nil && b.labeler != nil {
			return starlark.String(b.labeler.Label(e)), nil
		}
		return starlark.String(e.Label()), nil
	case "unique_id":
		if b != nil && b.labeler != nil {
			b.labeler.Label(e)
		} else {
			e.Label()
		}
		return starlark.MakeInt(e.ID()), nil
	case "name":
		return starlark.String(e.Name()), nil
	case "annotations":
		d := starlark.NewDict(2)
		ann := e.Annotations()
		keys := make([]string, 0, len(ann))
		for k := range ann {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v, err := annotationToStarlark(ann[k])
			if err != nil {
				return nil, err
			}
			if err := d.SetKey(starlark.String(k), v); err != nil {
				return nil, err
			}
		}
		if _, ok := ann[rasp.AnnotationName]; !ok {
			_ = d.SetKey(starlark.String(rasp.AnnotationName), starlark.String(e.Name()))
		}
		if s, ok := e.(rasp.SOp); ok {
			if _, ok := ann[rasp.AnnotationEncoding]; !ok {
				_ = d.SetKey(starlark.String(rasp.AnnotationEncoding), starlark.String(s.Encoding()))
			}
		}
		d.Freeze()
		return d, nil
	case "children":
		ch := e.Children()
		out := make([]starlark.Value, len(ch))
		for i, c := range ch {
			out[i] = wrap(c, b)
		}
		return starlark.NewList(out), nil
	}
	return nil, nil
}

func annotationToStarlark(v any) (starlark.Value, error) {
	switch x := v.(type) {
	case rasp.Encoding:
		return starlark.String(x), nil
	case starlark.Value:
		return x, nil
	}
	return ToStarlark(v)
}

// annotationArgs converts keyword arguments to annotations; "encoding"
// accepts "categorical"/"numerical".
func annotationArgs(kwargs []starlark.Tuple) (map[string]any, error) {
	kv := map[string]any{}
	for _, p := range kwargs {
		k := string(p[0].(starlark.String))
		switch k {
		case rasp.AnnotationName:
			s, ok := starlark.AsString(p[1])
			if !ok {
				return nil, fmt.Errorf("name must be a string, got %s", p[1].Type())
			}
			kv[k] = s
		case rasp.AnnotationEncoding:
			s, ok := starlark.AsString(p[1])
			if !ok || (s != string(rasp.Categorical) && s != string(rasp.Numerical)) {
				return nil, fmt.Errorf("encoding must be \"categorical\" or \"numerical\", got %s", p[1])
			}
			kv[k] = rasp.Encoding(s)
		default:
			if v, err := FromStarlark(p[1]); err == nil {
				kv[k] = v
			} else {
				p[1].Freeze()
				kv[k] = p[1]
			}
		}
	}
	return kv, nil
}

// ComparisonValue is a member of the Starlark Comparison enum (EQ, LT, …).
// Calling it applies the predicate: Comparison.LT(key, query).
type ComparisonValue struct{ C rasp.Comparison }

// String returns "Comparison.LT" etc.
func (c ComparisonValue) String() string { return "Comparison." + c.C.Name() }

// Type returns "Comparison".
func (c ComparisonValue) Type() string { return "Comparison" }

// Freeze does nothing.
func (c ComparisonValue) Freeze() {}

// Truth is True.
func (c ComparisonValue) Truth() starlark.Bool { return true }

// Hash hashes the enum member.
func (c ComparisonValue) Hash() (uint32, error) { return uint32(c.C) + 1, nil }

// Name returns the member name.
func (c ComparisonValue) Name() string { return c.C.Name() }

// CallInternal applies the comparison to (key, query).
func (c ComparisonValue) CallInternal(thread *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var k, q starlark.Value
	if err := starlark.UnpackPositionalArgs(c.String(), args, kwargs, 2, &k, &q); err != nil {
		return nil, err
	}
	kv, err := FromStarlark(k)
	if err != nil {
		return nil, err
	}
	qv, err := FromStarlark(q)
	if err != nil {
		return nil, err
	}
	r, err := c.C.Select(kv, qv)
	if err != nil {
		return nil, err
	}
	return starlark.Bool(r), nil
}

// AttrNames lists the attributes (name, value).
func (c ComparisonValue) AttrNames() []string { return []string{"name", "value"} }

// Attr returns .name ("LT") or .value ("<").
func (c ComparisonValue) Attr(name string) (starlark.Value, error) {
	switch name {
	case "name":
		return starlark.String(c.C.Name()), nil
	case "value":
		return starlark.String(c.C.String()), nil
	}
	return nil, nil
}

// comparisonEnum is tracr's Comparison enum: its members as attributes
// (Comparison.LT), and iterable, indexable and sized like a Python Enum
// class (for c in Comparison, len(Comparison), list(Comparison)).
type comparisonEnum struct{}

var (
	_ starlark.HasAttrs  = comparisonEnum{}
	_ starlark.Indexable = comparisonEnum{}
	_ starlark.Iterable  = comparisonEnum{}
)

// String returns "<enum 'Comparison'>" as Python prints the class.
func (comparisonEnum) String() string { return "<enum 'Comparison'>" }

// Type returns "Comparison".
func (comparisonEnum) Type() string { return "Comparison" }

// Freeze does nothing (the enum is immutable).
func (comparisonEnum) Freeze() {}

// Truth is True.
func (comparisonEnum) Truth() starlark.Bool { return true }

// Hash is constant: there is one enum.
func (comparisonEnum) Hash() (uint32, error) { return 0x436d70, nil }

// Attr returns the member called name.
func (comparisonEnum) Attr(name string) (starlark.Value, error) {
	for _, c := range rasp.Comparisons {
		if c.Name() == name {
			return ComparisonValue{c}, nil
		}
	}
	return nil, nil
}

// AttrNames lists the members.
func (comparisonEnum) AttrNames() []string {
	names := make([]string, len(rasp.Comparisons))
	for i, c := range rasp.Comparisons {
		names[i] = c.Name()
	}
	return names
}

// Len is the number of members.
func (comparisonEnum) Len() int { return len(rasp.Comparisons) }

// Index returns the i-th member in definition order (EQ, LT, LEQ, GT, GEQ,
// NEQ, TRUE, FALSE).
func (comparisonEnum) Index(i int) starlark.Value { return ComparisonValue{rasp.Comparisons[i]} }

// Iterate iterates over the members in definition order.
func (e comparisonEnum) Iterate() starlark.Iterator { return &comparisonIter{} }

type comparisonIter struct{ i int }

func (it *comparisonIter) Next(p *starlark.Value) bool {
	if it.i >= len(rasp.Comparisons) {
		return false
	}
	*p = ComparisonValue{rasp.Comparisons[it.i]}
	it.i++
	return true
}

func (it *comparisonIter) Done() {}
