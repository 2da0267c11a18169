package star

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/glassbox-interp/glassbox/rasp"
	"go.starlark.net/starlark"
)

type refRows struct {
	Case              int      `json:"case"`
	ProgramGraphNodes []string `json:"program_graph_nodes"`
	OutputLabel       string   `json:"output_label"`
	Vocab             []any    `json:"vocab"`
	MaxSeqLen         int      `json:"max_seq_len"`
	Causal            bool     `json:"causal"`
	Rows              []struct {
		Input      []any `json:"input"`
		RaspOutput []any `json:"rasp_output"`
	} `json:"rows"`
}

func jsonValue(t *testing.T, v any) rasp.Value {
	t.Helper()
	switch x := v.(type) {
	case nil, bool, string:
		return x
	case json.Number:
		if !strings.ContainsAny(string(x), ".eE") {
			i, err := x.Int64()
			if err != nil {
				t.Fatalf("bad int %s", x)
			}
			return int(i)
		}
		f, err := x.Float64()
		if err != nil {
			t.Fatalf("bad number %s", x)
		}
		return f
	}
	t.Fatalf("unexpected JSON value %#v", v)
	return nil
}

// same reports equal values of the same Python type (3.0 is not 3).
func same(a, b rasp.Value) bool {
	if rasp.TypeName(a) != rasp.TypeName(b) {
		return false
	}
	if fa, ok := a.(float64); ok {
		fb := b.(float64)
		return fa == fb || (math.IsNaN(fa) && math.IsNaN(fb))
	}
	return rasp.Equal(a, b)
}

func loadCase(t *testing.T, id int) *Program {
	t.Helper()
	name := filepath.Join("cases", "case_"+itoa(id)+".star")
	src, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Load(name, src, Options{FS: os.DirFS("testdata")})
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return p
}

func itoa(i int) string { return rasp.Repr(i) }

