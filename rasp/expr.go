package rasp

import (
	"fmt"
	"maps"
	"strconv"
	"sync"
)

// Func is a function used by Map (one argument), SequenceMap (two arguments)
// and custom Select predicates (key, query). Starlark lambdas and Go closures
// both implement it. Call must be safe to call from several goroutines and
// should return an error naming the arguments when it fails.
type Func interface {
	Call(args ...Value) (Value, error)
	String() string
}

// GoFunc adapts a Go function to Func.
type GoFunc struct {
	Name string                             // shown by String, e.g. "lambda x: x + 1"
	Fn   func(args ...Value) (Value, error) // the function
}

// Call calls g.Fn.
func (g GoFunc) Call(args ...Value) (Value, error) { return g.Fn(args...) }

// String returns g.Name.
func (g GoFunc) String() string { return g.Name }

// composedFunc is Map simplification's f(g(x)) (tracr: lambda t: f(inner_f(t))).
type composedFunc struct{ outer, inner Func }

func (c composedFunc) Call(args ...Value) (Value, error) {
	v, err := c.inner.Call(args...)
	if err != nil {
		return nil, err
	}
	return c.outer.Call(v)
}

func (c composedFunc) String() string { return c.outer.String() + " ∘ " + c.inner.String() }

// Compose returns the Func x ↦ outer(inner(x)), as Map simplification builds it.
// The inner result is passed on even when it is None (tracr does the same).
func Compose(outer, inner Func) Func { return composedFunc{outer, inner} }

// Encoding is the "encoding" annotation of an SOp.
type Encoding string

// The two encodings; categorical is the default.
const (
	Categorical Encoding = "categorical"
	Numerical   Encoding = "numerical"
)

// Annotation keys read by the compiler.
const (
	AnnotationName     = "name"
	AnnotationEncoding = "encoding"
)

// Expr is a RASP expression: an SOp or a Selector. Expressions are immutable
// apart from their lazily assigned unique id (see AssignLabels).
type Expr interface {
	// Name is the "name" annotation, or the default name of the expression's
	// kind ("map", "select", "aggregate", …) when none was set.
	Name() string
	// Label is what tracr uses as the node id: "tokens", "indices", "length"
	// for the primitives, else Name()+"_"+id. Reading it assigns ids lazily
	// (see AssignLabels) when they have not been assigned yet.
	Label() string
	// ID is the unique id (0 while unassigned; primitives never get one).
	ID() int
	// Children are the direct dependencies in tracr's order.
	Children() []Expr
	// Annotations returns a copy of the explicit annotations (name, encoding, …).
	Annotations() map[string]any
	// Annotation returns one explicit annotation.
	Annotation(key string) (any, bool)

	base() *exprBase
	clone() Expr
}

// SOp is a sequence operation: a function from the input sequence to a
// sequence of values of the same length.
type SOp interface {
	Expr
	// Encoding is the "encoding" annotation (Categorical by default).
	Encoding() Encoding
	isSOp()
}

// Selector is a function from the input sequence to a boolean matrix
// (query rows × key columns).
type Selector interface {
	Expr
	isSelector()
}

// exprBase holds what every expression has: annotations and the id.
type exprBase struct {
	ann map[string]any
	id  int
	lbl string // cached label once id is assigned (guarded by idMu)
}

// idMu guards every exprBase.id (labels may be read from several goroutines).
var idMu sync.Mutex

func (b *exprBase) base() *exprBase { return b }

// Annotations returns a copy of the explicit annotations.
func (b *exprBase) Annotations() map[string]any { return maps.Clone(b.ann) }

// Annotation returns one explicit annotation.
func (b *exprBase) Annotation(key string) (any, bool) {
	v, ok := b.ann[key]
	return v, ok
}

// ID returns the unique id, 0 while unassigned.
func (b *exprBase) ID() int {
	idMu.Lock()
	defer idMu.Unlock()
	return b.id
}

func (b *exprBase) nameOr(def string) string {
	if n, ok := b.ann[AnnotationName].(string); ok {
		return n
	}
	return def
}

