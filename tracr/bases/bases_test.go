package bases

import (
	"strings"
	"testing"
)

func TestTokenOrder(t *testing.T) {
	tests := []struct {
		name  string
		vocab []Value
		want  string
	}{
		{"letters", []Value{"x", "a", "c", "b"}, "tokens:BOS tokens:PAD tokens:a tokens:b tokens:c tokens:x"},
		{"ints", []Value{10, 2, 0, 1}, "tokens:0 tokens:1 tokens:2 tokens:10 tokens:BOS tokens:PAD"},
		{"words", []Value{"J", "LB", "TPSI", "V", "b", "no", "oCLrZaW", "poiVg"},
			"tokens:BOS tokens:J tokens:LB tokens:PAD tokens:TPSI tokens:V tokens:b tokens:no tokens:oCLrZaW tokens:poiVg"},
		// True and 1 are one value (the first is kept); True vs "BOS" is a
		// TypeError, so the printed forms decide: "tokens:True" > "tokens:PAD".
		{"bools dedup with ints", []Value{true, 1, 0}, "tokens:0 tokens:BOS tokens:PAD tokens:True"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			vals := append(append([]Value(nil), tc.vocab...), "BOS", "PAD")
			got := strings.Join(FromValues("tokens", vals).Labels(), " ")
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestJoinSortsAndMerges(t *testing.T) {
	a := NewSpace(NameDir("one"), Dir("x", 2), Dir("x", 1))
	b := NewSpace(Dir("x", 1.0), NameDir("b"))
	j := Join(a, b)
	if got := strings.Join(j.Labels(), " "); got != "b one x:1 x:2" {
		t.Errorf("join = %s", got)
	}
	if !j.Contains(Dir("x", true)) {
		t.Error("x:True should equal x:1")
	}
	if i, ok := j.Index(Dir("x", 2)); !ok || i != 3 {
		t.Errorf("index of x:2 = %d, %v", i, ok)
	}
}

func TestHiddenTupleOrder(t *testing.T) {
	// Discretising MLP hidden units: (k, 0), (k, 1) by k, then "start".
	s := NewSpace(NameDir("_h_start"), Dir("_h_", Tuple{10, 0}), Dir("_h_", Tuple{2, 1}), Dir("_h_", Tuple{2, 0}))
	if got := strings.Join(s.Labels(), " "); got != "_h_:(2, 0) _h_:(2, 1) _h_:(10, 0) _h_start" {
		t.Errorf("order = %s", got)
	}
}
