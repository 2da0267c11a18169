package star

import (
	"fmt"

	"github.com/glassbox-interp/glassbox/rasp"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
	"go.starlark.net/syntax"
)

// buildState is shared by everything created during one Build.
type buildState struct {
	labeler *rasp.Labeler
	funcs   []*Func
	budget  *Budget             // steps and bytes of the build and its functions
	pre     starlark.StringDict // predeclared names of this build
}

const buildKey = "glassbox/rasp/star.build"

func stateOf(thread *starlark.Thread) *buildState {
	if b, ok := thread.Local(buildKey).(*buildState); ok {
		return b
	}
	return &buildState{budget: budgetOf(thread)}
}

type builtinFn = func(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error)

// raspMembers returns the RASP names (shared by the top level and the rasp struct).
func raspMembers() starlark.StringDict {
	d := starlark.StringDict{
		"tokens":            &SOpValue{SOp: rasp.Tokens},
		"indices":           &SOpValue{SOp: rasp.Indices},
		"length":            &SOpValue{SOp: rasp.Length},
		"Map":               starlark.NewBuiltin("Map", builtinMap),
		"SequenceMap":       starlark.NewBuiltin("SequenceMap", builtinSequenceMap),
		"LinearSequenceMap": starlark.NewBuiltin("LinearSequenceMap", builtinLinearSequenceMap),
		"Full":              starlark.NewBuiltin("Full", builtinFull),
		"ConstantSOp":       starlark.NewBuiltin("ConstantSOp", builtinConstantSOp),
		"Select":            starlark.NewBuiltin("Select", builtinSelect),
		"ConstantSelector":  starlark.NewBuiltin("ConstantSelector", builtinConstantSelector),
		"Aggregate":         starlark.NewBuiltin("Aggregate", builtinAggregate),
		"SelectorWidth":     starlark.NewBuiltin("SelectorWidth", builtinSelectorWidth),
		"SelectorAnd":       starlark.NewBuiltin("SelectorAnd", selectorPair("SelectorAnd", func(a, b rasp.Selector) rasp.Selector { return rasp.NewSelectorAnd(a, b) })),
		"SelectorOr":        starlark.NewBuiltin("SelectorOr", selectorPair("SelectorOr", func(a, b rasp.Selector) rasp.Selector { return rasp.NewSelectorOr(a, b) })),
		"SelectorNot":       starlark.NewBuiltin("SelectorNot", builtinSelectorNot),
		"selector_and":      starlark.NewBuiltin("selector_and", selectorPairSimplify("selector_and", rasp.And, func(a, b rasp.Selector) rasp.Selector { return rasp.NewSelectorAnd(a, b) })),
		"selector_or":       starlark.NewBuiltin("selector_or", selectorPairSimplify("selector_or", rasp.Or, func(a, b rasp.Selector) rasp.Selector { return rasp.NewSelectorOr(a, b) })),
		"selector_not":      starlark.NewBuiltin("selector_not", builtinSelectorNotSimplify),
		"numerical":         starlark.NewBuiltin("numerical", encodingBuiltin("numerical", rasp.Numerical)),
		"categorical":       starlark.NewBuiltin("categorical", encodingBuiltin("categorical", rasp.Categorical)),
		"annotate":          starlark.NewBuiltin("annotate", builtinAnnotate),
		"get_encoding":      starlark.NewBuiltin("get_encoding", encodingQuery("get_encoding", "")),
		"is_numerical":      starlark.NewBuiltin("is_numerical", encodingQuery("is_numerical", rasp.Numerical)),
		"is_categorical":    starlark.NewBuiltin("is_categorical", encodingQuery("is_categorical", rasp.Categorical)),
	}
	for _, c := range rasp.Comparisons {
		d[c.Name()] = ComparisonValue{c}
	}
	d["Comparison"] = comparisonEnum{}
	return d
}