func (b *exprBase) encoding() Encoding {
	if e, ok := b.ann[AnnotationEncoding].(Encoding); ok {
		return e
	}
	return Categorical
}

// label returns name_id, assigning ids below e if needed.
func label(e Expr) string {
	b := e.base()
	idMu.Lock()
	if b.lbl != "" {
		defer idMu.Unlock()
		return b.lbl
	}
	id := b.id
	idMu.Unlock()
	if id == 0 {
		AssignLabels(e)
	}
	name := e.Name()
	idMu.Lock()
	defer idMu.Unlock()
	b.lbl = name + "_" + strconv.Itoa(b.id)
	return b.lbl
}

// Annotated returns a shallow copy of e with the given annotations added
// (tracr's annotate: the copy keeps e's id if e already had one).
func Annotated[T Expr](e T, kv map[string]any) T {
	c := e.clone()
	b := c.base()
	b.ann = maps.Clone(e.base().ann)
	if b.ann == nil {
		b.ann = map[string]any{}
	}
	maps.Copy(b.ann, kv)
	idMu.Lock()
	b.id = e.base().id
	b.lbl = ""
	idMu.Unlock()
	return c.(T)
}

// Named returns a copy of e named name (tracr's expr.named(name)).
func Named[T Expr](e T, name string) T {
	return Annotated(e, map[string]any{AnnotationName: name})
}

// AsNumerical returns a copy of sop annotated with the numerical encoding
// (tracr's rasp.numerical).
func AsNumerical[T SOp](sop T) T {
	return Annotated(sop, map[string]any{AnnotationEncoding: Numerical})
}

// AsCategorical returns a copy of sop annotated with the categorical encoding
// (tracr's rasp.categorical).
func AsCategorical[T SOp](sop T) T {
	return Annotated(sop, map[string]any{AnnotationEncoding: Categorical})
}

// ---- primitives ----

// TokensType is the primitive SOp returning the input tokens (label "tokens").
type TokensType struct{ exprBase }

// IndicesType is the primitive SOp returning the positions 0..n-1 (label "indices").
type IndicesType struct{ exprBase }

// LengthType is the primitive SOp returning the input length everywhere (label "length").
type LengthType struct{ exprBase }

// Tokens, Indices and Length are tracr's rasp.tokens, rasp.indices, rasp.length.
var (
	Tokens  = &TokensType{}
	Indices = &IndicesType{}
	Length  = &LengthType{}
)

func (t *TokensType) Name() string       { return t.nameOr("tokens") }
func (t *TokensType) Label() string      { return "tokens" }
func (t *TokensType) Children() []Expr   { return nil }
func (t *TokensType) Encoding() Encoding { return t.encoding() }
func (t *TokensType) String() string     { return "tokens" }
func (t *TokensType) clone() Expr        { c := *t; return &c }
func (*TokensType) isSOp()               {}

func (t *IndicesType) Name() string       { return t.nameOr("indices") }
func (t *IndicesType) Label() string      { return "indices" }
func (t *IndicesType) Children() []Expr   { return nil }
func (t *IndicesType) Encoding() Encoding { return t.encoding() }
func (t *IndicesType) String() string     { return "indices" }
func (t *IndicesType) clone() Expr        { c := *t; return &c }
func (*IndicesType) isSOp()               {}

func (t *LengthType) Name() string       { return t.nameOr("length") }
func (t *LengthType) Label() string      { return "length" }
func (t *LengthType) Children() []Expr   { return nil }
func (t *LengthType) Encoding() Encoding { return t.encoding() }
func (t *LengthType) String() string     { return "length" }
func (t *LengthType) clone() Expr        { c := *t; return &c }
func (*LengthType) isSOp()               {}

// ---- SOps ----

// Map applies F element-wise to Inner (None stays None without calling F).
type Map struct {
	exprBase
	F     Func
	Inner SOp
}

