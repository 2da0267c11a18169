package rasp

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// fn1 makes a one-argument Func from a Go function.
func fn1(name string, f func(x Value) (Value, error)) Func {
	return GoFunc{Name: name, Fn: func(args ...Value) (Value, error) { return f(args[0]) }}
}

func fn2(name string, f func(x, y Value) (Value, error)) Func {
	return GoFunc{Name: name, Fn: func(args ...Value) (Value, error) { return f(args[0], args[1]) }}
}

func mustOp(t *testing.T, op Op, l, r any) SOp {
	t.Helper()
	s, err := Operator(op, l, r)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// makeFracPrevs is circuits-benchmark's make_frac_prevs.
func makeFracPrevs(bools SOp) SOp {
	bools = AsNumerical(bools)
	prevs := NewSelect(Indices, Indices, LEQ)
	return Named(AsNumerical(NewAggregate(prevs, bools, 0)), "frac_prevs")
}

func case3(t *testing.T) SOp {
	isX := Named(mustOp(t, OpEq, Tokens, "x"), "is_x")
	return makeFracPrevs(isX)
}

func vals(xs ...Value) []Value { return xs }

func sameValues(a, b []Value) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !sameValue(a[i], b[i]) {
			return false
		}
	}
	return true
}

func TestCase3LabelsAndTrace(t *testing.T) {
	prog := case3(t)
	tr, err := Eval(prog, vals("a", "x", "b", "x"))
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, e := range tr.Graph.Nodes {
		labels = append(labels, e.Label())
	}
	want := []string{"frac_prevs_1", "select_2", "is_x_3", "indices", "tokens"}
	if !reflect.DeepEqual(labels, want) {
		t.Fatalf("graph nodes %v, want %v", labels, want)
	}
	if got := tr.SOps["frac_prevs_1"]; !sameValues(got, vals(0.0, 0.5, 1.0/3, 0.5)) {
		t.Errorf("frac_prevs = %v", got)
	}
	if got := tr.SOps["is_x_3"]; !sameValues(got, vals(false, true, false, true)) {
		t.Errorf("is_x = %v", got)
	}
	sel := tr.Selectors["select_2"]
	for q := range sel {
		for k := range sel[q] {
			if sel[q][k] != (k <= q) {
				t.Fatalf("select_2[%d][%d] = %v (LEQ selects keys <= query)", q, k, sel[q][k])
			}
		}
	}
	var topo []string
	for _, e := range tr.Graph.Topological() {
		topo = append(topo, e.Label())
	}
	if !reflect.DeepEqual(topo, []string{"indices", "select_2", "tokens", "is_x_3", "frac_prevs_1"}) {
		t.Errorf("Topological() = %v", topo)
	}
	if !reflect.DeepEqual(tr.Labels(), []string{"frac_prevs_1", "is_x_3", "indices", "tokens"}) {
		t.Errorf("Labels() = %v", tr.Labels())
	}
	if prog.Encoding() != Numerical {
		t.Errorf("frac_prevs encoding %v", prog.Encoding())
	}
}

func TestAssignLabelsIdempotentAndContinues(t *testing.T) {
	prog := case3(t)
	AssignLabels(prog)
	first := prog.Label()
	AssignLabels(prog)
	if prog.Label() != first || first != "frac_prevs_1" {
		t.Fatalf("labels changed: %s then %s", first, prog.Label())
	}
	// A new expression on top continues after the largest id.
	top := NewMap(fn1("id", func(x Value) (Value, error) { return x, nil }), prog)
	AssignLabels(top)
	if top.Label() != "map_4" {
		t.Errorf("new top label %s, want map_4", top.Label())
	}
}

func TestLabelerReadDuringBuild(t *testing.T) {
	// tracr: reading a label while building hands out the next id at once.
	l := NewLabeler()
	isX := Named(mustOp(t, OpEq, Tokens, "x"), "is_x")
	if got := l.Label(isX); got != "is_x_1" {
		t.Fatalf("label %s", got)
	}
	prog := makeFracPrevs(isX) // AsNumerical copies keep id 1
	l.Assign(prog)
	got := []string{prog.Label(), prog.(*Aggregate).Selector.Label(), prog.(*Aggregate).SOp.Label()}
	want := []string{"frac_prevs_2", "select_3", "is_x_1"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("labels %v, want %v", got, want)
	}
}

