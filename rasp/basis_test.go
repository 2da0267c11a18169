package rasp

import (
	"bytes"
	"encoding/json"
	"math/rand"
	"os"
	"sort"
	"testing"
)

// referenceCase is one entry of testdata/reference_labels.json (extracted
// from the tracr reference data by testdata/extract_reference.py).
type referenceCase struct {
	Case              int            `json:"case"`
	ProgramGraphNodes []string       `json:"program_graph_nodes"`
	OutputLabel       string         `json:"output_label"`
	Categorical       bool           `json:"categorical"`
	Vocab             []any          `json:"vocab"`
	TokenEncoding     map[string]int `json:"token_encoding"`
	OutputValues      []any          `json:"output_values"`
}

func loadReferenceCases(t *testing.T) []referenceCase {
	t.Helper()
	b, err := os.ReadFile("testdata/reference_labels.json")
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var cs []referenceCase
	if err := dec.Decode(&cs); err != nil {
		t.Fatal(err)
	}
	if len(cs) < 90 {
		t.Fatalf("only %d reference cases", len(cs))
	}
	return cs
}

// jsonValue converts a JSON-decoded value (UseNumber) to a RASP value,
// keeping Python's int/float distinction ("3" vs "3.0").
func jsonValue(t *testing.T, v any) Value {
	t.Helper()
	switch x := v.(type) {
	case nil, bool, string:
		return x
	case json.Number:
		if i, err := x.Int64(); err == nil && !bytes.ContainsAny([]byte(x), ".eE") {
			return int(i)
		}
		f, err := x.Float64()
		if err != nil {
			t.Fatalf("bad number %s", x)
		}
		return f
	case []any:
		out := Tuple{}
		for _, e := range x {
			out = append(out, jsonValue(t, e))
		}
		return out
	}
	t.Fatalf("unexpected JSON value %#v", v)
	return nil
}

func sortBasis(name string, vs []Value) {
	sort.SliceStable(vs, func(i, j int) bool { return BasisLess(name, vs[i], name, vs[j]) })
}

// TestTokenIDsMatchReference checks tracr's token id rule (position in the
// sorted tokens basis, BOS and PAD included) on every reference case.
func TestTokenIDsMatchReference(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, c := range loadReferenceCases(t) {
		vals := []Value{"BOS", "PAD"}
		for _, v := range c.Vocab {
			vals = append(vals, jsonValue(t, v))
		}
		rng.Shuffle(len(vals), func(i, j int) { vals[i], vals[j] = vals[j], vals[i] })
		sortBasis("tokens", vals)
		if len(vals) != len(c.TokenEncoding) {
			t.Errorf("case %d: %d tokens, reference %d", c.Case, len(vals), len(c.TokenEncoding))
			continue
		}
		for id, v := range vals {
			if want, ok := c.TokenEncoding[Str(v)]; !ok || want != id {
				t.Errorf("case %d: token %s gets id %d, reference %d", c.Case, Repr(v), id, want)
			}
		}
	}
}

// TestOutputOrderMatchesReference checks that sorting the output space of
// every categorical reference case reproduces tracr's output ids.
func TestOutputOrderMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	n := 0
	for _, c := range loadReferenceCases(t) {
		if !c.Categorical {
			continue
		}
		var want []Value
		for _, v := range c.OutputValues {
			want = append(want, jsonValue(t, v))
		}
		got := append([]Value(nil), want...)
		rng.Shuffle(len(got), func(i, j int) { got[i], got[j] = got[j], got[i] })
		sortBasis(c.OutputLabel, got)
		for i := range want {
			if !sameValue(got[i], want[i]) {
				t.Errorf("case %d: output order %v, reference %v", c.Case, got, want)
				break
			}
		}
		n++
	}
	if n < 80 {
		t.Fatalf("only %d categorical cases checked", n)
	}
}

func TestBasisString(t *testing.T) {
	tests := []struct {
		name string
		v    Value
		want string
	}{
		{"tokens", "a", "tokens:a"},
		{"is_x_3", true, "is_x_3:True"},
		{"frac_prevs_1", nil, "frac_prevs_1"},
		{"indices", 0, "indices:0"},
		{"x", 0.5, "x:0.5"},
		{"x", 3.0, "x:3.0"},
		{"t", Tuple{"a", 1}, "t:('a', 1)"},
	}
	for _, tc := range tests {
		if got := BasisString(tc.name, tc.v); got != tc.want {
			t.Errorf("BasisString(%q, %#v) = %q, want %q", tc.name, tc.v, got, tc.want)
		}
	}
}