// NewMap is tracr's Map(f, inner) with simplify=True: a Map of a Map is
// collapsed into one Map of the inner Map's input with F = f∘inner.F.
func NewMap(f Func, inner SOp) *Map { return NewMapSimplify(f, inner, true) }

// NewMapSimplify is tracr's Map(f, inner, simplify).
func NewMapSimplify(f Func, inner SOp, simplify bool) *Map {
	m := &Map{F: f, Inner: inner}
	if in, ok := inner.(*Map); ok && simplify {
		m.F = Compose(f, in.F)
		m.Inner = in.Inner
	}
	return m
}

func (m *Map) Name() string       { return m.nameOr("map") }
func (m *Map) Label() string      { return label(m) }
func (m *Map) Children() []Expr   { return []Expr{m.Inner} }
func (m *Map) Encoding() Encoding { return m.encoding() }
func (m *Map) clone() Expr        { c := *m; return &c }
func (*Map) isSOp()               {}

// SequenceMap applies F element-wise to (Fst, Snd) (None if either is None).
type SequenceMap struct {
	exprBase
	F        Func
	Fst, Snd SOp
}

// NewSequenceMap is tracr's SequenceMap(f, fst, snd).
func NewSequenceMap(f Func, fst, snd SOp) *SequenceMap {
	return &SequenceMap{F: f, Fst: fst, Snd: snd}
}

func (m *SequenceMap) Name() string       { return m.nameOr("sequence_map") }
func (m *SequenceMap) Label() string      { return label(m) }
func (m *SequenceMap) Children() []Expr   { return []Expr{m.Fst, m.Snd} }
func (m *SequenceMap) Encoding() Encoding { return m.encoding() }
func (m *SequenceMap) clone() Expr        { c := *m; return &c }
func (*SequenceMap) isSOp()               {}

// LinearSequenceMap computes FstFac*x + SndFac*y element-wise. In tracr it is
// a subclass of SequenceMap; here it is its own type (F holds the function).
type LinearSequenceMap struct {
	exprBase
	F              Func
	Fst, Snd       SOp
	FstFac, SndFac Value // int or float, used with Python arithmetic
}

// NewLinearSequenceMap is tracr's LinearSequenceMap(fst, snd, fst_fac, snd_fac).
func NewLinearSequenceMap(fst, snd SOp, fstFac, sndFac Value) *LinearSequenceMap {
	f := GoFunc{
		Name: fmt.Sprintf("lambda x, y: %s * x + %s * y", Repr(fstFac), Repr(sndFac)),
		Fn: func(args ...Value) (Value, error) {
			if len(args) != 2 {
				return nil, fmt.Errorf("linear_sequence_map: want 2 arguments, got %d", len(args))
			}
			a, err := Apply(OpMul, fstFac, args[0])
			if err != nil {
				return nil, err
			}
			b, err := Apply(OpMul, sndFac, args[1])
			if err != nil {
				return nil, err
			}
			return Apply(OpAdd, a, b)
		},
	}
	return &LinearSequenceMap{F: f, Fst: fst, Snd: snd, FstFac: fstFac, SndFac: sndFac}
}

func (m *LinearSequenceMap) Name() string       { return m.nameOr("linear_sequence_map") }
func (m *LinearSequenceMap) Label() string      { return label(m) }
func (m *LinearSequenceMap) Children() []Expr   { return []Expr{m.Fst, m.Snd} }
func (m *LinearSequenceMap) Encoding() Encoding { return m.encoding() }
func (m *LinearSequenceMap) clone() Expr        { c := *m; return &c }
func (*LinearSequenceMap) isSOp()               {}

// Full is the SOp [Fill]*len(input).
type Full struct {
	exprBase
	Fill Value
}

// NewFull is tracr's Full(fill).
func NewFull(fill Value) *Full { return &Full{Fill: fill} }

func (m *Full) Name() string       { return m.nameOr("full") }
func (m *Full) Label() string      { return label(m) }
func (m *Full) Children() []Expr   { return nil }
func (m *Full) Encoding() Encoding { return m.encoding() }
func (m *Full) clone() Expr        { c := *m; return &c }
func (*Full) isSOp()               {}

