package cases

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/glassbox-interp/glassbox/cases/pyrand"
	"github.com/glassbox-interp/glassbox/rasp"
)

func TestCatalogueIDs(t *testing.T) {
	ids := IDs()
	if len(ids) != 129 {
		t.Fatalf("%d cases, want 129", len(ids))
	}
	seen := map[int]bool{}
	for _, id := range ids {
		seen[id] = true
	}
	for id := 1; id <= 131; id++ {
		if want := id != 16 && id != 27; seen[id] != want {
			t.Errorf("case %d present=%v, want %v", id, seen[id], want)
		}
	}
	n := 0
	for id := range interpBench {
		if !seen[id] {
			t.Errorf("InterpBench case %d is not in the catalogue", id)
		}
		n++
	}
	if n != 84 {
		t.Errorf("%d InterpBench cases, want 84", n)
	}
}

// TestAllCasesBuildAndEvaluate checks that every case loads, has its
// metadata, builds fresh expressions each time and evaluates a few rows.
func TestAllCasesBuildAndEvaluate(t *testing.T) {
	all, err := All()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range all {
		if c.MaxSeqLen < 5 || c.MinSeqLen != 4 || len(c.Vocab()) < 3 || c.Tokenizer().Size() != len(c.Vocab())+2 {
			t.Errorf("case %d: metadata max %d min %d vocab %d tokens %d", c.ID, c.MaxSeqLen, c.MinSeqLen, len(c.Vocab()), c.Tokenizer().Size())
		}
		if c.ID != 81 && c.Description == "" {
			t.Errorf("case %d has no description", c.ID)
		}
		if !strings.Contains(c.Source(), "program =") {
			t.Errorf("case %d source does not assign program", c.ID)
		}
		a, err := c.Build()
		if err != nil {
			t.Fatalf("case %d: %v", c.ID, err)
		}
		b, err := c.Build()
		if err != nil {
			t.Fatalf("case %d: %v", c.ID, err)
		}
		if a == b || a.Label() != b.Label() {
			t.Errorf("case %d: builds share expressions or differ in labels (%s, %s)", c.ID, a.Label(), b.Label())
		}
		ds, err := c.Sample(3, 1)
		if err != nil {
			t.Fatalf("case %d: %v", c.ID, err)
		}
		for _, r := range ds.Rows {
			if len(r.Input) != c.MaxSeqLen || len(r.Output) != c.MaxSeqLen || len(r.Tokens) != c.MaxSeqLen {
				t.Errorf("case %d: row lengths %d/%d/%d, want %d", c.ID, len(r.Input), len(r.Tokens), len(r.Output), c.MaxSeqLen)
			}
			if r.Input[0] != BOS || r.Output[0] != BOS {
				t.Errorf("case %d: row does not start with BOS", c.ID)
			}
		}
	}
}

func TestCase3AllData(t *testing.T) {
	c, err := Get(3)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := c.Dataset()
	if err != nil {
		t.Fatal(err)
	}
	if ds.Mode != "all" || len(ds.Rows) != 320 {
		t.Fatalf("mode %s, %d rows; want all, 320", ds.Mode, len(ds.Rows))
	}
	for i, want := range []string{"BOS a a a PAD -> BOS 0.0 0.0 0.0 PAD", "BOS a a b PAD -> BOS 0.0 0.0 0.0 PAD", "BOS a a x PAD -> BOS 0.0 0.0 0.3333333333333333 PAD"} {
		if got := Format(ds.Rows[[]int{0, 1, 3}[i]].Input) + " -> " + Format(ds.Rows[[]int{0, 1, 3}[i]].Output); got != want {
			t.Errorf("row: %s, want %s", got, want)
		}
	}
	if got := Format(ds.Rows[64].Input); got != "BOS a a a a" {
		t.Errorf("row 64 = %s, want the first full-length row", got)
	}
	if got := Format(ds.Rows[0].Content()); got != "a a a" {
		t.Errorf("content %q", got)
	}
	if _, err := c.AllData(100); err == nil {
		t.Error("AllData(100) for 320 rows: want an error")
	}
	if tr, err := c.Trace([]rasp.Value{"x", "a"}); err != nil || len(tr.SOps["is_x_3"]) != 2 {
		t.Errorf("trace: %v %v", tr, err)
	}
}

