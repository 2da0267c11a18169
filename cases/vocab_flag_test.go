package cases

import (
	"strings"
	"testing"

	"github.com/glassbox-interp/glassbox/rasp"
)

func TestParseVocab(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"1,2,3", "[1 2 3]"},
		{"1,2.5", "[1.0 2.5]"},
		{"a, b ,x", "[a b x]"},
		{"1,a", "[1 a]"},
		{"", "[]"},
	}
	for _, tc := range tests {
		got := ParseVocab(tc.in)
		var parts []string
		for _, v := range got {
			parts = append(parts, rasp.Str(v))
		}
		if s := "[" + strings.Join(parts, " ") + "]"; s != tc.want {
			t.Errorf("ParseVocab(%q) = %s, want %s", tc.in, s, tc.want)
		}
	}
	if v := ParseVocab("1,2"); v[0] != 1 {
		t.Errorf("ints must be ints: %#v", v)
	}
	if v := ParseVocab("1,2.5"); v[0] != 1.0 {
		t.Errorf("floats must be floats: %#v", v)
	}
}
