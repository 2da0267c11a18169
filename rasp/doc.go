// Package rasp owns the RASP language as tracr defines it (tracr/rasp/rasp.py
// in the FlyingPumba/tracr fork used by circuits-benchmark): expressions,
// Python value semantics, tracr's lazy label/id assignment, the reference
// (non-causal) evaluator with a full trace, and tracr's basis sort rule.
//
// # Values
//
// A Value is any of nil (None), bool, int, float64, string or Tuple. The
// helpers follow Python:
//
//   - Equal(a, b): 1 == 1.0 == True; "a" != 1; None == None.
//   - Key(v): a string key with Key(a) == Key(b) iff Equal(a, b); ValueSet is
//     an insertion-ordered set that keeps the FIRST representative
//     ({1, 1.0, True} == {1}).
//   - Less / Compare(op, a, b) / Sort: Python ordering; int vs str or
//     anything vs None is an error wrapping ErrType.
//   - Str / Repr / FormatFloat: Python str()/repr() (3.0, 0.3333333333333333,
//     1e-05, True, None, 'a', ('a', 1)).
//   - Apply(op, x, y): Python arithmetic (bool acts as int, int/int → float,
//     floor // and %, str/tuple concatenation) and comparisons; Truthy(v).
//   - Normalize(v) converts other Go numeric types to int/float64.
//
// # Expressions
//
// Expr is implemented by *TokensType, *IndicesType, *LengthType (the
// singletons Tokens, Indices, Length), *Map, *SequenceMap,
// *LinearSequenceMap, *Full, *ConstantSOp, *SelectorWidth, *Aggregate (SOps)
// and *Select, *ConstantSelector, *SelectorAnd, *SelectorOr, *SelectorNot
// (selectors). Fields are exported for the compiler (Map.F, Map.Inner,
// Select.Keys/Queries/Predicate, Aggregate.Default, …). LinearSequenceMap is
// its own type here (in tracr it subclasses SequenceMap): type-switch on
// both.
//
// Constructors mirror tracr: NewMap (simplify=True: a Map of a Map becomes
// one Map with F = outer∘inner — the fork does this, and it removes the
// inner Map, its name and its annotations, from the graph), NewMapSimplify,
// NewSequenceMap, NewLinearSequenceMap, NewFull, NewConstantSOp, NewSelect,
// NewConstantSelector, NewSelectorWidth, NewAggregate, NewSelectorAnd/Or/Not
// (raw) and And/Or/Not (tracr's selector_and/or/not with simplification,
// used by the &, |, ~ operators). Operator(op, left, right) builds what
// tracr's SOp operator overloads build (sop == 1, 1 - sop, sop + sop, …)
// and Invert(sop) is ~sop.
//
// Functions are Func (Call(args ...Value) (Value, error); String()); GoFunc
// adapts a Go closure. Select predicates are Predicate: Comparison (EQ, LT,
// LEQ, GT, GEQ, NEQ, TRUE, FALSE; applied as pred(key, query), so LT selects
// keys smaller than the query; None keys or queries are an error, as in
// tracr) or FuncPredicate{F} for a lambda k, q (truthiness of the result).
//
// Annotations: Named(e, name), AsNumerical(sop), AsCategorical(sop),
// Annotated(e, map) return annotated shallow copies (tracr's annotate; the
// copy keeps the id if one was assigned). SOp.Encoding() defaults to
// Categorical. Expr.Name() defaults per kind ("map", "sequence_map",
// "linear_sequence_map", "full", "constant_sop", "selector_width",
// "aggregate", "select", "selector_and", "selector_or", "selector_not",
// "constant_selector").
//
// # Labels and ids
//
// tracr labels every expression Name()+"_"+id except tokens, indices and
// length. The id comes from a global counter the first time an
// expression's label is read; circuits-benchmark resets the counter to 1
// before building a case, and the first reads happen in the compiler's
// rasp_to_graph breadth-first search (output first; for each dequeued
// expression, its children in order: Aggregate → selector, sop; Select →
// keys, queries; SequenceMap → fst, snd). Case 3 gets frac_prevs_1,
// select_2, is_x_3.
//
// AssignLabels(out) reproduces this for freshly built expressions (and
// continues after the largest existing id otherwise); it is idempotent.
// Labeler gives exact tracr numbering when labels are read while building
// (rasp/star uses one per build). ExtractGraph(out) returns the Graph as
// rasp_to_graph builds it (Nodes in networkx insertion order, Edges
// child→parent, Sink, Sources without duplicates). Reading Label() on an
// unlabelled expression assigns its sub-graph via AssignLabels. AssignLabels
// is serialised, so several goroutines may evaluate one fresh program; a
// Labeler is for one goroutine.
//
// # Evaluation
//
// Eval(out, input) runs tracr's default evaluator (no BOS, non-causal) and
// returns a Trace: the program graph, every SOp's values (Trace.SOps by
// label) and every selector's matrix [query][key] (Trace.Selectors), in
// graph order (Trace.Graph.Nodes, Trace.Labels()); the graph of the last
// evaluated program is cached, so evaluating one program on many rows
// extracts it once (traces share it: do not modify). Inputs may use other
// Go numeric types (normalised). Semantics: Map and
// SequenceMap give None where an input is None without calling the
// function; Aggregate uses Mean: default on an empty selection, sum/len (a
// float, e.g. 3.0) when the first selected value is int or bool, the value
// itself when one non-numeric (or float) value is selected, else an error;
// SelectorWidth counts selected keys (int). Failures are *EvalError with
// the label, position and argument values.
//
// # Basis order
//
// BasisLess(nameA, valA, nameB, valB) is tracr's BasisDirection.__lt__
// (Python tuple comparison, falling back to comparing BasisString forms when
// the values cannot be ordered), used for token ids and residual order.
package rasp
