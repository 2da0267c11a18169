package tracr

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/glassbox-interp/glassbox/rasp"
)

func TestOversizedModelsAreRefusedBeforeAllocating(t *testing.T) {
	ident := goFunc("lambda x: x", func(a ...rasp.Value) (rasp.Value, error) { return a[0], nil })
	bigVocab := make([]rasp.Value, 100_000)
	for i := range bigVocab {
		bigVocab[i] = i
	}
	var pairCalls atomic.Int64
	pair := goFunc("lambda x, y: x", func(a ...rasp.Value) (rasp.Value, error) {
		pairCalls.Add(1)
		return a[0], nil
	})
	// Two SequenceMaps of 50 tokens have 2500 values each: combining
	// them needs 2500 × 2500 calls, far more than the embeddings' size.
	code := goFunc("lambda x, y: 100 * x + y", func(a ...rasp.Value) (rasp.Value, error) {
		return a[0].(int)*100 + a[1].(int), nil
	})
	wideVocab := make([]rasp.Value, 50)
	for i := range wideVocab {
		wideVocab[i] = i
	}
	tests := []struct {
		name      string
		build     func() rasp.SOp
		vocab     []rasp.Value
		maxSeqLen int
		opts      Options
		want      []string
	}{
		{"max_seq_len 1000000", func() rasp.SOp { return rasp.NewMap(ident, rasp.Indices) }, []rasp.Value{"a", "b"}, 1_000_000, Options{},
			[]string{"n_ctx 1000001", "max_seq_len", "parameters", "--max-params"}},
		{"100k-token vocabulary", func() rasp.SOp { return rasp.NewMap(ident, rasp.Tokens) }, bigVocab, 10, Options{},
			[]string{"vocabulary of 100002 tokens", "parameters", "--max-params"}},
		{"wide sequence map", func() rasp.SOp {
			a := rasp.NewSequenceMap(code, rasp.Tokens, rasp.Tokens)
			b := rasp.NewSequenceMap(code, rasp.Tokens, rasp.Tokens)
			return rasp.NewSequenceMap(pair, a, b)
		}, wideVocab, 4, Options{MaxParams: 1_000_000},
			[]string{"SequenceMap", "2500 × 2500", "1000000"}},
		{"wide MLP", func() rasp.SOp {
			return rasp.NewMap(ident, rasp.NewSequenceMap(code, rasp.Tokens, rasp.Tokens))
		}, wideVocab, 4, Options{MaxParams: 5_000_000},
			[]string{"hidden units", "2500", "the limit is 5000000"}},
		{"small limit", func() rasp.SOp { return rasp.NewMap(ident, rasp.Tokens) }, []rasp.Value{"a", "b", "c"}, 5, Options{MaxParams: 200},
			[]string{"d_model", "parameters", "the limit is 200"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile(tc.build(), tc.vocab, tc.maxSeqLen, tc.opts)
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("error %v is not ErrTooLarge", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	if n := pairCalls.Load(); n > 0 {
		t.Errorf("the oversized SequenceMap was called %d times before the refusal", n)
	}
	// The default limit compiles an ordinary program.
	if _, err := Compile(rasp.NewMap(ident, rasp.Tokens), []rasp.Value{"a", "b"}, 10, Options{}); err != nil {
		t.Fatal(err)
	}
}