// universe returns every predeclared name of a .star file.
func universe() starlark.StringDict {
	d := raspMembers()
	d["rasp"] = &starlarkstruct.Module{Name: "rasp", Members: raspMembers()}
	for k, v := range pythonBuiltins() {
		d[k] = v
	}
	d[cmpBuiltinName] = starlark.NewBuiltin("comparison", builtinCompare)
	d[binopBuiltinName] = starlark.NewBuiltin("operator", builtinBinop)
	d[augopBuiltinName] = starlark.NewBuiltin("operator", builtinAugop)
	d[unaryBuiltinName] = starlark.NewBuiltin("operator", builtinUnary)
	d[inBuiltinName] = starlark.NewBuiltin("operator", builtinIn)
	for k, v := range memoryBuiltins() {
		d[k] = v
	}
	return d
}

func asSOp(fn, arg string, v starlark.Value) (rasp.SOp, error) {
	if s, ok := v.(*SOpValue); ok {
		return s.SOp, nil
	}
	return nil, fmt.Errorf("%s: %s must be an SOp, got %s", fn, arg, v.Type())
}

func asSelector(fn, arg string, v starlark.Value) (rasp.Selector, error) {
	if s, ok := v.(*SelectorValue); ok {
		return s.Sel, nil
	}
	return nil, fmt.Errorf("%s: %s must be a Selector, got %s", fn, arg, v.Type())
}

func asFunc(thread *starlark.Thread, fn, arg string, v starlark.Value) (*Func, error) {
	switch v.(type) {
	case *SOpValue, *SelectorValue:
		return nil, fmt.Errorf("%s: %s must be a function, got an expression (%s)", fn, arg, v.Type())
	}
	c, ok := v.(starlark.Callable)
	if !ok {
		return nil, fmt.Errorf("%s: %s must be a function, got %s", fn, arg, v.Type())
	}
	b := stateOf(thread)
	f := &Func{Fn: c, budget: b.budget}
	b.funcs = append(b.funcs, f)
	return f, nil
}

func asValue(fn, arg string, v starlark.Value) (rasp.Value, error) {
	r, err := FromStarlark(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", fn, arg, err)
	}
	return r, nil
}

func builtinMap(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var f, inner starlark.Value
	simplify := true
	if err := starlark.UnpackArgs("Map", args, kwargs, "f", &f, "inner", &inner, "simplify?", &simplify); err != nil {
		return nil, err
	}
	fn, err := asFunc(thread, "Map", "f", f)
	if err != nil {
		return nil, err
	}
	in, err := asSOp("Map", "inner", inner)
	if err != nil {
		return nil, err
	}
	return &SOpValue{SOp: rasp.NewMapSimplify(fn, in, simplify), b: stateOf(thread)}, nil
}

func builtinSequenceMap(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var f, fst, snd starlark.Value
	if err := starlark.UnpackArgs("SequenceMap", args, kwargs, "f", &f, "fst", &fst, "snd", &snd); err != nil {
		return nil, err
	}
	fn, err := asFunc(thread, "SequenceMap", "f", f)
	if err != nil {
		return nil, err
	}
	a, err := asSOp("SequenceMap", "fst", fst)
	if err != nil {
		return nil, err
	}
	c, err := asSOp("SequenceMap", "snd", snd)
	if err != nil {
		return nil, err
	}
	return &SOpValue{SOp: rasp.NewSequenceMap(fn, a, c), b: stateOf(thread)}, nil
}

func builtinLinearSequenceMap(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var fst, snd, ff, sf starlark.Value
	if err := starlark.UnpackArgs("LinearSequenceMap", args, kwargs, "fst", &fst, "snd", &snd, "fst_fac", &ff, "snd_fac", &sf); err != nil {
		return nil, err
	}
	a, err := asSOp("LinearSequenceMap", "fst", fst)
	if err != nil {
		return nil, err
	}
	c, err := asSOp("LinearSequenceMap", "snd", snd)
	if err != nil {
		return nil, err
	}
	fv, err := asNumber("LinearSequenceMap", "fst_fac", ff)
	if err != nil {
		return nil, err
	}
	sv, err := asNumber("LinearSequenceMap", "snd_fac", sf)
	if err != nil {
		return nil, err
	}
	return &SOpValue{SOp: rasp.NewLinearSequenceMap(a, c, fv, sv), b: stateOf(thread)}, nil
}

