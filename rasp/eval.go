package rasp

import (
	"fmt"
	"strings"
	"sync/atomic"
)

// Trace is the result of evaluating a program on one input: the value of
// every expression of the program graph at every position.
type Trace struct {
	// Input is the evaluated input sequence (no BOS).
	Input []Value
	// Output is the program output (same as SOps[Graph.Sink.Label()]).
	Output []Value
	// Graph is the program graph; Graph.Nodes gives the deterministic order
	// (tracr's node order: output first, breadth-first). It may be shared
	// by the traces of one program: do not modify it.
	Graph *Graph
	// SOps maps each SOp label to its values, one per position.
	SOps map[string][]Value
	// Selectors maps each selector label to its matrix [query][key].
	Selectors map[string][][]bool
}

// Labels returns the labels of all SOps in graph order.
func (t *Trace) Labels() []string {
	var out []string
	for _, e := range t.Graph.Nodes {
		if _, ok := e.(SOp); ok {
			out = append(out, e.Label())
		}
	}
	return out
}

// EvalError is an evaluation failure: which expression, at which position,
// on which argument values, and why.
type EvalError struct {
	Label    string  // label of the failing expression
	Position int     // position (query row for selectors), -1 if not position-specific
	Args     []Value // the argument values that triggered the failure, if any
	Err      error
}

// Error describes the failure with the values that caused it.
func (e *EvalError) Error() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "evaluate %s", e.Label)
	if e.Position >= 0 {
		fmt.Fprintf(&sb, " at position %d", e.Position)
	}
	if e.Args != nil {
		parts := make([]string, len(e.Args))
		for i, a := range e.Args {
			parts[i] = Repr(a)
		}
		fmt.Fprintf(&sb, " on (%s)", strings.Join(parts, ", "))
	}
	fmt.Fprintf(&sb, ": %v", e.Err)
	return sb.String()
}

// Unwrap returns the underlying error.
func (e *EvalError) Unwrap() error { return e.Err }

// Eval evaluates the program out on input with tracr's default (non-causal)
// evaluator and returns the trace. It assigns labels first (AssignLabels).
func Eval(out SOp, input []Value) (*Trace, error) {
	input, err := normalizeInput(input)
	if err != nil {
		return nil, err
	}
	g := cachedGraph(out)
	ev := &evaluator{
		xs:   input,
		sops: make(map[Expr][]Value, len(g.Nodes)),
		sels: make(map[Expr][][]bool, len(g.Nodes)),
	}
	res, err := ev.sop(out)
	if err != nil {
		return nil, err
	}
	t := &Trace{
		Input:     append([]Value(nil), input...),
		Output:    res,
		Graph:     g,
		SOps:      make(map[string][]Value, len(g.Nodes)),
		Selectors: make(map[string][][]bool, len(g.Nodes)),
	}
	for _, e := range g.Nodes {
		switch e.(type) {
		case SOp:
			v, ok := ev.sops[e]
			if !ok {
				// A node reached only through another object with the same label.
				if v, err = ev.sop(e.(SOp)); err != nil {
					return nil, err
				}
			}
			t.SOps[e.Label()] = v
		case Selector:
			v, ok := ev.sels[e]
			if !ok {
				if v, err = ev.sel(e.(Selector)); err != nil {
					return nil, err
				}
			}
			t.Selectors[e.Label()] = v
		}
	}
	return t, nil
}

// lastGraph caches the graph of the most recently evaluated program, so
// that evaluating one program on many inputs extracts its graph once.
// Graphs are immutable once built (labels never change once assigned).
var lastGraph atomic.Pointer[graphEntry]

type graphEntry struct {
	out Expr
	g   *Graph
}

func cachedGraph(out SOp) *Graph {
	if e := lastGraph.Load(); e != nil && e.out == Expr(out) {
		return e.g
	}
	g := ExtractGraph(out)
	lastGraph.Store(&graphEntry{out: out, g: g})
	return g
}

// normalizeInput converts non-canonical input values (int64, float32, …)
// and rejects values that are not RASP values; canonical input is returned as is.
func normalizeInput(input []Value) ([]Value, error) {
	for i, v := range input {
		switch v.(type) {
		case nil, bool, int, float64, string, Tuple:
			continue
		}
		out := append([]Value(nil), input[:i]...)
		for j := i; j < len(input); j++ {
			n, err := Normalize(input[j])
			if err != nil {
				return nil, fmt.Errorf("input position %d: %w", j, err)
			}
			out = append(out, n)
		}
		return out, nil
	}
	return input, nil
}