// ConstantSOp is a constant sequence (tracr's testing primitive).
type ConstantSOp struct {
	exprBase
	Values      []Value
	CheckLength bool
}

// NewConstantSOp is tracr's ConstantSOp(value, check_length).
func NewConstantSOp(values []Value, checkLength bool) *ConstantSOp {
	return &ConstantSOp{Values: values, CheckLength: checkLength}
}

func (m *ConstantSOp) Name() string       { return m.nameOr("constant_sop") }
func (m *ConstantSOp) Label() string      { return label(m) }
func (m *ConstantSOp) Children() []Expr   { return nil }
func (m *ConstantSOp) Encoding() Encoding { return m.encoding() }
func (m *ConstantSOp) clone() Expr        { c := *m; return &c }
func (*ConstantSOp) isSOp()               {}

// SelectorWidth counts the selected keys of every query row.
type SelectorWidth struct {
	exprBase
	Selector Selector
}

// NewSelectorWidth is tracr's SelectorWidth(selector).
func NewSelectorWidth(sel Selector) *SelectorWidth { return &SelectorWidth{Selector: sel} }

func (m *SelectorWidth) Name() string       { return m.nameOr("selector_width") }
func (m *SelectorWidth) Label() string      { return label(m) }
func (m *SelectorWidth) Children() []Expr   { return []Expr{m.Selector} }
func (m *SelectorWidth) Encoding() Encoding { return m.encoding() }
func (m *SelectorWidth) clone() Expr        { c := *m; return &c }
func (*SelectorWidth) isSOp()               {}

// Aggregate averages (numbers) or moves (single selected value) SOp values
// along a Selector; Default is used where nothing is selected.
type Aggregate struct {
	exprBase
	Selector Selector
	SOp      SOp
	Default  Value
}

// NewAggregate is tracr's Aggregate(selector, sop, default).
func NewAggregate(sel Selector, sop SOp, def Value) *Aggregate {
	return &Aggregate{Selector: sel, SOp: sop, Default: def}
}

func (m *Aggregate) Name() string       { return m.nameOr("aggregate") }
func (m *Aggregate) Label() string      { return label(m) }
func (m *Aggregate) Children() []Expr   { return []Expr{m.Selector, m.SOp} }
func (m *Aggregate) Encoding() Encoding { return m.encoding() }
func (m *Aggregate) clone() Expr        { c := *m; return &c }
func (*Aggregate) isSOp()               {}

// ---- selectors ----

// Predicate decides whether a query attends to a key. Comparison and
// FuncPredicate implement it.
type Predicate interface {
	Select(key, query Value) (bool, error)
	String() string
}

// Comparison is tracr's Comparison enum; it is applied as (key, query):
// LT selects keys with key < query.
type Comparison int

// The comparisons, in tracr's order.
const (
	EQ Comparison = iota
	LT
	LEQ
	GT
	GEQ
	NEQ
	TRUE
	FALSE
)

// Comparisons lists every Comparison.
var Comparisons = []Comparison{EQ, LT, LEQ, GT, GEQ, NEQ, TRUE, FALSE}

var comparisonNames = [...]string{"EQ", "LT", "LEQ", "GT", "GEQ", "NEQ", "TRUE", "FALSE"}
var comparisonSymbols = [...]string{"==", "<", "<=", ">", ">=", "!=", "True", "False"}

// Name returns the enum member name (EQ, LT, …).
func (c Comparison) Name() string {
	if c < 0 || int(c) >= len(comparisonNames) {
		return fmt.Sprintf("Comparison(%d)", int(c))
	}
	return comparisonNames[c]
}

// String returns the enum value ("==", "<", …, "True", "False").
func (c Comparison) String() string {
	if c < 0 || int(c) >= len(comparisonSymbols) {
		return fmt.Sprintf("Comparison(%d)", int(c))
	}
	return comparisonSymbols[c]
}

