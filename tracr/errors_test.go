package tracr

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/glassbox-interp/glassbox/rasp"
)

func goFunc(name string, f func(a ...rasp.Value) (rasp.Value, error)) rasp.Func {
	return rasp.GoFunc{Name: name, Fn: f}
}

func TestUnsupportedProgramsGiveErrors(t *testing.T) {
	plusOne := goFunc("lambda x: x + 1", func(a ...rasp.Value) (rasp.Value, error) { return rasp.Apply(rasp.OpAdd, a[0], 1) })
	tests := []struct {
		name    string
		build   func() rasp.SOp
		vocab   []rasp.Value
		wantSub []string
	}{
		{
			name: "numerical aggregate of non-binary values",
			build: func() rasp.SOp {
				x := rasp.Named(rasp.AsNumerical(rasp.NewMap(plusOne, rasp.Tokens)), "plus_one")
				sel := rasp.NewSelect(rasp.Indices, rasp.Indices, rasp.LEQ)
				return rasp.Named(rasp.AsNumerical(rasp.NewAggregate(sel, x, 0)), "mean")
			},
			vocab:   []rasp.Value{1, 2, 3},
			wantSub: []string{"mean_1", "binary"},
		},
		{
			name: "map raising on a value of its input set",
			build: func() rasp.SOp {
				bad := goFunc("lambda x: x.upper()", func(a ...rasp.Value) (rasp.Value, error) {
					return nil, fmt.Errorf("%w: 'int' object has no attribute 'upper'", rasp.ErrType)
				})
				return rasp.Named(rasp.NewMap(bad, rasp.Tokens), "upper")
			},
			vocab:   []rasp.Value{1, 2},
			wantSub: []string{"upper_1", "value 1"},
		},
		{
			name: "categorical aggregate with a default",
			build: func() rasp.SOp {
				sel := rasp.NewSelect(rasp.Indices, rasp.Indices, rasp.EQ)
				return rasp.Named(rasp.NewAggregate(sel, rasp.Tokens, "z"), "agg")
			},
			vocab:   []rasp.Value{"a", "b"},
			wantSub: []string{"agg", "None as default"},
		},
		{
			name: "numerical sequence map",
			build: func() rasp.SOp {
				add := goFunc("lambda x, y: x + y", func(a ...rasp.Value) (rasp.Value, error) { return rasp.Apply(rasp.OpAdd, a[0], a[1]) })
				return rasp.Named(rasp.AsNumerical(rasp.NewSequenceMap(add, rasp.Tokens, rasp.Indices)), "sum")
			},
			vocab:   []rasp.Value{1, 2},
			wantSub: []string{"sum", "SequenceMap only supports categorical"},
		},
		{
			name:    "program without operations",
			build:   func() rasp.SOp { return rasp.Tokens },
			vocab:   []rasp.Value{1, 2},
			wantSub: []string{"no operation"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile(tc.build(), tc.vocab, 5, Options{})
			if err == nil {
				t.Fatal("want an error")
			}
			var te *Error
			if !errors.As(err, &te) {
				t.Errorf("error %v is not a *tracr.Error", err)
			}
			for _, s := range tc.wantSub {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
		})
	}
}

func TestCompileRejectsBadArguments(t *testing.T) {
	if _, err := Compile(case3Program(), []rasp.Value{"a", "BOS"}, 4, Options{}); err == nil || !strings.Contains(err.Error(), "BOS") {
		t.Errorf("BOS in vocab: %v", err)
	}
	if _, err := Compile(case3Program(), []rasp.Value{"a"}, 0, Options{}); err == nil {
		t.Error("max_seq_len 0 accepted")
	}
	if _, err := Compile(nil, []rasp.Value{"a"}, 3, Options{}); err == nil {
		t.Error("nil program accepted")
	}
}

// TestDivisionByZeroIsIgnoredInValueSets: tracr drops inputs whose Map
// raises an ArithmeticError while inferring value sets.
func TestDivisionByZeroIsIgnoredInValueSets(t *testing.T) {
	inv := goFunc("lambda x: 1 / x", func(a ...rasp.Value) (rasp.Value, error) { return rasp.Apply(rasp.OpTrueDiv, 1, a[0]) })
	ident := rasp.AsNumerical(rasp.NewMap(goFunc("lambda x: x", func(a ...rasp.Value) (rasp.Value, error) { return a[0], nil }), rasp.Indices))
	prog := rasp.Named(rasp.AsNumerical(rasp.NewMapSimplify(inv, ident, false)), "inv")
	c, err := Compile(prog, []rasp.Value{"a"}, 3, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Categorical {
		t.Fatal("numerical output expected")
	}
}

func TestStaticValidationNamesLabels(t *testing.T) {
	sel := rasp.NewSelect(rasp.AsNumerical(rasp.Tokens), rasp.Indices, rasp.EQ)
	prog := rasp.Named(rasp.NewAggregate(sel, rasp.Tokens, nil), "moved")
	_, err := Compile(prog, []rasp.Value{"a"}, 3, Options{})
	if err == nil || !errors.Is(err, ErrUnsupported) {
		t.Fatalf("want ErrUnsupported, got %v", err)
	}
	for _, s := range []string{"select_2: Select keys must be categorical", "tokens should always be categorical"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q lacks %q", err, s)
		}
	}
}