// EvalSOp evaluates one SOp on input without building a trace.
func EvalSOp(sop SOp, input []Value) ([]Value, error) {
	input, err := normalizeInput(input)
	if err != nil {
		return nil, err
	}
	ev := &evaluator{xs: input, sops: map[Expr][]Value{}, sels: map[Expr][][]bool{}}
	return ev.sop(sop)
}

// EvalSelector evaluates one selector on input: the matrix [query][key].
func EvalSelector(sel Selector, input []Value) ([][]bool, error) {
	input, err := normalizeInput(input)
	if err != nil {
		return nil, err
	}
	ev := &evaluator{xs: input, sops: map[Expr][]Value{}, sels: map[Expr][][]bool{}}
	return ev.sel(sel)
}

// evaluator memoises results per expression object (RASP expressions are
// pure, so this matches tracr's recomputing evaluator, in the same order).
type evaluator struct {
	xs   []Value
	sops map[Expr][]Value
	sels map[Expr][][]bool
}

func (ev *evaluator) fail(e Expr, pos int, args []Value, err error) error {
	return &EvalError{Label: e.Label(), Position: pos, Args: args, Err: err}
}

func (ev *evaluator) sop(e SOp) ([]Value, error) {
	if v, ok := ev.sops[e]; ok {
		return v, nil
	}
	v, err := ev.sopUncached(e)
	if err != nil {
		return nil, err
	}
	ev.sops[e] = v
	return v, nil
}

func (ev *evaluator) sopUncached(e SOp) ([]Value, error) {
	n := len(ev.xs)
	switch s := e.(type) {
	case *TokensType:
		return append([]Value(nil), ev.xs...), nil
	case *IndicesType:
		out := make([]Value, n)
		for i := range out {
			out[i] = i
		}
		return out, nil
	case *LengthType:
		out := make([]Value, n)
		for i := range out {
			out[i] = n
		}
		return out, nil
	case *Map:
		in, err := ev.sop(s.Inner)
		if err != nil {
			return nil, err
		}
		out := make([]Value, len(in))
		for i, x := range in {
			if x == nil {
				continue
			}
			v, err := s.F.Call(x)
			if err != nil {
				return nil, ev.fail(s, i, []Value{x}, err)
			}
			if v, err = Normalize(v); err != nil {
				return nil, ev.fail(s, i, []Value{x}, err)
			}
			out[i] = v
		}
		return out, nil
	case *SequenceMap:
		return ev.seqMap(s, s.F, s.Fst, s.Snd)
	case *LinearSequenceMap:
		return ev.seqMap(s, s.F, s.Fst, s.Snd)
	case *Full:
		out := make([]Value, n)
		for i := range out {
			out[i] = s.Fill
		}
		return out, nil
	case *ConstantSOp:
		if s.CheckLength && len(s.Values) != n {
			return nil, ev.fail(s, -1, nil, fmt.Errorf("Constant len %d doesn't match input len %d.", len(s.Values), n))
		}
		return append([]Value(nil), s.Values...), nil
	case *SelectorWidth:
		m, err := ev.sel(s.Selector)
		if err != nil {
			return nil, err
		}
		out := make([]Value, len(m))
		for i, row := range m {
			w := 0
			for _, b := range row {
				if b {
					w++
				}
			}
			out[i] = w
		}
		return out, nil
	case *Aggregate:
		m, err := ev.sel(s.Selector)
		if err != nil {
			return nil, err
		}
		vals, err := ev.sop(s.SOp)
		if err != nil {
			return nil, err
		}
		out := make([]Value, len(m))
		sel := make([]Value, 0, len(vals))
		for i, row := range m {
			sel = sel[:0]
			for j, b := range row {
				if b && j < len(vals) {
					sel = append(sel, vals[j])
				}
			}
			v, err := Mean(sel, s.Default)
			if err != nil {
				return nil, ev.fail(s, i, nil, err)
			}
			out[i] = v
		}
		return out, nil
	}
	return nil, ev.fail(e, -1, nil, fmt.Errorf("evaluation of %T is not defined", e))
}

func (ev *evaluator) seqMap(e SOp, f Func, fst, snd SOp) ([]Value, error) {
	a, err := ev.sop(fst)
	if err != nil {
		return nil, err
	}
	b, err := ev.sop(snd)
	if err != nil {
		return nil, err
	}
	n := min(len(a), len(b))
	out := make([]Value, n)
	for i := 0; i < n; i++ {
		if a[i] == nil || b[i] == nil {
			continue
		}
		v, err := f.Call(a[i], b[i])
		if err != nil {
			return nil, ev.fail(e, i, []Value{a[i], b[i]}, err)
		}
		if v, err = Normalize(v); err != nil {
			return nil, ev.fail(e, i, []Value{a[i], b[i]}, err)
		}
		out[i] = v
	}
	return out, nil
}

