package cases

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"testing"

	"github.com/glassbox-interp/glassbox/rasp"
)

// refCase is one file of testdata/reference (see scripts/extract_cases_testdata.py).
type refCase struct {
	Case              int            `json:"case"`
	ProgramSummary    string         `json:"program_summary"`
	Vocab             []any          `json:"vocab"`
	MinSeqLen         int            `json:"min_seq_len"`
	MaxSeqLen         int            `json:"max_seq_len"`
	Causal            bool           `json:"causal"`
	Categorical       bool           `json:"categorical"`
	Trivial           bool           `json:"trivial"`
	TokenEncoding     map[string]int `json:"token_encoding"`
	ProgramGraphNodes []string       `json:"program_graph_nodes"`
	OutputLabel       string         `json:"output_label"`
	DataMode          string         `json:"data_mode"`
	DataTotalPossible json.Number    `json:"data_total_possible"`
	DataSeed          *int64         `json:"data_seed"`
	RowsTotal         int            `json:"rows_total"`
	Rows              [][2][]any     `json:"rows"`
}

func loadRef(t testing.TB, path string) *refCase {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var rc refCase
	if err := dec.Decode(&rc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &rc
}

func refValues(t testing.TB, what string, xs []any) []rasp.Value {
	t.Helper()
	out := make([]rasp.Value, len(xs))
	for i, x := range xs {
		v, err := ParseJSONValue(x)
		if err != nil {
			t.Fatalf("%s[%d]: %v", what, i, err)
		}
		out[i] = v
	}
	return out
}

func refFiles(t testing.TB, dir string, want int) map[int]string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "case_*.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`case_(\d+)\.json\.gz$`)
	out := map[int]string{}
	for _, p := range paths {
		id, _ := strconv.Atoi(re.FindStringSubmatch(p)[1])
		out[id] = p
	}
	if len(out) != want {
		t.Fatalf("%s has %d cases, want %d", dir, len(out), want)
	}
	return out
}

// sameValue compares a computed value with a reference one: same Python
// type, equal values, floats within 1e-9 (relative for large magnitudes).
func sameValue(got, want rasp.Value) bool {
	if rasp.TypeName(got) != rasp.TypeName(want) {
		return false
	}
	if g, ok := got.(float64); ok {
		w := want.(float64)
		if math.IsInf(w, 0) || math.IsNaN(w) {
			return g == w || (math.IsNaN(g) && math.IsNaN(w))
		}
		return math.Abs(g-w) <= 1e-9*math.Max(1, math.Abs(w))
	}
	if g, ok := got.(rasp.Tuple); ok {
		w := want.(rasp.Tuple)
		if len(g) != len(w) {
			return false
		}
		for i := range g {
			if !sameValue(g[i], w[i]) {
				return false
			}
		}
		return true
	}
	return rasp.Equal(got, want)
}

func sameRow(got, want []rasp.Value) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if !sameValue(got[i], want[i]) {
			return false
		}
	}
	return true
}

// TestReferenceCases checks the 96 cases of the shared reference data
// against the upstream Python output: metadata, vocabulary, token ids,
// program graph labels, and every data row (inputs in order and the RASP
// output).
func TestReferenceCases(t *testing.T) {
	testAgainst(t, refFiles(t, "testdata/reference", 96))
}

// TestHeldOutCases checks the 33 held-out cases the same way, against the
// output of the original Python programs run with tracr's evaluator
// (scripts/heldout_cases_fixture.py).
func TestHeldOutCases(t *testing.T) {
	testAgainst(t, refFiles(t, "testdata/heldout", 33))
}

