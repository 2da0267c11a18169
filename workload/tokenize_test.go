package workload

import (
	"strings"
	"testing"
)

func TestTokenize(t *testing.T) {
	cd, err := CatalogueCase(3)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in      string
		n       int
		wantErr string
	}{
		{"a x b x", 5, ""},
		{"BOS a x b x", 5, ""},
		{"a,x,b", 4, ""},
		{"", 0, "no tokens"},
		{"a q", 0, `"q" is not in the vocabulary`},
		{strings.Repeat("a ", 40), 0, "at most"},
	}
	for _, tc := range tests {
		ids, toks, err := cd.Tokenize(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Tokenize(%q): err %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || len(ids) != tc.n || len(toks) != tc.n || toks[0] != "BOS" {
			t.Errorf("Tokenize(%q) = %v %v %v", tc.in, ids, toks, err)
		}
	}
}