// Mean is tracr's aggregation of the selected values: the default when
// nothing is selected; sum/len (a float) when the first value is an int or
// bool; the value itself when exactly one value of another kind is
// selected; otherwise an error ("Unsupported type for aggregation").
func Mean(xs []Value, def Value) (Value, error) {
	if len(xs) == 0 {
		return def, nil
	}
	switch xs[0].(type) {
	case int, bool:
		return meanNumbers(xs)
	}
	if len(xs) == 1 {
		return xs[0], nil
	}
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = Repr(x)
	}
	return nil, fmt.Errorf("Unsupported type for aggregation: [%s]", strings.Join(parts, ", "))
}

// meanNumbers is Python's sum(xs) / len(xs) (CPython 3.11's sum: an exact
// int sum, switching to sequential float addition at the first float).
func meanNumbers(xs []Value) (Value, error) {
	isum := 0
	i := 0
	for ; i < len(xs); i++ {
		v, ok := asInt(xs[i])
		if !ok {
			break
		}
		s := isum + v
		if (s > isum) != (v > 0) {
			return nil, fmt.Errorf("rasp: integer overflow in sum")
		}
		isum = s
	}
	if i == len(xs) {
		return Apply(OpTrueDiv, isum, len(xs))
	}
	var sum Value = isum
	for ; i < len(xs); i++ {
		var err error
		if sum, err = Apply(OpAdd, sum, xs[i]); err != nil {
			return nil, err
		}
	}
	return Apply(OpTrueDiv, sum, len(xs))
}

func (ev *evaluator) sel(e Selector) ([][]bool, error) {
	if v, ok := ev.sels[e]; ok {
		return v, nil
	}
	v, err := ev.selUncached(e)
	if err != nil {
		return nil, err
	}
	ev.sels[e] = v
	return v, nil
}

func (ev *evaluator) selUncached(e Selector) ([][]bool, error) {
	switch s := e.(type) {
	case *Select:
		keys, err := ev.sop(s.Keys)
		if err != nil {
			return nil, err
		}
		queries, err := ev.sop(s.Queries)
		if err != nil {
			return nil, err
		}
		out := make([][]bool, len(queries))
		cells := make([]bool, len(queries)*len(keys))
		for qi, q := range queries {
			out[qi] = cells[qi*len(keys) : (qi+1)*len(keys) : (qi+1)*len(keys)]
			for ki, k := range keys {
				b, err := s.Predicate.Select(k, q)
				if err != nil {
					return nil, ev.fail(s, qi, []Value{k, q}, err)
				}
				out[qi][ki] = b
			}
		}
		return out, nil
	case *ConstantSelector:
		if s.CheckLength && len(s.Values) != len(ev.xs) {
			return nil, ev.fail(s, -1, nil, fmt.Errorf("Constant len %d doesn't match input len %d.", len(ev.xs), len(s.Values)))
		}
		out := make([][]bool, len(s.Values))
		for i, r := range s.Values {
			out[i] = append([]bool(nil), r...)
		}
		return out, nil
	case *SelectorAnd:
		return ev.combine(s, s.Fst, s.Snd, func(a, b bool) bool { return a && b })
	case *SelectorOr:
		return ev.combine(s, s.Fst, s.Snd, func(a, b bool) bool { return a || b })
	case *SelectorNot:
		m, err := ev.sel(s.Inner)
		if err != nil {
			return nil, err
		}
		out := make([][]bool, len(m))
		for i, r := range m {
			out[i] = make([]bool, len(r))
			for j, b := range r {
				out[i][j] = !b
			}
		}
		return out, nil
	}
	return nil, ev.fail(e, -1, nil, fmt.Errorf("evaluation of %T is not defined", e))
}

func (ev *evaluator) combine(e Selector, fst, snd Selector, f func(a, b bool) bool) ([][]bool, error) {
	a, err := ev.sel(fst)
	if err != nil {
		return nil, err
	}
	b, err := ev.sel(snd)
	if err != nil {
		return nil, err
	}
	if len(a) != len(b) {
		return nil, ev.fail(e, -1, nil, fmt.Errorf("selector shapes differ: %d and %d rows", len(a), len(b)))
	}
	out := make([][]bool, len(a))
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return nil, ev.fail(e, i, nil, fmt.Errorf("selector shapes differ: %d and %d columns", len(a[i]), len(b[i])))
		}
		out[i] = make([]bool, len(a[i]))
		for j := range a[i] {
			out[i][j] = f(a[i][j], b[i][j])
		}
	}
	return out, nil
}