// Select applies the comparison to (key, query). Like tracr it fails when
// key or query is None, even for TRUE and FALSE.
func (c Comparison) Select(key, query Value) (bool, error) {
	if key == nil {
		return false, fmt.Errorf("key is None!")
	}
	if query == nil {
		return false, fmt.Errorf("query is None!")
	}
	switch c {
	case TRUE:
		return true, nil
	case FALSE:
		return false, nil
	}
	return Compare(c.op(), key, query)
}

func (c Comparison) op() string {
	switch c {
	case EQ:
		return "=="
	case LT:
		return "<"
	case LEQ:
		return "<="
	case GT:
		return ">"
	case GEQ:
		return ">="
	case NEQ:
		return "!="
	}
	return "?"
}

// FuncPredicate is a Select predicate given as a function f(key, query);
// its result is converted with Python truthiness.
type FuncPredicate struct{ F Func }

// Select calls F(key, query).
func (p FuncPredicate) Select(key, query Value) (bool, error) {
	v, err := p.F.Call(key, query)
	if err != nil {
		return false, err
	}
	return Truthy(v), nil
}

// String describes the function.
func (p FuncPredicate) String() string { return p.F.String() }

// PredicateFunc adapts a Go function to Predicate.
type PredicateFunc struct {
	Name string
	Fn   func(key, query Value) (bool, error)
}

// Select calls Fn.
func (p PredicateFunc) Select(key, query Value) (bool, error) { return p.Fn(key, query) }

// String returns Name.
func (p PredicateFunc) String() string { return p.Name }

// Select is the primitive selector: query q attends to key k when
// Predicate(k, q) holds. Keys and Queries are SOps.
type Select struct {
	exprBase
	Keys, Queries SOp
	Predicate     Predicate
}

// NewSelect is tracr's Select(keys, queries, predicate).
func NewSelect(keys, queries SOp, pred Predicate) *Select {
	return &Select{Keys: keys, Queries: queries, Predicate: pred}
}

func (s *Select) Name() string     { return s.nameOr("select") }
func (s *Select) Label() string    { return label(s) }
func (s *Select) Children() []Expr { return []Expr{s.Keys, s.Queries} }
func (s *Select) clone() Expr      { c := *s; return &c }
func (*Select) isSelector()        {}

// ConstantSelector is a constant selection matrix (tracr's testing primitive).
type ConstantSelector struct {
	exprBase
	Values      [][]bool
	CheckLength bool
}

// NewConstantSelector is tracr's ConstantSelector(value, check_length).
func NewConstantSelector(values [][]bool, checkLength bool) *ConstantSelector {
	return &ConstantSelector{Values: values, CheckLength: checkLength}
}

func (s *ConstantSelector) Name() string     { return s.nameOr("constant_selector") }
func (s *ConstantSelector) Label() string    { return label(s) }
func (s *ConstantSelector) Children() []Expr { return nil }
func (s *ConstantSelector) clone() Expr      { c := *s; return &c }
func (*ConstantSelector) isSelector()        {}

// SelectorAnd is the element-wise and of two selectors.
type SelectorAnd struct {
	exprBase
	Fst, Snd Selector
}

// SelectorOr is the element-wise or of two selectors.
type SelectorOr struct {
	exprBase
	Fst, Snd Selector
}

// SelectorNot is the element-wise negation of a selector.
type SelectorNot struct {
	exprBase
	Inner Selector
}

// NewSelectorAnd is tracr's SelectorAnd(fst, snd) (no simplification).
func NewSelectorAnd(fst, snd Selector) *SelectorAnd { return &SelectorAnd{Fst: fst, Snd: snd} }

// NewSelectorOr is tracr's SelectorOr(fst, snd) (no simplification).
func NewSelectorOr(fst, snd Selector) *SelectorOr { return &SelectorOr{Fst: fst, Snd: snd} }

// NewSelectorNot is tracr's SelectorNot(inner) (no simplification).
func NewSelectorNot(inner Selector) *SelectorNot { return &SelectorNot{Inner: inner} }

