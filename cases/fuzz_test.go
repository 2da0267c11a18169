package cases

import (
	"strings"
	"testing"

	"github.com/glassbox-interp/glassbox/rasp"
)

// FuzzParseRow feeds arbitrary text to the row parser of an integer and a
// letter case: it must return a valid content or an error, never panic.
func FuzzParseRow(f *testing.F) {
	for _, s := range []string{"BOS a x PAD", `["BOS", "x", "c"]`, "1 2 10", `[1, "2", 3.0]`, "", "[", `["BOS", ["a"]]`, "a PAD a"} {
		f.Add(s)
	}
	c3, err := Get(3)
	if err != nil {
		f.Fatal(err)
	}
	c8, err := Get(8)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, line string) {
		for _, c := range []*Case{c3, c8} {
			content, err := c.ParseRow(line)
			if err != nil {
				continue
			}
			if len(content) == 0 || len(content) > c.MaxSeqLen-1 {
				t.Fatalf("%q: content of length %d accepted", line, len(content))
			}
			if _, err := c.Tokenizer().Encode(content); err != nil {
				t.Fatalf("%q: parsed content does not encode: %v", line, err)
			}
		}
	})
}

// FuzzLoadFile loads arbitrary .star source as a user program (small step
// limit through a short program is not available here, so seeds are quick
// programs); it must load or fail with an error, and a loaded program must
// evaluate or fail with an error.
func FuzzLoadFile(f *testing.F) {
	for _, s := range []string{
		"program = tokens\n",
		"load(\"lib/common.star\", \"make_hist\")\nprogram = make_hist()\n",
		"vocab = [1, 2]\nprogram = Map(lambda x: x / (x - 1), tokens)\n",
		"program = Aggregate(Select(indices, indices, LEQ), numerical(tokens == 'a'), default = 0)\n",
		"program = (\n",
		"load(\"../x\", \"y\")\n",
		"max_seq_len = 1\nprogram = tokens\n",
		"vocab = [None]\nprogram = tokens\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		// A small budget keeps loops, recursion and large values fast: one
		// budget covers loading and the evaluation below.
		c, err := LoadFile("fuzz.star", []byte(src), LoadOptions{Vocab: []rasp.Value{"a", "b"}, MaxSeqLen: 4, MaxSteps: 200_000, MaxBytes: 1 << 22})
		if err != nil {
			return
		}
		if _, err := c.Rows([][]rasp.Value{{"a", "b"}, {"b"}}); err != nil {
			return
		}
	})
}

// FuzzTokenizer builds tokenizers from arbitrary word lists: duplicates and
// reserved names are errors; otherwise every token round-trips.
func FuzzTokenizer(f *testing.F) {
	for _, s := range []string{"a b c x", "J LB TPSI V b no", "a a", "BOS x", "1 2 10"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, words string) {
		var vocab []rasp.Value
		for _, w := range strings.Fields(words) {
			vocab = append(vocab, w)
		}
		tok, err := NewTokenizer(vocab)
		if err != nil {
			return
		}
		for id, v := range tok.Tokens() {
			got, err := tok.ID(v)
			if err != nil || got != id {
				t.Fatalf("token %v: id %d, %v; want %d", v, got, err, id)
			}
			p, err := tok.Parse(rasp.Str(v))
			if err != nil || !rasp.Equal(p, v) {
				t.Fatalf("Parse(%q) = %v, %v", rasp.Str(v), p, err)
			}
		}
	})
}