func asNumber(fn, arg string, v starlark.Value) (rasp.Value, error) {
	r, err := asValue(fn, arg, v)
	if err != nil {
		return nil, err
	}
	switch r.(type) {
	case int, float64, bool:
		return r, nil
	}
	return nil, fmt.Errorf("%s: %s must be a number, got %s", fn, arg, v.Type())
}

func builtinFull(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var fill starlark.Value
	if err := starlark.UnpackArgs("Full", args, kwargs, "fill", &fill); err != nil {
		return nil, err
	}
	v, err := asValue("Full", "fill", fill)
	if err != nil {
		return nil, err
	}
	return &SOpValue{SOp: rasp.NewFull(v), b: stateOf(thread)}, nil
}

func builtinConstantSOp(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var value starlark.Iterable
	check := true
	if err := starlark.UnpackArgs("ConstantSOp", args, kwargs, "value", &value, "check_length?", &check); err != nil {
		return nil, err
	}
	var vals []rasp.Value
	it := value.Iterate()
	defer it.Done()
	var x starlark.Value
	for it.Next(&x) {
		v, err := asValue("ConstantSOp", "value element", x)
		if err != nil {
			return nil, err
		}
		vals = append(vals, v)
	}
	return &SOpValue{SOp: rasp.NewConstantSOp(vals, check), b: stateOf(thread)}, nil
}

func builtinConstantSelector(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var value starlark.Iterable
	check := true
	if err := starlark.UnpackArgs("ConstantSelector", args, kwargs, "value", &value, "check_length?", &check); err != nil {
		return nil, err
	}
	var rows [][]bool
	it := value.Iterate()
	defer it.Done()
	var row starlark.Value
	for it.Next(&row) {
		ri, ok := row.(starlark.Iterable)
		if !ok {
			return nil, fmt.Errorf("ConstantSelector: rows must be lists of bools, got %s", row.Type())
		}
		var r []bool
		it2 := ri.Iterate()
		var x starlark.Value
		for it2.Next(&x) {
			r = append(r, bool(x.Truth()))
		}
		it2.Done()
		rows = append(rows, r)
	}
	return &SelectorValue{Sel: rasp.NewConstantSelector(rows, check), b: stateOf(thread)}, nil
}

func builtinSelect(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var keys, queries, pred starlark.Value
	if err := starlark.UnpackArgs("Select", args, kwargs, "keys", &keys, "queries", &queries, "predicate", &pred); err != nil {
		return nil, err
	}
	k, err := asSOp("Select", "keys", keys)
	if err != nil {
		return nil, err
	}
	q, err := asSOp("Select", "queries", queries)
	if err != nil {
		return nil, err
	}
	var p rasp.Predicate
	if c, ok := pred.(ComparisonValue); ok {
		p = c.C
	} else {
		fn, err := asFunc(thread, "Select", "predicate", pred)
		if err != nil {
			return nil, err
		}
		p = rasp.FuncPredicate{F: fn}
	}
	return &SelectorValue{Sel: rasp.NewSelect(k, q, p), b: stateOf(thread)}, nil
}

func builtinAggregate(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var sel, sop starlark.Value
	var def starlark.Value = starlark.None
	if err := starlark.UnpackArgs("Aggregate", args, kwargs, "selector", &sel, "sop", &sop, "default?", &def); err != nil {
		return nil, err
	}
	s, err := asSelector("Aggregate", "selector", sel)
	if err != nil {
		return nil, err
	}
	o, err := asSOp("Aggregate", "sop", sop)
	if err != nil {
		return nil, err
	}
	d, err := asValue("Aggregate", "default", def)
	if err != nil {
		return nil, err
	}
	if _, ok := d.(rasp.Tuple); ok {
		return nil, fmt.Errorf("Aggregate: default must be None, str, float, bool or int, got tuple")
	}
	return &SOpValue{SOp: rasp.NewAggregate(s, o, d), b: stateOf(thread)}, nil
}