// TestReferenceCases builds the ported circuits-benchmark programs and
// checks their labels (graph nodes and output label) and their evaluation
// on the reference rows against the upstream Python results.
func TestReferenceCases(t *testing.T) {
	b, err := os.ReadFile("testdata/reference_rows.json")
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var cases []refRows
	if err := dec.Decode(&cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 8 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, c := range cases {
		t.Run("case_"+itoa(c.Case), func(t *testing.T) {
			p := loadCase(t, c.Case)
			res, err := p.Build()
			if err != nil {
				t.Fatal(err)
			}
			g := rasp.ExtractGraph(res.Program)
			var labels []string
			for _, e := range g.Nodes {
				labels = append(labels, e.Label())
			}
			sort.Strings(labels)
			if !reflect.DeepEqual(labels, c.ProgramGraphNodes) {
				t.Errorf("graph nodes %v\nreference   %v", labels, c.ProgramGraphNodes)
			}
			if got := res.Program.Label(); got != c.OutputLabel {
				t.Errorf("output label %s, reference %s", got, c.OutputLabel)
			}
			meta, err := res.Meta()
			if err != nil {
				t.Fatal(err)
			}
			if meta.MaxSeqLen != c.MaxSeqLen || meta.Causal != c.Causal {
				t.Errorf("meta %+v, reference max_seq_len %d causal %v", meta, c.MaxSeqLen, c.Causal)
			}
			ref := rasp.NewValueSet()
			for _, v := range c.Vocab {
				ref.Add(jsonValue(t, v))
			}
			if len(meta.Vocab) != ref.Len() {
				t.Errorf("vocab %v, reference %v", meta.Vocab, c.Vocab)
			}
			for _, v := range meta.Vocab {
				if !ref.Has(v) {
					t.Errorf("vocab value %s not in reference", rasp.Repr(v))
				}
			}
			for ri, row := range c.Rows {
				var content []rasp.Value
				for _, x := range row.Input[1:] {
					if x == "PAD" {
						break
					}
					content = append(content, jsonValue(t, x))
				}
				tr, err := rasp.Eval(res.Program, content)
				if err != nil {
					t.Fatalf("row %d: %v", ri, err)
				}
				for i, got := range tr.Output {
					want := jsonValue(t, row.RaspOutput[1+i])
					if !same(got, want) {
						t.Errorf("row %d %v: position %d = %s, reference %s", ri, content, i, rasp.Repr(got), rasp.Repr(want))
					}
				}
			}
		})
	}
}

func TestRebuildGivesFreshExpressions(t *testing.T) {
	p := loadCase(t, 4)
	a, err := p.Build()
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.Build()
	if err != nil {
		t.Fatal(err)
	}
	if a.Program == b.Program {
		t.Fatal("Build returned the same expression twice")
	}
	if a.Program.Label() != "pair_balance_1" || b.Program.Label() != "pair_balance_1" {
		t.Errorf("labels %s %s", a.Program.Label(), b.Program.Label())
	}
}

func build(t *testing.T, src string) *Result {
	t.Helper()
	p, err := Load("test.star", []byte(src), Options{})
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	r, err := p.Build()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestPythonSemantics(t *testing.T) {
	r := build(t, `
program = tokens
results = [
    True == 1, 1 == 1.0, True + 1, True * 2.5, sum([True, True, False]), sum([0.5, 1], 1),
    round(2.5), round(3.5), round(-0.5), round(0.125, 2), round(2.675, 2), round(1234, -2),
    pow(2, 10), pow(2, -1), pow(4, 0.5), pow(3, 4, 5), abs(True), abs(-3), abs(-2.5),
    math.ceil(1.2), math.floor(-1.5), math.sqrt(16), 7 // 2, -7 // 2, -7 % 3, 7.5 % -2,
    1 / 2, 4 / 2, float("inf") > 1e308, math.inf == float("inf"), divmod(-7, 2),
    True & False, True | False, (1, "a") == (True, "a"), 1 < True + 1, None == None,
    [1, 2] == [1, 2], "a" < "b", math.trunc(-2.5), math.gcd(12, 18), math.log2(8),
]
`)
	list, ok := r.Globals["results"].(*starlark.List)
	if !ok {
		t.Fatalf("results is %T", r.Globals["results"])
	}
	// Printed by CPython 3.11 for the same expressions.
	want := "[True, True, 2, 2.5, 2, 2.5, 2, 4, 0, 0.12, 2.67, 1200, 1024, 0.5, 2.0, 1, 1, 3, 2.5, 2, -2, 4.0, 3, -4, 2, -0.5, 0.5, 2.0, True, True, (-4, 1), False, True, True, True, True, True, True, -2, 6, 3.0]"
	var parts []string
	for i := 0; i < list.Len(); i++ {
		v, err := FromStarlark(list.Index(i))
		if err != nil {
			t.Fatalf("results[%d]: %v", i, err)
		}
		parts = append(parts, rasp.Repr(v))
	}
	if got := "[" + strings.Join(parts, ", ") + "]"; got != want {
		t.Errorf("results\n got %s\nwant %s", got, want)
	}
}

func TestOperatorsInStarlark(t *testing.T) {
	r := build(t, `
a = tokens == 1          # Map(lambda x: x == 1)
b = 1 < tokens           # mirrored: tokens > 1
c = length - indices - 1 # Map of SequenceMap
d = tokens + indices     # SequenceMap
e = 10 - tokens          # reflected
f = ~(tokens == 0)       # Map(not x) collapsed with the == Map
g = (tokens > 0) & (indices > 0)
h = 0 | tokens           # tracr's __ror__: x or 0
i = -1 * tokens
j = tokens / 2
program = tokens
`)
	in := []rasp.Value{0, 1, 2}
	tests := map[string]string{
		"a": "[False, True, False]",
		"b": "[False, False, True]",
		"c": "[2, 1, 0]",
		"d": "[0, 2, 4]",
		"e": "[10, 9, 8]",
		"f": "[False, True, True]",
		"g": "[False, True, True]",
		"h": "[0, 1, 2]",
		"i": "[0, -1, -2]",
		"j": "[0.0, 0.5, 1.0]",
	}
	for name, want := range tests {
		s, ok := r.Globals[name].(*SOpValue)
		if !ok {
			t.Errorf("%s is %s, want SOp", name, r.Globals[name].Type())
			continue
		}
		out, err := rasp.EvalSOp(s.SOp, in)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		parts := make([]string, len(out))
		for i, v := range out {
			parts[i] = rasp.Repr(v)
		}
		if got := "[" + strings.Join(parts, ", ") + "]"; got != want {
			t.Errorf("%s = %s, want %s", name, got, want)
		}
	}
	if _, ok := r.Globals["f"].(*SOpValue).SOp.(*rasp.Map).Inner.(*rasp.TokensType); !ok {
		t.Errorf("~(tokens == 0) must collapse into one Map of tokens")
	}
	if _, ok := r.Globals["d"].(*SOpValue).SOp.(*rasp.SequenceMap); !ok {
		t.Errorf("tokens + indices must be a SequenceMap")
	}
}

func TestSelectorsAndAttributesInStarlark(t *testing.T) {
	r := build(t, `
lt = Select(indices, indices, LT)
eq = rasp.Select(rasp.indices, rasp.indices, rasp.Comparison.EQ)
both = lt | eq
notlt = ~lt
raw = SelectorOr(lt, eq)
w = SelectorWidth(both).named("w")
early = w.label                  # read while building: gets id 1
custom = Select(tokens, tokens, lambda k, q: k == q + 1)
agg = numerical(Aggregate(custom, numerical(Map(lambda x: 1, tokens)), default = 0))
program = w
ann = agg.annotations
lt_call = Comparison.LT(1, 2)
cname = Comparison.GEQ.name
cval = Comparison.GEQ.value
evaluated = w([7, 8, 9])
enc = get_encoding(agg)
isnum = is_numerical(agg)
kind = type(w)
`)
	if got := r.Program.Label(); got != "w_1" {
		t.Errorf("program label %s, want w_1 (read while building)", got)
	}
	if r.Globals["early"].(starlark.String) != "w_1" {
		t.Errorf("early label %s", r.Globals["early"])
	}
	if _, ok := r.Globals["both"].(*SelectorValue).Sel.(*rasp.Select); !ok {
		t.Errorf("lt | eq must simplify to a Select")
	}
	if _, ok := r.Globals["raw"].(*SelectorValue).Sel.(*rasp.SelectorOr); !ok {
		t.Errorf("SelectorOr(...) must not simplify")
	}
	checks := map[string]string{
		"ann":       `{"encoding": "numerical", "name": "aggregate"}`,
		"lt_call":   "True",
		"cname":     `"GEQ"`,
		"cval":      `">="`,
		"evaluated": "[1, 2, 3]",
		"enc":       `"numerical"`,
		"isnum":     "True",
		"kind":      `"SOp"`,
	}
	for k, want := range checks {
		if got := r.Globals[k].String(); got != want {
			t.Errorf("%s = %s, want %s", k, got, want)
		}
	}
	m, err := rasp.EvalSelector(r.Globals["notlt"].(*SelectorValue).Sel, []rasp.Value{"a", "b"})
	if err != nil || !reflect.DeepEqual(m, [][]bool{{true, true}, {false, true}}) {
		t.Errorf("~lt = %v (%v)", m, err)
	}
	out, err := rasp.EvalSOp(r.Globals["agg"].(*SOpValue).SOp, []rasp.Value{1, 2, 3})
	if err != nil || !same(out[0], 1.0) || !same(out[2], 0) {
		t.Errorf("custom predicate aggregate = %v (%v)", out, err)
	}
}

func TestLoadErrors(t *testing.T) {
	lib := fstest.MapFS{
		"lib/ok.star":     {Data: []byte("def f():\n    return tokens\n")},
		"lib/cycle.star":  {Data: []byte("load(\"lib/cycle2.star\", \"x\")\n")},
		"lib/cycle2.star": {Data: []byte("load(\"lib/cycle.star\", \"y\")\nx = 1\n")},
		"lib/bad.star":    {Data: []byte("x = (\n")},
	}
	tests := []struct {
		name string
		src  string
		opts Options
		want []string
	}{
		{"syntax", "program = Map(lambda x: x,\n", Options{}, []string{"t.star:2:1", "got end of file"}},
		{"unknown name", "program = Mapp(lambda x: x, tokens)\n", Options{}, []string{"t.star:1:11", "undefined: Mapp"}},
		{"wrong type", "program = Map(1, tokens)\n", Options{}, []string{"t.star:1:14", "Map: f must be a function, got int"}},
		{"sop as function", "program = Map(tokens, tokens)\n", Options{}, []string{"Map: f must be a function, got an expression"}},
		{"selector expected", "program = Aggregate(tokens, tokens)\n", Options{}, []string{"Aggregate: selector must be a Selector, got SOp"}},
		{"bad default", "program = Aggregate(Select(tokens, tokens, EQ), tokens, default = [1])\n", Options{}, []string{"Aggregate: default", "list is not a RASP value"}},
		{"no program", "x = 1\n", Options{}, []string{"no global `program`"}},
		{"program not sop", "program = Select(tokens, tokens, EQ)\n", Options{}, []string{"`program` must be an SOp, got Selector"}},
		{"step limit", "def spin():\n    while True:\n        pass\nspin()\nprogram = tokens\n", Options{MaxSteps: 10000}, []string{"too many steps", "t.star:4:5"}},
		{"fail", "fail(\"boom\")\n", Options{}, []string{"t.star:1:5", "boom"}},
		{"load disabled", "load(\"lib/ok.star\", \"f\")\nprogram = f()\n", Options{}, []string{"loading is disabled"}},
		{"load dotdot", "load(\"../x.star\", \"f\")\nprogram = tokens\n", Options{FS: lib}, []string{"invalid module path"}},
		{"load absolute", "load(\"/etc/passwd\", \"f\")\nprogram = tokens\n", Options{FS: lib}, []string{"invalid module path"}},
		{"load missing", "load(\"lib/none.star\", \"f\")\nprogram = tokens\n", Options{FS: lib}, []string{"lib/none.star", "file does not exist"}},
		{"load cycle", "load(\"lib/cycle.star\", \"x\")\nprogram = tokens\n", Options{FS: lib}, []string{"cycle in load graph"}},
		{"load syntax", "load(\"lib/bad.star\", \"x\")\nprogram = tokens\n", Options{FS: lib}, []string{"lib/bad.star:2:1"}},
		{"compare sops", "program = tokens == indices\n", Options{}, []string{"t.star:1:18", "comparing two SOps"}},
		{"sop modulo", "program = tokens % 2\n", Options{}, []string{"t.star:1:18", "tracr SOps define no % operator"}},
		{"hidden builtin misuse", "x = __rasp_compare__(1, 2, 3)\n", Options{}, []string{"unknown operator 1"}},
		{"hidden builtin arity", "x = __rasp_binop__(\"+\")\n", Options{}, []string{"want 3 arguments"}},
		{"hidden unary misuse", "x = __rasp_unary__(\"*\", 1)\n", Options{}, []string{"unknown operator"}},
		{"bad predeclared", "program = tokens\n", Options{Predeclared: map[string]any{"v": []int{1}}}, []string{"predeclared v"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load("t.star", []byte(tc.src), tc.opts)
			if err == nil {
				t.Fatalf("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	// load works from the FS.
	p, err := Load("t.star", []byte("load(\"lib/ok.star\", \"f\")\nprogram = f()\n"), Options{FS: lib})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := p.Build(); err != nil || r.Program != rasp.SOp(rasp.Tokens) {
		t.Errorf("loaded program %v %v", r, err)
	}
}

func TestLambdaErrorNamesValue(t *testing.T) {
	r := build(t, `
def check(x):
    if x == "b":
        fail("cannot handle", x)
    return x
program = Map(lambda x: check(x), tokens).named("risky")
`)
	_, err := rasp.Eval(r.Program, []rasp.Value{"a", "b"})
	if err == nil {
		t.Fatal("no error")
	}
	var ce *CallError
	if !errors.As(err, &ce) {
		t.Fatalf("error %v is not a CallError", err)
	}
	if !reflect.DeepEqual(ce.Args, []rasp.Value{"b"}) {
		t.Errorf("args %v", ce.Args)
	}
	msg := err.Error()
	for _, w := range []string{"risky_1 at position 1", "lambda at test.star:6:15('b')", "test.star:4:13", "cannot handle b"} {
		if !strings.Contains(msg, w) {
			t.Errorf("message %q lacks %q", msg, w)
		}
	}
	// The compiler calls functions directly: the error names the value too.
	f := r.Program.(*rasp.Map).F
	if _, err := f.Call("b"); err == nil || !strings.Contains(err.Error(), "('b')") {
		t.Errorf("direct call error %v", err)
	}
	// Returning a list is rejected with the argument.
	r = build(t, "program = Map(lambda x: [x], tokens)\n")
	if _, err := rasp.Eval(r.Program, []rasp.Value{"a"}); err == nil || !strings.Contains(err.Error(), "result: list is not a RASP value") {
		t.Errorf("list result error %v", err)
	}
	// A lambda that loops forever hits the per-call step limit.
	p, err := Load("t.star", []byte("def spin(x):\n    while True:\n        pass\nprogram = Map(spin, tokens)\n"), Options{MaxSteps: 5000})
	if err != nil {
		t.Fatal(err)
	}
	r, _ = p.Build()
	if _, err := rasp.Eval(r.Program, []rasp.Value{1}); err == nil || !strings.Contains(err.Error(), "too many steps") {
		t.Errorf("spinning lambda error %v", err)
	}
}

func TestPredeclaredAndMeta(t *testing.T) {
	p, err := Load("t.star", []byte(`
program = Map(lambda x: x in vocab, tokens)
max_seq_len = limit
causal = False
trivial = True
description = "d"
`), Options{Predeclared: map[string]any{"vocab": []rasp.Value{1, 2, 1.0}, "limit": 7}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := p.Build()
	if err != nil {
		t.Fatal(err)
	}
	m, err := r.Meta()
	if err != nil {
		t.Fatal(err)
	}
	if m.MaxSeqLen != 7 || m.MinSeqLen != 4 || m.Causal || !m.Trivial || m.Description != "d" || m.Vocab != nil {
		t.Errorf("meta %+v", m)
	}
	if !m.Set["max_seq_len"] || m.Set["min_seq_len"] {
		t.Errorf("meta set %v", m.Set)
	}
	for _, bad := range []string{"max_seq_len = \"x\"", "causal = 1", "vocab = 3", "vocab = [[1]]", "description = 1", "min_seq_len = True"} {
		r := build(t, "program = tokens\n"+bad+"\n")
		if _, err := r.Meta(); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
	r = build(t, "program = tokens\nvocab = [1, 1.0, True, 2]\n")
	m, err = r.Meta()
	if err != nil || len(m.Vocab) != 2 || !same(m.Vocab[0], 1) {
		t.Errorf("vocab %v %v", m.Vocab, err)
	}
}

func TestPrintOption(t *testing.T) {
	var got []string
	_, err := Load("t.star", []byte("print('hi', 1)\nprogram = tokens\n"), Options{Print: func(s string) { got = append(got, s) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != "hi 1" {
		t.Errorf("printed %q", got)
	}
}

func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/cases/*.star")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("program = Map(lambda x: x + 1, tokens) == 2\n"))
	f.Add([]byte("program = (tokens < 1) | (indices > 2)\nx = ~Select(tokens, tokens, EQ)\n"))
	fsys := os.DirFS("testdata")
	f.Fuzz(func(t *testing.T, src []byte) {
		p, err := Load("fuzz.star", src, Options{FS: fsys, MaxSteps: 20000, MaxBytes: 1 << 22})
		if err != nil {
			return
		}
		r, err := p.Build()
		if err != nil {
			return
		}
		_, _ = rasp.Eval(r.Program, []rasp.Value{"a", 1, 2.5, true, nil})
	})
}

func TestRewrittenStatementsAndMembership(t *testing.T) {
	r := build(t, `
def count(xs):
    n = 0
    for x in xs:
        n += x == 1       # bool added to int, as in Python
    return n
acc = [1]
alias = acc
acc += [2]              # lists extend in place
s = "a"
s += "b"
f = 10
f //= 4
results = [count([1, True, 1.0, 2]), -True, +False, True in [1], 1.0 in (True,), 2 not in set([2.0]),
           "b" in "abc", True in {1: "x"}, [1] in [[1]], alias, s, f]
program = tokens
`)
	list := r.Globals["results"].(*starlark.List)
	want := `[3, -1, 0, True, True, False, True, True, True, [1, 2], "ab", 2]`
	if got := list.String(); got != want {
		t.Errorf("results\n got %s\nwant %s", got, want)
	}
}

func TestPythonFormatting(t *testing.T) {
	r := build(t, `
program = tokens
texts = [str(1e15), str(0.1), str(3.0), str(True), str(None), str((1, "a")), str(["a", 2.5]), repr("it's"),
         str({"k": 1.0}), str(set()), "%s|%r|%d|%s" % (1e16, "x", 7, [1, "b"]), "%s" % 2.0, "100%% %s" % "sure",
         str(), "%(a)s" % {"a": 1}]
`)
	want := []string{"1000000000000000.0", "0.1", "3.0", "True", "None", "(1, 'a')", "['a', 2.5]", "\"it's\"",
		"{'k': 1.0}", "set()", "1e+16|'x'|7|[1, 'b']", "2.0", "100% sure", "", "1"}
	list := r.Globals["texts"].(*starlark.List)
	for i, w := range want {
		if got, _ := starlark.AsString(list.Index(i)); got != w {
			t.Errorf("texts[%d] = %q, Python %q", i, got, w)
		}
	}
}

func TestLabelsReadWhileBuildingUseOneCounter(t *testing.T) {
	// tracr: every label read hands out the next id of one global counter.
	r := build(t, `
a = (tokens == "x").named("a")
b = (rasp.indices + 1).named("b")
la = a.label
lb = b.label
program = SequenceMap(lambda x, y: x, a, b).named("out")
`)
	if la, lb := r.Globals["la"].(starlark.String), r.Globals["lb"].(starlark.String); la != "a_1" || lb != "b_2" {
		t.Errorf("labels read while building: %s %s, want a_1 b_2", la, lb)
	}
	if got := r.Program.Label(); got != "out_3" {
		t.Errorf("program label %s, want out_3", got)
	}
}

// TestPythonOrderingBuiltins: expected values printed by CPython 3.11 for
// the same expressions.
func TestPythonOrderingBuiltins(t *testing.T) {
	r := build(t, `
program = tokens
res = [sorted([True, 0, 2, 0.5]), sorted(["b", "a", "c"], reverse = True), sorted([(1, "b"), (True, "a")]),
       sorted(["bb", "a", "ccc"], key = len), max(1, True), max([True, 2]), min(3, 1.0, 1), max([], default = 7),
       min(["aa", "b"], key = len), max(2.0, 2), sorted([2, 1, 2.0, 1.0], reverse = True)]
`)
	want := `[[0, 0.5, True, 2], ["c", "b", "a"], [(True, "a"), (1, "b")], ["a", "bb", "ccc"], 1, 2, 1.0, 7, "b", 2.0, [2, 2.0, 1, 1.0]]`
	if got := r.Globals["res"].String(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	for _, bad := range []string{"sorted([1, \"a\"])", "max([])", "min(1, \"a\")", "max(1, 2, default = 3)"} {
		if _, err := Load("t.star", []byte("x = "+bad+"\nprogram = tokens\n"), Options{}); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