func TestMapSimplification(t *testing.T) {
	inc := fn1("inc", func(x Value) (Value, error) { return Apply(OpAdd, x, 1) })
	dbl := fn1("dbl", func(x Value) (Value, error) { return Apply(OpMul, x, 2) })
	inner := Named(NewMap(inc, Tokens), "inner")
	outer := NewMap(dbl, inner)
	if outer.Inner != Tokens {
		t.Fatalf("Map of Map not collapsed: inner is %T", outer.Inner)
	}
	got, err := EvalSOp(outer, vals(1, 2))
	if err != nil {
		t.Fatal(err)
	}
	if !sameValues(got, vals(4, 6)) {
		t.Errorf("collapsed map = %v, want [4 6]", got)
	}
	kept := NewMapSimplify(dbl, inner, false)
	if kept.Inner != SOp(inner) {
		t.Fatalf("simplify=false collapsed the map")
	}
	g := ExtractGraph(kept)
	if len(g.Nodes) != 3 || g.Nodes[1].Label() != "inner_2" {
		t.Errorf("graph of unsimplified map: %v", nodeLabels(g))
	}
}

func nodeLabels(g *Graph) []string {
	var out []string
	for _, e := range g.Nodes {
		out = append(out, e.Label())
	}
	return out
}

func TestNamedKeepsAssignedID(t *testing.T) {
	m := NewMap(fn1("id", func(x Value) (Value, error) { return x, nil }), Tokens)
	_ = m.Label() // assigns id 1
	n := Named(m, "renamed")
	if n.Label() != "renamed_1" || m.Label() != "map_1" {
		t.Fatalf("labels %s %s", m.Label(), n.Label())
	}
	if m.Name() != "map" {
		t.Errorf("original renamed: %s", m.Name())
	}
	fresh := Named(NewFull(1), "one")
	if fresh.ID() != 0 {
		t.Errorf("fresh named expression has id %d", fresh.ID())
	}
}

func TestDefaultNames(t *testing.T) {
	id := fn1("id", func(x Value) (Value, error) { return x, nil })
	sel := NewSelect(Tokens, Tokens, EQ)
	tests := []struct {
		e    Expr
		want string
	}{
		{Tokens, "tokens"}, {Indices, "indices"}, {Length, "length"},
		{NewMap(id, Tokens), "map"},
		{NewSequenceMap(fn2("f", func(x, y Value) (Value, error) { return x, nil }), Tokens, Indices), "sequence_map"},
		{NewLinearSequenceMap(Tokens, Indices, 1, 1), "linear_sequence_map"},
		{NewFull(0), "full"}, {NewConstantSOp(vals(1), true), "constant_sop"},
		{NewSelectorWidth(sel), "selector_width"}, {NewAggregate(sel, Tokens, nil), "aggregate"},
		{sel, "select"}, {NewSelectorAnd(sel, sel), "selector_and"}, {NewSelectorOr(sel, sel), "selector_or"},
		{NewSelectorNot(sel), "selector_not"}, {NewConstantSelector(nil, false), "constant_selector"},
	}
	for _, tc := range tests {
		if got := tc.e.Name(); got != tc.want {
			t.Errorf("%T name %q, want %q", tc.e, got, tc.want)
		}
	}
	if Named(Tokens, "x").Label() != "tokens" {
		t.Errorf("named tokens must keep label tokens")
	}
}

func TestComparisonsAreKeyQuery(t *testing.T) {
	in := vals(0, 1, 2)
	tests := []struct {
		c    Comparison
		want func(k, q int) bool
	}{
		{EQ, func(k, q int) bool { return k == q }},
		{LT, func(k, q int) bool { return k < q }},
		{LEQ, func(k, q int) bool { return k <= q }},
		{GT, func(k, q int) bool { return k > q }},
		{GEQ, func(k, q int) bool { return k >= q }},
		{NEQ, func(k, q int) bool { return k != q }},
		{TRUE, func(k, q int) bool { return true }},
		{FALSE, func(k, q int) bool { return false }},
	}
	for _, tc := range tests {
		// keys = tokens (0,1,2), queries = 2 - tokens so rows differ from columns.
		queries := mustOp(t, OpSub, 2, Tokens)
		m, err := EvalSelector(NewSelect(Tokens, queries, tc.c), in)
		if err != nil {
			t.Fatal(err)
		}
		for qi := range m {
			q := 2 - qi
			for ki := range m[qi] {
				if m[qi][ki] != tc.want(ki, q) {
					t.Errorf("%s: [q=%d][k=%d] = %v", tc.c.Name(), q, ki, m[qi][ki])
				}
			}
		}
	}
}