func TestCase39UsesCorrectOutput(t *testing.T) {
	c, err := Get(39)
	if err != nil {
		t.Fatal(err)
	}
	if !c.OverridesOutput || c.MaxSeqLen != 60 || len(c.Vocab()) != 26 {
		t.Fatalf("case 39: overrides %v max %d vocab %d", c.OverridesOutput, c.MaxSeqLen, len(c.Vocab()))
	}
	e, err := c.NewEvaluator()
	if err != nil {
		t.Fatal(err)
	}
	in := []rasp.Value{"x", "a", "x", "x"}
	a, err := e.CorrectOutput(in)
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.ProgramOutput(in)
	if err != nil {
		t.Fatal(err)
	}
	want := []rasp.Value{1.0, 0.5, 2.0 / 3, 0.75}
	if !sameRow(a, want) || !sameRow(b, want) {
		t.Errorf("correct_output %v, program %v, want %v", a, b, want)
	}
}

func TestTokenizerIDs(t *testing.T) {
	for _, tc := range []struct {
		vocab []rasp.Value
		want  string
	}{
		{[]rasp.Value{"x", "a", "c", "b"}, "BOS PAD a b c x"},
		{[]rasp.Value{10, 2, 0, 1}, "0 1 2 10 BOS PAD"},
		{[]rasp.Value{-1, 0.5, 3}, "-1 0.5 3 BOS PAD"},
		{[]rasp.Value{"J", "LB", "TPSI", "V", "b", "no", "oCLrZaW", "poiVg"}, "BOS J LB PAD TPSI V b no oCLrZaW poiVg"},
	} {
		tok, err := NewTokenizer(tc.vocab)
		if err != nil {
			t.Fatal(err)
		}
		if got := Format(tok.Tokens()); got != tc.want {
			t.Errorf("%v: ids %s, want %s", tc.vocab, got, tc.want)
		}
		row := append([]rasp.Value{BOS}, tc.vocab...)
		ids, err := tok.Encode(append(row, PAD))
		if err != nil {
			t.Fatal(err)
		}
		back, err := tok.Decode(ids)
		if err != nil {
			t.Fatal(err)
		}
		if !sameRow(back, append(row, PAD)) {
			t.Errorf("decode(encode(%v)) = %v", row, back)
		}
	}
	tok, _ := NewTokenizer([]rasp.Value{0, 1, 2})
	if id, err := tok.ID(1.0); err != nil || id != 1 {
		t.Errorf("ID(1.0) = %d, %v; want 1 (1.0 == 1 in Python)", id, err)
	}
	if v, err := tok.Parse("2"); err != nil || v != 2 {
		t.Errorf("Parse(\"2\") = %v, %v", v, err)
	}
	if tok.BOS() != 3 || tok.PAD() != 4 {
		t.Errorf("BOS %d PAD %d, want 3 4", tok.BOS(), tok.PAD())
	}
}

func TestTokenizerErrors(t *testing.T) {
	for _, tc := range []struct {
		vocab []rasp.Value
		want  string
	}{
		{nil, "empty vocabulary"},
		{[]rasp.Value{"a", "b", "a"}, "duplicate"},
		{[]rasp.Value{1, 1.0}, "duplicate"},
		{[]rasp.Value{"a", "BOS"}, "reserved"},
		{[]rasp.Value{"a", nil}, "NoneType"},
	} {
		_, err := NewTokenizer(tc.vocab)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewTokenizer(%v): error %v, want %q", tc.vocab, err, tc.want)
		}
	}
	tok, _ := NewTokenizer([]rasp.Value{"a", "b"})
	if _, err := tok.Encode([]rasp.Value{BOS, "a", "z"}); !errors.Is(err, ErrToken) || !strings.Contains(err.Error(), "position 2") {
		t.Errorf("Encode with z: %v", err)
	}
	if _, err := tok.Decode([]int{0, 9}); err == nil {
		t.Error("Decode(9): want an error")
	}
	if _, err := tok.Parse("zz"); !errors.Is(err, ErrToken) {
		t.Errorf("Parse(zz): %v", err)
	}
}