func builtinSelectorWidth(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var sel starlark.Value
	if err := starlark.UnpackArgs("SelectorWidth", args, kwargs, "selector", &sel); err != nil {
		return nil, err
	}
	s, err := asSelector("SelectorWidth", "selector", sel)
	if err != nil {
		return nil, err
	}
	return &SOpValue{SOp: rasp.NewSelectorWidth(s), b: stateOf(thread)}, nil
}

// selectorPairSimplify is tracr's selector_and/selector_or(fst, snd,
// simplify=True): simplify=False builds the plain SelectorAnd/SelectorOr.
func selectorPairSimplify(name string, simplified, plain func(a, b rasp.Selector) rasp.Selector) builtinFn {
	return func(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		var fst, snd starlark.Value
		simplify := true
		if err := starlark.UnpackArgs(name, args, kwargs, "fst", &fst, "snd", &snd, "simplify?", &simplify); err != nil {
			return nil, err
		}
		mk := simplified
		if !simplify {
			mk = plain
		}
		return selectorPair(name, mk)(thread, b, starlark.Tuple{fst, snd}, nil)
	}
}

func selectorPair(name string, mk func(a, b rasp.Selector) rasp.Selector) builtinFn {
	return func(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		var fst, snd starlark.Value
		if err := starlark.UnpackArgs(name, args, kwargs, "fst", &fst, "snd", &snd); err != nil {
			return nil, err
		}
		a, err := asSelector(name, "fst", fst)
		if err != nil {
			return nil, err
		}
		c, err := asSelector(name, "snd", snd)
		if err != nil {
			return nil, err
		}
		return &SelectorValue{Sel: mk(a, c), b: stateOf(thread)}, nil
	}
}

func builtinSelectorNot(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var inner starlark.Value
	if err := starlark.UnpackArgs("SelectorNot", args, kwargs, "inner", &inner); err != nil {
		return nil, err
	}
	s, err := asSelector("SelectorNot", "inner", inner)
	if err != nil {
		return nil, err
	}
	return &SelectorValue{Sel: rasp.NewSelectorNot(s), b: stateOf(thread)}, nil
}

func builtinSelectorNotSimplify(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var inner starlark.Value
	simplify := true
	if err := starlark.UnpackArgs("selector_not", args, kwargs, "inner", &inner, "simplify?", &simplify); err != nil {
		return nil, err
	}
	s, err := asSelector("selector_not", "inner", inner)
	if err != nil {
		return nil, err
	}
	if !simplify {
		return &SelectorValue{Sel: rasp.NewSelectorNot(s), b: stateOf(thread)}, nil
	}
	return &SelectorValue{Sel: rasp.Not(s), b: stateOf(thread)}, nil
}

func encodingBuiltin(name string, enc rasp.Encoding) builtinFn {
	return func(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		var e starlark.Value
		if err := starlark.UnpackArgs(name, args, kwargs, "sop", &e); err != nil {
			return nil, err
		}
		ann := map[string]any{rasp.AnnotationEncoding: enc}
		switch x := e.(type) {
		case *SOpValue:
			return &SOpValue{SOp: rasp.Annotated(x.SOp, ann), b: stateOf(thread)}, nil
		case *SelectorValue:
			// tracr annotates any expression; the encoding of a selector is never read.
			return &SelectorValue{Sel: rasp.Annotated(x.Sel, ann), b: stateOf(thread)}, nil
		}
		return nil, fmt.Errorf("%s: sop must be an SOp, got %s", name, e.Type())
	}
}

func encodingQuery(name string, want rasp.Encoding) builtinFn {
	return func(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		var sop starlark.Value
		if err := starlark.UnpackArgs(name, args, kwargs, "sop", &sop); err != nil {
			return nil, err
		}
		s, err := asSOp(name, "sop", sop)
		if err != nil {
			return nil, err
		}
		if want == "" {
			return starlark.String(s.Encoding()), nil
		}
		return starlark.Bool(s.Encoding() == want), nil
	}
}

func builtinAnnotate(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("annotate: want 1 positional argument (the expression), got %d", len(args))
	}
	kv, err := annotationArgs(kwargs)
	if err != nil {
		return nil, fmt.Errorf("annotate: %w", err)
	}
	switch e := args[0].(type) {
	case *SOpValue:
		return &SOpValue{SOp: rasp.Annotated(e.SOp, kv), b: stateOf(thread)}, nil
	case *SelectorValue:
		return &SelectorValue{Sel: rasp.Annotated(e.Sel, kv), b: stateOf(thread)}, nil
	}
	return nil, fmt.Errorf("annotate: want an SOp or Selector, got %s", args[0].Type())
}