func testAgainst(t *testing.T, files map[int]string) {
	ids := make([]int, 0, len(files))
	for id := range files {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	for _, id := range ids {
		path := files[id]
		t.Run(fmt.Sprintf("case_%d", id), func(t *testing.T) {
			t.Parallel()
			ref := loadRef(t, path)
			c, err := Get(id)
			if err != nil {
				t.Fatal(err)
			}
			checkMeta(t, c, ref)
			checkTokens(t, c, ref)
			checkGraph(t, c, ref)
			checkRows(t, c, ref)
		})
	}
}

func checkMeta(t *testing.T, c *Case, ref *refCase) {
	t.Helper()
	if c.Description != ref.ProgramSummary {
		t.Errorf("description %q, want %q", c.Description, ref.ProgramSummary)
	}
	if c.MinSeqLen != ref.MinSeqLen || c.MaxSeqLen != ref.MaxSeqLen {
		t.Errorf("seq len [%d, %d], want [%d, %d]", c.MinSeqLen, c.MaxSeqLen, ref.MinSeqLen, ref.MaxSeqLen)
	}
	if c.Causal != ref.Causal {
		t.Errorf("causal %v, want %v", c.Causal, ref.Causal)
	}
	if c.Trivial != ref.Trivial {
		t.Errorf("trivial %v, want %v", c.Trivial, ref.Trivial)
	}
	if c.Categorical != ref.Categorical {
		t.Errorf("categorical %v, want %v", c.Categorical, ref.Categorical)
	}
	want := refValues(t, "vocab", ref.Vocab)
	if got := c.Vocab(); !sameRow(got, want) {
		t.Errorf("vocab %s, want %s", Format(got), Format(want))
	}
	if got := c.TotalDataLen(); got.String() != ref.DataTotalPossible.String() {
		t.Errorf("total data len %s, want %s", got, ref.DataTotalPossible)
	}
}

func checkTokens(t *testing.T, c *Case, ref *refCase) {
	t.Helper()
	tok := c.Tokenizer()
	if tok.Size() != len(ref.TokenEncoding) {
		t.Errorf("tokenizer has %d tokens, want %d", tok.Size(), len(ref.TokenEncoding))
	}
	for id, v := range tok.Tokens() {
		want, ok := ref.TokenEncoding[rasp.Str(v)]
		if !ok {
			t.Errorf("token %s not in reference encoding", rasp.Repr(v))
			continue
		}
		if id != want {
			t.Errorf("token %s has id %d, want %d", rasp.Repr(v), id, want)
		}
	}
}

func checkGraph(t *testing.T, c *Case, ref *refCase) {
	t.Helper()
	sop, err := c.Build()
	if err != nil {
		t.Fatal(err)
	}
	g := rasp.ExtractGraph(sop)
	var labels []string
	for _, n := range g.Nodes {
		labels = append(labels, n.Label())
	}
	sort.Strings(labels)
	if fmt.Sprint(labels) != fmt.Sprint(ref.ProgramGraphNodes) {
		t.Errorf("graph nodes\n got %v\nwant %v", labels, ref.ProgramGraphNodes)
	}
	if sop.Label() != ref.OutputLabel {
		t.Errorf("output label %s, want %s", sop.Label(), ref.OutputLabel)
	}
}

func checkRows(t *testing.T, c *Case, ref *refCase) {
	t.Helper()
	ds, err := c.Dataset()
	if err != nil {
		t.Fatal(err)
	}
	if ds.Mode != ref.DataMode {
		t.Errorf("data mode %s, want %s", ds.Mode, ref.DataMode)
	}
	if len(ds.Rows) != ref.RowsTotal {
		t.Fatalf("%d rows, want %d", len(ds.Rows), ref.RowsTotal)
	}
	bad := 0
	for i, rr := range ref.Rows {
		in := refValues(t, "input", rr[0])
		out := refValues(t, "rasp_output", rr[1])
		got := ds.Rows[i]
		if !sameRow(got.Input, in) {
			t.Errorf("row %d input %s, want %s", i, Format(got.Input), Format(in))
			bad++
		} else if !sameRow(got.Output, out) {
			t.Errorf("row %d (%s): output %s, want %s", i, Format(in), Format(got.Output), Format(out))
			bad++
		}
		if bad >= 5 {
			t.Fatalf("stopping after %d bad rows", bad)
		}
	}
}