func TestSelectNoneIsAnError(t *testing.T) {
	withNone := NewConstantSOp(vals(1, nil), true)
	for _, c := range []Comparison{EQ, TRUE} {
		_, err := EvalSelector(NewSelect(withNone, Indices, c), vals("a", "b"))
		if err == nil || !strings.Contains(err.Error(), "key is None!") {
			t.Errorf("%s with None key: err %v", c.Name(), err)
		}
		_, err = EvalSelector(NewSelect(Indices, withNone, c), vals("a", "b"))
		if err == nil || !strings.Contains(err.Error(), "query is None!") {
			t.Errorf("%s with None query: err %v", c.Name(), err)
		}
	}
}

func TestMeanSemantics(t *testing.T) {
	tests := []struct {
		xs   []Value
		def  Value
		want Value
		err  string
	}{
		{nil, 0, 0, ""},
		{nil, nil, nil, ""},
		{vals(1, 2), nil, 1.5, ""},
		{vals(3), nil, 3.0, ""},
		{vals(true, false, true, true), 0, 0.75, ""},
		{vals(true, 2.5), 0, 1.75, ""},
		{vals("a"), nil, "a", ""},
		{vals(0.5), nil, 0.5, ""},
		{vals(nil), nil, nil, ""},
		{vals("a", "a"), nil, nil, "Unsupported type for aggregation: ['a', 'a']"},
		{vals(0.5, 0.5), nil, nil, "Unsupported type for aggregation"},
		{vals(1, "a"), nil, nil, "TypeError"},
	}
	for _, tc := range tests {
		got, err := Mean(tc.xs, tc.def)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Mean(%v) err %v, want %q", tc.xs, err, tc.err)
			}
			continue
		}
		if err != nil || !sameValue(got, tc.want) {
			t.Errorf("Mean(%v, %v) = %v (%v), want %v", tc.xs, tc.def, Repr(got), err, Repr(tc.want))
		}
	}
}