// ---- operator rewrite targets ----

func cmpToken(op string) (syntax.Token, bool) {
	switch op {
	case "==":
		return syntax.EQL, true
	case "!=":
		return syntax.NEQ, true
	case "<":
		return syntax.LT, true
	case "<=":
		return syntax.LE, true
	case ">":
		return syntax.GT, true
	case ">=":
		return syntax.GE, true
	}
	return 0, false
}

func arithToken(op string) (syntax.Token, bool) {
	switch op {
	case "+":
		return syntax.PLUS, true
	case "-":
		return syntax.MINUS, true
	case "*":
		return syntax.STAR, true
	case "/":
		return syntax.SLASH, true
	case "//":
		return syntax.SLASHSLASH, true
	case "%":
		return syntax.PERCENT, true
	case "&":
		return syntax.AMP, true
	case "|":
		return syntax.PIPE, true
	}
	return 0, false
}

// opToken checks the arguments of an operator built-in and returns its
// operator (the rewrite always passes a known operator string; a program
// calling the built-in by name gets an error, not a panic).
func opToken(args starlark.Tuple, n int, tok func(string) (syntax.Token, bool)) (string, syntax.Token, error) {
	if len(args) != n {
		return "", 0, fmt.Errorf("operator: want %d arguments, got %d", n, len(args))
	}
	s, ok := args[0].(starlark.String)
	if !ok {
		return "", 0, fmt.Errorf("operator: unknown operator %s", args[0])
	}
	t, ok := tok(string(s))
	if !ok {
		return "", 0, fmt.Errorf("operator: unknown operator %s", s)
	}
	return string(s), t, nil
}

// builtinCompare implements x op y for the six comparisons with Python
// semantics: an SOp operand builds tracr's Map; plain values compare as in
// Python (True == 1); anything else falls back to Starlark's comparison.
func builtinCompare(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	op, tok, err := opToken(args, 3, cmpToken)
	if err != nil {
		return nil, err
	}
	x, y := args[1], args[2]
	if plainScalar(x) && plainScalar(y) {
		// Same rules in Starlark and Python (no bool, tuple or expression involved).
		r, err := starlark.Compare(tok, x, y)
		if err != nil {
			return nil, err
		}
		return starlark.Bool(r), nil
	}
	if s, ok := x.(*SOpValue); ok {
		return sopOperator(s.b, binaryOps[tok], s, y, starlark.Left)
	}
	if s, ok := y.(*SOpValue); ok {
		return sopOperator(s.b, binaryOps[tok], s, x, starlark.Right)
	}
	if _, ok := x.(*SelectorValue); ok {
		return nil, fmt.Errorf("%s not supported for Selector", op)
	}
	if _, ok := y.(*SelectorValue); ok {
		return nil, fmt.Errorf("%s not supported for Selector", op)
	}
	xv, err1 := FromStarlark(x)
	yv, err2 := FromStarlark(y)
	if err1 == nil && err2 == nil {
		r, err := rasp.Compare(op, xv, yv)
		if err != nil {
			return nil, err
		}
		return starlark.Bool(r), nil
	}
	r, err := starlark.Compare(tok, x, y)
	if err != nil {
		return nil, err
	}
	return starlark.Bool(r), nil
}