func (s *SelectorAnd) Name() string     { return s.nameOr("selector_and") }
func (s *SelectorAnd) Label() string    { return label(s) }
func (s *SelectorAnd) Children() []Expr { return []Expr{s.Fst, s.Snd} }
func (s *SelectorAnd) clone() Expr      { c := *s; return &c }
func (*SelectorAnd) isSelector()        {}

func (s *SelectorOr) Name() string     { return s.nameOr("selector_or") }
func (s *SelectorOr) Label() string    { return label(s) }
func (s *SelectorOr) Children() []Expr { return []Expr{s.Fst, s.Snd} }
func (s *SelectorOr) clone() Expr      { c := *s; return &c }
func (*SelectorOr) isSelector()        {}

func (s *SelectorNot) Name() string     { return s.nameOr("selector_not") }
func (s *SelectorNot) Label() string    { return label(s) }
func (s *SelectorNot) Children() []Expr { return []Expr{s.Inner} }
func (s *SelectorNot) clone() Expr      { c := *s; return &c }
func (*SelectorNot) isSelector()        {}

// And is tracr's selector_and (the & operator): two Selects are merged into
// one Select when their keys and queries match (or one side is a Full).
func And(fst, snd Selector) Selector {
	if s := attemptSimplify(fst, snd, func(a, b bool) bool { return a && b }, "and"); s != nil {
		return s
	}
	return NewSelectorAnd(fst, snd)
}

// Or is tracr's selector_or (the | operator), simplifying like And.
func Or(fst, snd Selector) Selector {
	if s := attemptSimplify(fst, snd, func(a, b bool) bool { return a || b }, "or"); s != nil {
		return s
	}
	return NewSelectorOr(fst, snd)
}

// Not is tracr's selector_not (the ~ operator): a Select becomes a Select
// with the negated predicate; anything else becomes a SelectorNot.
func Not(inner Selector) Selector {
	if s, ok := inner.(*Select); ok {
		p := s.Predicate
		return NewSelect(s.Keys, s.Queries, PredicateFunc{
			Name: "not (" + p.String() + ")",
			Fn: func(k, q Value) (bool, error) {
				v, err := p.Select(k, q)
				return !v, err
			},
		})
	}
	return NewSelectorNot(inner)
}

// attemptSimplify mirrors tracr's _attempt_simplify.
func attemptSimplify(fstSel, sndSel Selector, combine func(a, b bool) bool, word string) *Select {
	fst, ok1 := fstSel.(*Select)
	snd, ok2 := sndSel.(*Select)
	if !ok1 || !ok2 {
		return nil
	}
	fp, sp := fst.Predicate.Select, snd.Predicate.Select
	var keys, queries SOp
	if f, ok := fst.Keys.(*Full); ok {
		keys = snd.Keys
		p := fp
		fp = func(_, q Value) (bool, error) { return p(f.Fill, q) }
	}
	if f, ok := snd.Keys.(*Full); ok {
		keys = fst.Keys
		p := sp
		sp = func(_, q Value) (bool, error) { return p(f.Fill, q) }
	}
	if f, ok := fst.Queries.(*Full); ok {
		queries = snd.Queries
		p := fp
		fp = func(k, _ Value) (bool, error) { return p(k, f.Fill) }
	}
	if f, ok := snd.Queries.(*Full); ok {
		queries = fst.Queries
		p := sp
		sp = func(k, _ Value) (bool, error) { return p(k, f.Fill) }
	}
	if fst.Keys == snd.Keys {
		keys = fst.Keys
	}
	if fst.Queries == snd.Queries {
		queries = fst.Queries
	}
	if keys == nil || queries == nil {
		return nil
	}
	return NewSelect(keys, queries, PredicateFunc{
		Name: "(" + fst.Predicate.String() + ") " + word + " (" + snd.Predicate.String() + ")",
		Fn: func(k, q Value) (bool, error) {
			a, err := fp(k, q)
			if err != nil {
				return false, err
			}
			// Python evaluates both predicates before combining.
			b, err := sp(k, q)
			if err != nil {
				return false, err
			}
			return combine(a, b), nil
		},
	})
}