func TestNonePropagation(t *testing.T) {
	calls := 0
	f := fn1("count", func(x Value) (Value, error) { calls++; return x, nil })
	src := NewConstantSOp(vals(1, nil, 3), true)
	got, err := EvalSOp(NewMap(f, src), vals(0, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if calls != 2 || got[1] != nil {
		t.Errorf("Map over None: calls %d, values %v", calls, got)
	}
	sm := NewSequenceMap(fn2("add", func(x, y Value) (Value, error) { return Apply(OpAdd, x, y) }), src, Indices)
	got, err = EvalSOp(sm, vals(0, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if !sameValues(got, vals(1, nil, 5)) {
		t.Errorf("SequenceMap over None = %v", got)
	}
}

func TestSelectorWidthAndAggregate(t *testing.T) {
	in := vals("a", "b", "a", "c")
	same := NewSelect(Tokens, Tokens, EQ)
	hist, err := EvalSOp(NewSelectorWidth(same), in)
	if err != nil {
		t.Fatal(err)
	}
	if !sameValues(hist, vals(2, 1, 2, 1)) {
		t.Errorf("hist = %v", hist)
	}
	// Reverse with Aggregate (a categorical move of one value).
	opp := mustOp(t, OpSub, mustOp(t, OpSub, Length, Indices), 1)
	rev := NewAggregate(NewSelect(Indices, opp, EQ), Tokens, nil)
	got, err := EvalSOp(rev, in)
	if err != nil {
		t.Fatal(err)
	}
	if !sameValues(got, vals("c", "a", "b", "a")) {
		t.Errorf("reverse = %v", got)
	}
	// Empty selection gives the default.
	none := NewAggregate(NewSelect(Tokens, Tokens, FALSE), Indices, 7)
	got, _ = EvalSOp(none, in)
	if !sameValues(got, vals(7, 7, 7, 7)) {
		t.Errorf("empty aggregate = %v", got)
	}
}

func TestSelectorCombinators(t *testing.T) {
	lt := NewSelect(Indices, Indices, LT)
	eq := NewSelect(Indices, Indices, EQ)
	and := And(lt, eq)
	if _, ok := and.(*Select); !ok {
		t.Fatalf("And of Selects with the same keys/queries is %T, want a simplified Select", and)
	}
	or := Or(lt, eq)
	not := Not(lt)
	if _, ok := not.(*Select); !ok {
		t.Fatalf("Not(Select) is %T", not)
	}
	other := NewSelect(Tokens, Indices, EQ)
	if _, ok := And(lt, other).(*SelectorAnd); !ok {
		t.Errorf("And with different keys must stay a SelectorAnd")
	}
	full := NewSelect(NewFull(1), Indices, LEQ) // 1 <= q
	mixed := And(full, lt)
	if s, ok := mixed.(*Select); !ok || s.Keys != SOp(Indices) {
		t.Fatalf("And with a Full key side: %T", mixed)
	}
	in := vals("a", "b", "c")
	check := func(name string, s Selector, want func(k, q int) bool) {
		m, err := EvalSelector(s, in)
		if err != nil {
			t.Fatal(err)
		}
		for q := range m {
			for k := range m[q] {
				if m[q][k] != want(k, q) {
					t.Errorf("%s[%d][%d] = %v", name, q, k, m[q][k])
				}
			}
		}
	}
	check("and", and, func(k, q int) bool { return false })
	check("or", or, func(k, q int) bool { return k <= q })
	check("not", not, func(k, q int) bool { return k >= q })
	check("mixed", mixed, func(k, q int) bool { return 1 <= q && k < q })
	check("raw and", NewSelectorAnd(lt, other), func(k, q int) bool { return false })
	check("raw not", NewSelectorNot(eq), func(k, q int) bool { return k != q })
}

func TestOperators(t *testing.T) {
	in := vals(0, 1, 2, 3)
	tests := []struct {
		name string
		sop  SOp
		want []Value
	}{
		{"sop==1", mustOp(t, OpEq, Tokens, 1), vals(false, true, false, false)},
		{"1<sop", mustOp(t, OpLt, 1, Tokens), vals(false, false, true, true)},
		{"sop>=2", mustOp(t, OpGe, Tokens, 2), vals(false, false, true, true)},
		{"sop+1", mustOp(t, OpAdd, Tokens, 1), vals(1, 2, 3, 4)},
		{"10-sop", mustOp(t, OpSub, 10, Tokens), vals(10, 9, 8, 7)},
		{"sop-sop", mustOp(t, OpSub, Tokens, Indices), vals(0, 0, 0, 0)},
		{"sop/2", mustOp(t, OpTrueDiv, Tokens, 2), vals(0.0, 0.5, 1.0, 1.5)},
		{"-1*sop", mustOp(t, OpMul, -1, Tokens), vals(0, -1, -2, -3)},
		{"sop&2", mustOp(t, OpAnd, Tokens, 2), vals(0, 2, 2, 2)},
		{"2&sop", mustOp(t, OpAnd, 2, Tokens), vals(0, 1, 2, 3)},
		{"sop|5", mustOp(t, OpOr, Tokens, 5), vals(5, 1, 2, 3)},
		{"5|sop (tracr: x or 5)", mustOp(t, OpOr, 5, Tokens), vals(5, 1, 2, 3)},
		{"~sop", Invert(Tokens), vals(true, false, false, false)},
	}
	for _, tc := range tests {
		got, err := EvalSOp(tc.sop, in)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if !sameValues(got, tc.want) {
			t.Errorf("%s = %v, want %v", tc.name, got, tc.want)
		}
	}
	if _, ok := mustOp(t, OpAdd, Tokens, Indices).(*SequenceMap); !ok {
		t.Errorf("sop+sop must be a SequenceMap")
	}
	for _, op := range []Op{OpEq, OpLt} {
		if _, err := Operator(op, Tokens, Indices); err == nil {
			t.Errorf("sop %s sop must be an error", op)
		}
	}
	if _, err := Operator(OpMod, Tokens, 2); err == nil {
		t.Errorf("sop %% 2 must be an error")
	}
	if _, err := Operator(OpAdd, 1, 2); err == nil {
		t.Errorf("Operator without SOp must be an error")
	}
}

func TestEvalErrorNamesValue(t *testing.T) {
	boom := fn1("boom", func(x Value) (Value, error) {
		if x == "b" {
			return nil, errors.New("cannot handle")
		}
		return x, nil
	})
	prog := Named(NewMap(boom, Tokens), "risky")
	_, err := Eval(prog, vals("a", "b"))
	var ee *EvalError
	if !errors.As(err, &ee) {
		t.Fatalf("err %v, want *EvalError", err)
	}
	if ee.Label != "risky_1" || ee.Position != 1 || !reflect.DeepEqual(ee.Args, vals("b")) {
		t.Errorf("EvalError %+v", ee)
	}
	if msg := err.Error(); !strings.Contains(msg, "risky_1 at position 1 on ('b')") || !strings.Contains(msg, "cannot handle") {
		t.Errorf("message %q", msg)
	}
	// Non-RASP result values are rejected with the argument.
	bad := NewMap(fn1("list", func(x Value) (Value, error) { return []int{1}, nil }), Tokens)
	if _, err := EvalSOp(bad, vals("a")); err == nil || !strings.Contains(err.Error(), "not a RASP value") {
		t.Errorf("list result: err %v", err)
	}
	c := NewConstantSOp(vals(1, 2), true)
	if _, err := EvalSOp(c, vals(1)); err == nil || !strings.Contains(err.Error(), "doesn't match input len") {
		t.Errorf("constant length: err %v", err)
	}
	if got, err := EvalSOp(NewConstantSOp(vals(1, 2), false), vals(1)); err != nil || len(got) != 2 {
		t.Errorf("unchecked constant: %v %v", got, err)
	}
}

func TestLinearSequenceMap(t *testing.T) {
	lsm := NewLinearSequenceMap(Tokens, Indices, 1, -1)
	got, err := EvalSOp(lsm, vals(0.5, 2, true))
	if err != nil {
		t.Fatal(err)
	}
	if !sameValues(got, vals(0.5, 1, -1)) {
		t.Errorf("1*x - 1*y = %v", got)
	}
	if lsm.FstFac != 1 || lsm.SndFac != -1 {
		t.Errorf("factors %v %v", lsm.FstFac, lsm.SndFac)
	}
}

func TestExtractGraph(t *testing.T) {
	// make_length() - indices - 1, with a shared subexpression.
	allTrue := Named(NewSelect(Tokens, Tokens, TRUE), "all_true_selector")
	length := Named(NewSelectorWidth(allTrue), "length")
	opp := Named(mustOp(t, OpSub, length, Indices), "opp_idx")
	opp1 := Named(mustOp(t, OpSub, opp, 1), "opp_idx-1")
	rev := Named(NewAggregate(Named(NewSelect(Indices, opp1, EQ), "reverse_selector"), Tokens, nil), "reverse")
	g := ExtractGraph(rev)
	got := nodeLabels(g)
	want := []string{"reverse_1", "reverse_selector_2", "tokens", "indices", "opp_idx-1_3", "opp_idx_4", "length_5", "all_true_selector_6"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("nodes %v, want %v", got, want)
	}
	sorted := append([]string(nil), got...)
	sort.Strings(sorted)
	// Case 2 of the reference data (make_reverse(tokens)) has exactly these nodes.
	ref := []string{"all_true_selector_6", "indices", "length_5", "opp_idx-1_3", "opp_idx_4", "reverse_1", "reverse_selector_2", "tokens"}
	if !reflect.DeepEqual(sorted, ref) {
		t.Errorf("sorted nodes %v, reference %v", sorted, ref)
	}
	if g.Sink != Expr(rev) {
		t.Errorf("sink %v", g.Sink)
	}
	if len(g.Sources) != 2 || g.Sources[0].Label() != "tokens" || g.Sources[1].Label() != "indices" {
		t.Errorf("sources %v", g.Sources)
	}
	if p := g.Parents("tokens"); !reflect.DeepEqual(p, []string{"reverse_1", "all_true_selector_6"}) {
		t.Errorf("parents of tokens %v", p)
	}
	if e, ok := g.Node("length_5"); !ok || e != Expr(length) {
		t.Errorf("Node(length_5) = %v %v", e, ok)
	}
	tr, err := Eval(rev, vals("a", "b", "c"))
	if err != nil {
		t.Fatal(err)
	}
	if !sameValues(tr.Output, vals("c", "b", "a")) || !sameValues(tr.SOps["length_5"], vals(3, 3, 3)) {
		t.Errorf("trace %v", tr.SOps)
	}
}

func TestConcurrentEval(t *testing.T) {
	prog := case3(t) // fresh: the goroutines race to assign its labels
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		go func(i int) {
			in := vals("x", "a", "x", "x")[:1+i%4]
			tr, err := Eval(prog, in)
			if err == nil && len(tr.Output) != len(in) {
				err = fmt.Errorf("output length %d", len(tr.Output))
			}
			errs <- err
		}(i)
	}
	for i := 0; i < 8; i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	g := ExtractGraph(prog)
	if got := nodeLabels(g); !reflect.DeepEqual(got, []string{"frac_prevs_1", "select_2", "is_x_3", "indices", "tokens"}) {
		t.Errorf("labels after concurrent first use: %v", got)
	}
}

func TestEvalNormalizesInput(t *testing.T) {
	prog := mustOp(t, OpAdd, Tokens, 1)
	got, err := EvalSOp(prog, []Value{int64(1), int32(2), float32(0.5)})
	if err != nil {
		t.Fatal(err)
	}
	if !sameValues(got, vals(2, 3, 1.5)) {
		t.Errorf("got %v", got)
	}
	if _, err := Eval(prog, []Value{1, []int{2}}); err == nil || !strings.Contains(err.Error(), "input position 1") {
		t.Errorf("bad input: err %v", err)
	}
}