// builtinBinop implements arithmetic with bool acting as int (Python),
// and otherwise Starlark's operator (SOp overloads included).
func builtinBinop(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	_, tok, err := opToken(args, 3, arithToken)
	if err != nil {
		return nil, err
	}
	x, y := args[1], args[2]
	if f, ok := x.(starlark.String); ok && tok == syntax.PERCENT {
		fx, fy, err := pyPercent(f, y)
		if err != nil {
			return nil, err
		}
		res, err := starlark.Binary(tok, fx, fy)
		return chargeAfter(thread, res, err)
	}
	if err := charge(thread, binarySize(tok, x, y)); err != nil {
		return nil, err
	}
	xb, xIsBool := x.(starlark.Bool)
	yb, yIsBool := y.(starlark.Bool)
	if xIsBool && yIsBool && (tok == syntax.AMP || tok == syntax.PIPE) {
		if tok == syntax.AMP {
			return xb && yb, nil
		}
		return xb || yb, nil
	}
	if xIsBool && isStarNumber(y) {
		x = boolInt(xb)
	}
	if yIsBool && isStarNumber(x) {
		y = boolInt(yb)
	}
	return starlark.Binary(tok, x, y)
}

// plainScalar reports whether Starlark compares v exactly as Python does:
// int, float, str and None.
func plainScalar(v starlark.Value) bool {
	switch v.(type) {
	case starlark.Int, starlark.Float, starlark.String, starlark.NoneType:
		return true
	}
	return false
}

func isStarNumber(v starlark.Value) bool {
	switch v.(type) {
	case starlark.Int, starlark.Float, starlark.Bool:
		return true
	}
	return false
}

func boolInt(b starlark.Bool) starlark.Int {
	if b {
		return starlark.MakeInt(1)
	}
	return starlark.MakeInt(0)
}

// builtinAugop implements x op= y: a list += iterable extends x in place
// (Starlark and Python agree); everything else is builtinBinop.
func builtinAugop(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if _, _, err := opToken(args, 3, arithToken); err != nil {
		return nil, err
	}
	if args[0] == starlark.String("+") {
		if l, ok := args[1].(*starlark.List); ok {
			it, ok := args[2].(starlark.Iterable)
			if !ok {
				return nil, fmt.Errorf("list += %s: not iterable", args[2].Type())
			}
			if err := charge(thread, sizeOf(args[2])); err != nil {
				return nil, err
			}
			iter := it.Iterate()
			defer iter.Done()
			var x starlark.Value
			for iter.Next(&x) {
				if err := l.Append(x); err != nil {
					return nil, err
				}
			}
			return l, nil
		}
	}
	return builtinBinop(thread, b, args, kwargs)
}

// builtinUnary implements -x and +x with bool acting as int (Python: -True == -1).
func builtinUnary(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if _, _, err := opToken(args, 2, func(op string) (syntax.Token, bool) {
		switch op {
		case "-":
			return syntax.MINUS, true
		case "+":
			return syntax.PLUS, true
		}
		return 0, false
	}); err != nil {
		return nil, err
	}
	tok := syntax.MINUS
	if args[0] == starlark.String("+") {
		tok = syntax.PLUS
	}
	x := args[1]
	if xb, ok := x.(starlark.Bool); ok {
		x = boolInt(xb)
	}
	return starlark.Unary(tok, x)
}

// builtinIn implements x in y and x not in y with Python equality for
// RASP values in lists, tuples, sets and dict keys (True in [1] is True);
// strings and other containers keep Starlark's rules.
func builtinIn(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if _, _, err := opToken(args, 3, func(op string) (syntax.Token, bool) {
		switch op {
		case "in":
			return syntax.IN, true
		case "not in":
			return syntax.NOT_IN, true
		}
		return 0, false
	}); err != nil {
		return nil, err
	}
	negate := args[0] == starlark.String("not in")
	x, y := args[1], args[2]
	xv, err := FromStarlark(x)
	var elems starlark.Iterable
	switch c := y.(type) {
	case *starlark.List, starlark.Tuple, *starlark.Set:
		elems = c.(starlark.Iterable)
	case *starlark.Dict:
		elems = starlark.Tuple(c.Keys())
	}
	if err != nil || elems == nil {
		tok := syntax.IN
		if negate {
			tok = syntax.NOT_IN
		}
		return starlark.Binary(tok, x, y)
	}
	found := false
	iter := elems.Iterate()
	defer iter.Done()
	var e starlark.Value
	for iter.Next(&e) {
		if ev, err := FromStarlark(e); err == nil && rasp.Equal(xv, ev) {
			found = true
			break
		}
	}
	return starlark.Bool(found != negate), nil
}