func TestLoadFile(t *testing.T) {
	src := []byte(`
load("lib/common.star", "make_frac_prevs")
program = make_frac_prevs((tokens == "x").named("is_x"))
`)
	c, err := LoadFile("mine.star", src, LoadOptions{Vocab: []rasp.Value{"a", "x"}, MaxSeqLen: 4})
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != 0 || c.Name() != "mine.star" || c.MaxSeqLen != 4 || c.MinSeqLen != 4 || !c.Causal || c.Categorical {
		t.Errorf("loaded %+v", c)
	}
	ds, err := c.Dataset()
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Rows) != 8 || Format(ds.Rows[7].Output) != "BOS 1.0 1.0 1.0" {
		t.Errorf("%d rows, last %s", len(ds.Rows), Format(ds.Rows[len(ds.Rows)-1].Output))
	}
	// A file that sets its own vocabulary and lengths.
	own := []byte(`vocab = [1, 2, 3]
max_seq_len = 6
min_seq_len = 2
causal = False
program = Map(lambda x: x + 1, tokens)
`)
	c, err = LoadFile("own.star", own, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c.MaxSeqLen != 6 || c.MinSeqLen != 2 || c.Causal || c.TotalDataLen().Int64() != 3+9+27+81+243 {
		t.Errorf("own.star: %+v total %s", c, c.TotalDataLen())
	}
	for _, tc := range []struct {
		src  string
		opts LoadOptions
		want string
	}{
		{"program = tokens\n", LoadOptions{}, "no vocabulary"},
		{"program = tokens\n", LoadOptions{Vocab: []rasp.Value{"a"}, MaxSeqLen: 1}, "max_seq_len 1: must be at least 2"},
		{"vocab = ['a', 'b', 'a']\nprogram = tokens\n", LoadOptions{}, ""}, // duplicates in a .star list merge like a Python set
		{"program = tokens\n", LoadOptions{Vocab: []rasp.Value{"a", "a"}}, "duplicate"},
		{"program = tokens\nmax_seq_len = 5\nmin_seq_len = 6\nvocab = ['a']\n", LoadOptions{}, "larger than max_seq_len"},
		{`load("case_3.star", "program")` + "\n", LoadOptions{Vocab: []rasp.Value{"a"}}, "only the catalogue library"},
		{"program = tokens(\n", LoadOptions{Vocab: []rasp.Value{"a"}}, "bad.star:2:1"},
		{"program = tokens\ndef correct_output(x): return x\ncorrect_output = 3\n", LoadOptions{Vocab: []rasp.Value{"a"}}, "correct_output must be a function"},
	} {
		_, err := LoadFile("bad.star", []byte(tc.src), tc.opts)
		if tc.want == "" {
			if err != nil {
				t.Errorf("%q: %v", tc.src, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.src, err, tc.want)
		}
	}
}

func TestParseRow(t *testing.T) {
	c, err := Get(8) // integer vocabulary 0..10
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ in, want string }{
		{"BOS 1 2 10 PAD PAD", "1 2 10"},
		{"3 4", "3 4"},
		{`[1, "2", 3]`, "1 2 3"},
		{`["BOS", 0, "PAD"]`, "0"},
	} {
		got, err := c.ParseRow(tc.in)
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if Format(got) != tc.want || rasp.TypeName(got[0]) != "int" {
			t.Errorf("%q -> %s (%T), want %s", tc.in, Format(got), got[0], tc.want)
		}
	}
	for _, in := range []string{"", "BOS", "1 11", "[1, 2", `[1] x`, "1 BOS 2", "1 2 3 4 5 6 7 8 9 10", `[[1]]`} {
		if _, err := c.ParseRow(in); err == nil {
			t.Errorf("%q: want an error", in)
		}
	}
}

func TestDataGeneration(t *testing.T) {
	vals := []rasp.Value{"a", "b"}
	rows, err := AllContents(vals, 2, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, Format(r))
	}
	if want := "a|b|a a|a b|b a|b b"; strings.Join(got, "|") != want {
		t.Errorf("gen_all_data order %s, want %s", strings.Join(got, "|"), want)
	}
	if n := TotalDataLen(4, 4, 5); n.Int64() != 320 {
		t.Errorf("TotalDataLen(4, 4, 5) = %s, want 320", n)
	}
	if n := TotalDataLen(26, 4, 60); n.BitLen() < 270 {
		t.Errorf("case 39 total %s looks too small", n)
	}
	for _, lens := range [][2]int{{4, 1}, {1, 5}, {6, 5}} {
		if _, err := AllContents(vals, lens[0], lens[1], 0); err == nil {
			t.Errorf("AllContents lengths %v: want an error", lens)
		}
		if _, err := SampleContents(vals, lens[0], lens[1], 1, 1); err == nil {
			t.Errorf("SampleContents lengths %v: want an error", lens)
		}
	}
	if _, err := AllContents(nil, 2, 3, 0); err == nil {
		t.Error("empty vocab: want an error")
	}
	a, _ := SampleContents(vals, 2, 9, 50, 42)
	b, _ := SampleContents(vals, 2, 9, 50, 42)
	c, _ := SampleContents(vals, 2, 9, 50, 43)
	if Format(a[7]) != Format(b[7]) || len(a) != 50 {
		t.Error("sampling with one seed is not reproducible")
	}
	same := true
	for i := range a {
		same = same && Format(a[i]) == Format(c[i])
	}
	if same {
		t.Error("seeds 42 and 43 drew the same rows")
	}
	if got := Format(PadRow([]rasp.Value{"a"}, 4)); got != "BOS a PAD PAD" {
		t.Errorf("PadRow = %s", got)
	}
}

