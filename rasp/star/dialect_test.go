package star

import (
	"reflect"
	"strings"
	"testing"

	"github.com/glassbox-interp/glassbox/rasp"
)

func TestSelectorSimplifyKeyword(t *testing.T) {
	r := build(t, `
a = Select(tokens, tokens, EQ)
b = Select(tokens, tokens, LT)
and_s = rasp.selector_and(a, b)
and_plain = rasp.selector_and(a, b, simplify=False)
or_plain = rasp.selector_or(a, b, simplify = False)
or_s = selector_or(a, b, simplify=True)
not_s = rasp.selector_not(a, simplify=True)
not_plain = rasp.selector_not(a, simplify=False)
program = tokens
`)
	tests := []struct {
		name string
		want any
	}{
		{"and_s", &rasp.Select{}},
		{"and_plain", &rasp.SelectorAnd{}},
		{"or_s", &rasp.Select{}},
		{"or_plain", &rasp.SelectorOr{}},
		{"not_s", &rasp.Select{}},
		{"not_plain", &rasp.SelectorNot{}},
	}
	for _, tc := range tests {
		got := r.Globals[tc.name].(*SelectorValue).Sel
		if reflect.TypeOf(got) != reflect.TypeOf(tc.want) {
			t.Errorf("%s is %T, want %T", tc.name, got, tc.want)
		}
	}
	if _, err := Load("t.star", []byte("program = tokens\nx = selector_not(Select(tokens, tokens, EQ), simplify=1)\n"), Options{}); err == nil || !strings.Contains(err.Error(), "simplify") {
		t.Errorf("simplify=1: %v", err)
	}
}

func TestComparisonIsIterable(t *testing.T) {
	r := build(t, `
names = [c.name for c in rasp.Comparison]
n = len(Comparison)
first = rasp.Comparison[0]
lt = rasp.Comparison.LT
has = rasp.Comparison.GEQ in list(rasp.Comparison)
program = tokens
`)
	names, _, err := r.Values("names")
	if err != nil {
		t.Fatal(err)
	}
	want := []rasp.Value{"EQ", "LT", "LEQ", "GT", "GEQ", "NEQ", "TRUE", "FALSE"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("names %v", names)
	}
	for name, want := range map[string]rasp.Value{"n": 8, "has": true} {
		if v, _, err := r.Value(name); err != nil || !rasp.Equal(v, want) {
			t.Errorf("%s = %v (%v), want %v", name, v, err, want)
		}
	}
	if r.Globals["first"].String() != "Comparison.EQ" || r.Globals["lt"].String() != "Comparison.LT" {
		t.Errorf("first %v, lt %v", r.Globals["first"], r.Globals["lt"])
	}
}

func TestUnsupportedPythonSyntaxNamesTheWorkaround(t *testing.T) {
	tests := []struct {
		src  string
		want []string
	}{
		{"a, *b = [1, 2, 3]\nprogram = tokens\n", []string{"t.star:1:4", "no starred", "xs[1:]"}},
		{"x = [1]\ny = (*x, 2)\nprogram = tokens\n", []string{"t.star:2:6", "no starred", "tuple(xs) + (y,)"}},
		{"def f(x):\n    assert x > 0, \"positive\"\n    return x\nprogram = tokens\n", []string{"t.star:2:", "no assert statement", "fail("}},
	}
	for _, tc := range tests {
		_, err := Load("t.star", []byte(tc.src), Options{})
		if err == nil {
			t.Fatalf("%q loaded", tc.src)
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q: error %q lacks %q", tc.src, err, w)
			}
		}
	}
}