// TestWordsVocab checks the hard-coded word lists of lib/vocabs.star
// against get_words_vocab regenerated with the CPython generator port.
func TestWordsVocab(t *testing.T) {
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	gen := func(seed int64, minChars, maxChars, minWords, maxWords int64) []rasp.Value {
		r := pyrand.New(seed)
		n, _ := r.RandInt(minWords, maxWords)
		set := rasp.NewValueSet()
		for i := int64(0); i < n; i++ {
			l, _ := r.RandInt(minChars, maxChars)
			var sb strings.Builder
			for j := int64(0); j < l; j++ {
				k, _ := r.Choice(len(letters))
				sb.WriteByte(letters[k])
			}
			set.Add(sb.String())
		}
		vs, _ := set.Sorted()
		return vs
	}
	for _, tc := range []struct {
		id   int
		args [5]int64
		add  int
	}{
		{11, [5]int64{42, 1, 8, 5, 20}, 0},
		{28, [5]int64{42, 4, 8, 5, 50}, 0},
		{32, [5]int64{42, 4, 8, 5, 10}, 0},
		{10, [5]int64{42, 1, 8, 5, 20}, 2},
	} {
		c, err := Get(tc.id)
		if err != nil {
			t.Fatal(err)
		}
		want := gen(tc.args[0], tc.args[1], tc.args[2], tc.args[3], tc.args[4])
		got := c.Vocab()
		if len(got) != len(want)+tc.add {
			t.Fatalf("case %d: %d words, want %d", tc.id, len(got), len(want)+tc.add)
		}
		set := rasp.NewValueSet(got...)
		for _, w := range want {
			if !set.Has(w) {
				t.Errorf("case %d: vocabulary lacks %q", tc.id, w)
			}
		}
	}
}

func TestJSONFormat(t *testing.T) {
	for _, tc := range []struct {
		v    rasp.Value
		want string
	}{
		{nil, "null"}, {true, "true"}, {3, "3"}, {3.0, "3.0"}, {1.0 / 3, "0.3333333333333333"},
		{1e-05, "1e-05"}, {"é\"", `"é\""`}, {rasp.Tuple{"a", 1}, `["a", 1]`},
	} {
		b, err := AppendJSON(nil, tc.v)
		if err != nil || string(b) != tc.want {
			t.Errorf("AppendJSON(%#v) = %s, %v; want %s", tc.v, b, err, tc.want)
		}
	}
	if _, err := AppendJSON(nil, []int{1}); err == nil {
		t.Error("AppendJSON([]int): want an error")
	}
	r := Row{Input: []rasp.Value{BOS, "a"}, Tokens: []int{0, 2}, Output: []rasp.Value{BOS, nil}}
	b, err := json.Marshal(r)
	if err != nil || string(b) != `{"input":["BOS","a"],"tokens":[0,2],"output":["BOS",null]}` {
		t.Errorf("json.Marshal(row) = %s, %v", b, err)
	}
}

func TestLibrary(t *testing.T) {
	if _, err := LibrarySource("common.star"); err != nil {
		t.Error(err)
	}
	if _, err := LibrarySource("../case_3.star"); err == nil {
		t.Error("LibrarySource outside lib: want an error")
	}
	if _, err := Library().Open("case_3.star"); err == nil {
		t.Error("Library().Open(case_3.star): want an error")
	}
	if _, err := os.Stat("programs/lib/vocabs.star"); err != nil {
		t.Error(err)
	}
}
