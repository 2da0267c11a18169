package tracr

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/glassbox-interp/glassbox/formats/safetensors"
	"github.com/glassbox-interp/glassbox/rasp"
	"github.com/glassbox-interp/glassbox/tensor"
)

// refCase is the compact reference record written by
// scripts/extract_tracr_testdata.py.
type refCase struct {
	Case           int                 `json:"case"`
	Vocab          []any               `json:"vocab"`
	MaxSeqLen      int                 `json:"max_seq_len"`
	Causal         bool                `json:"causal"`
	Categorical    bool                `json:"categorical"`
	TokenEncoding  map[string]int      `json:"token_encoding"`
	OutputEncoding map[string]int      `json:"output_encoding"`
	OutputValues   []any               `json:"output_values"`
	ResidualLabels []string            `json:"residual_labels"`
	Config         map[string]int      `json:"config"`
	GraphNodes     []string            `json:"program_graph_nodes"`
	OutputLabel    string              `json:"output_label"`
	Blocks         []json.RawMessage   `json:"blocks"`
	Alignment      map[string][]string `json:"alignment_acdc_hooks"`
	Edges          [][2]string         `json:"acdc_hooks_circuit_edges"`
	Stats          map[string]int      `json:"stats"`
	Data           []refRow            `json:"data"`
	Weights        bool                `json:"weights"`
}

type refRow struct {
	Input       []any `json:"input"`
	RaspOutput  []any `json:"rasp_output"`
	ModelOutput []any `json:"model_output"`
	NearTie     []int `json:"near_tie"`
}

var (
	refOnce  sync.Once
	refCases map[int]*refCase
	refErr   error
)

func loadReference(t testing.TB) map[int]*refCase {
	t.Helper()
	refOnce.Do(func() {
		b, err := readGz(filepath.Join("testdata", "reference", "cases.json.gz"))
		if err != nil {
			refErr = err
			return
		}
		var list []*refCase
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		if err := d.Decode(&list); err != nil {
			refErr = err
			return
		}
		refCases = map[int]*refCase{}
		for _, c := range list {
			refCases[c.Case] = c
		}
	})
	if refErr != nil {
		t.Fatalf("load reference: %v", refErr)
	}
	return refCases
}

func readGz(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return io.ReadAll(z)
}

func loadRefWeights(t testing.TB, id int) map[string]*tensor.Tensor {
	t.Helper()
	path := filepath.Join("testdata", "reference", "weights", fmt.Sprintf("case_%d.safetensors.gz", id))
	b, err := readGz(path)
	if err != nil {
		t.Fatalf("read weights: %v", err)
	}
	f, err := safetensors.Parse(b, path)
	if err != nil {
		t.Fatalf("parse weights: %v", err)
	}
	out := map[string]*tensor.Tensor{}
	for _, n := range f.Names() {
		tt, err := f.Tensor(n)
		if err != nil {
			t.Fatalf("tensor %s: %v", n, err)
		}
		out[n] = tt
	}
	return out
}

// checkAgainstReference compares a compiled program with a reference case.
func checkAgainstReference(t *testing.T, c *Compiled, ref *refCase) {
	t.Helper()
	if !equalStrings(c.ResidualLabels, ref.ResidualLabels) {
		t.Errorf("residual labels:\n got %v\nwant %v", c.ResidualLabels, ref.ResidualLabels)
	}
	cfg := map[string]int{
		"n_layers": c.Config.NLayers, "n_heads": c.Config.NHeads, "d_head": c.Config.DHead, "d_mlp": c.Config.DMLP,
		"d_model": c.Config.DModel, "n_ctx": c.Config.NCtx, "d_vocab": c.Config.DVocab, "d_vocab_out": c.Config.DVocabOut,
	}
	for k, want := range ref.Config {
		if cfg[k] != want {
			t.Errorf("config %s = %d, want %d", k, cfg[k], want)
		}
	}
	if c.OutputLabel != ref.OutputLabel {
		t.Errorf("output label %q, want %q", c.OutputLabel, ref.OutputLabel)
	}
	var nodes []string
	for _, n := range c.Graph.Nodes {
		nodes = append(nodes, n.Label())
	}
	sort.Strings(nodes)
	if !equalStrings(nodes, ref.GraphNodes) {
		t.Errorf("graph nodes %v, want %v", nodes, ref.GraphNodes)
	}
	for v, id := range ref.TokenEncoding {
		if id >= len(c.Tokens) || rasp.Str(c.Tokens[id]) != v {
			t.Errorf("token %q: want id %d, tokens are %v", v, id, c.Tokens)
		}
	}
	if ref.Categorical != c.Categorical {
		t.Fatalf("categorical %v, want %v", c.Categorical, ref.Categorical)
	}
	if c.Categorical {
		same := len(c.OutputValues) == len(ref.OutputValues)
		for i := 0; same && i < len(c.OutputValues); i++ {
			w := jsonValue(ref.OutputValues[i])
			same = rasp.Equal(c.OutputValues[i], w) && rasp.TypeName(c.OutputValues[i]) == rasp.TypeName(w)
		}
		if !same {
			t.Errorf("output values %v, want %v", c.OutputValues, ref.OutputValues)
		}
	}
	// blocks
	gotBlocks, _ := json.Marshal(blocksForReference(c.Blocks))
	var g, w any
	json.Unmarshal(gotBlocks, &g)
	wantBlocks, _ := json.Marshal(ref.Blocks)
	json.Unmarshal(wantBlocks, &w)
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if !bytes.Equal(gb, wb) {
		t.Errorf("blocks:\n got %s\nwant %s", gb, wb)
	}
	// alignment: reference exactly, and Map a superset
	for l, want := range ref.Alignment {
		if got := c.Alignment.Reference[l]; !equalStrings(got, want) {
			t.Errorf("reference alignment %s = %v, want %v", l, got, want)
		}
		have := map[string]bool{}
		for _, n := range c.Alignment.Map[l] {
			have[n] = true
		}
		for _, n := range want {
			if !have[n] {
				t.Errorf("alignment %s lacks %s", l, n)
			}
		}
	}
	if len(c.Alignment.Reference) != len(ref.Alignment) {
		t.Errorf("reference alignment has %d labels, want %d", len(c.Alignment.Reference), len(ref.Alignment))
	}
	gotEdges, _ := json.Marshal(c.Alignment.Edges)
	wantEdges, _ := json.Marshal(ref.Edges)
	if !bytes.Equal(gotEdges, wantEdges) {
		t.Errorf("edges:\n got %s\nwant %s", gotEdges, wantEdges)
	}
	if ref.Weights {
		checkWeights(t, c, loadRefWeights(t, ref.Case))
	}
}

func checkWeights(t *testing.T, c *Compiled, want map[string]*tensor.Tensor) {
	t.Helper()
	for name, w := range want {
		g, ok := c.Params[name]
		if !ok {
			if allZero(w) {
				continue
			}
			t.Errorf("missing parameter %s", name)
			continue
		}
		if !tensor.SameShape(g.Shape, w.Shape) {
			t.Errorf("%s shape %v, want %v", name, g.Shape, w.Shape)
			continue
		}
		bad := 0
		for i := range w.Data {
			if math.Abs(float64(g.Data[i]-w.Data[i])) > 1e-6 {
				if bad < 3 {
					t.Errorf("%s[%d] = %g, want %g", name, i, g.Data[i], w.Data[i])
				}
				bad++
			}
		}
		if bad > 3 {
			t.Errorf("%s: %d values differ", name, bad)
		}
	}
	for name := range c.Params {
		if _, ok := want[name]; !ok && !allZero(c.Params[name]) {
			t.Errorf("unexpected non-zero parameter %s", name)
		}
	}
}

func allZero(t *tensor.Tensor) bool {
	for _, v := range t.Data {
		if v != 0 {
			return false
		}
	}
	return true
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// blocksForReference renders blocks in the reference JSON layout.
func blocksForReference(bs []Block) []map[string]any {
	var out []map[string]any
	for _, b := range bs {
		m := map[string]any{"layer": b.Layer, "kind": b.Kind}
		if b.Kind == "attn" {
			m["heads"] = b.Heads
			var det []map[string]any
			for _, h := range b.HeadDetail {
				det = append(det, map[string]any{
					"output": h.Output, "q_inputs": nonNil(h.QInputs), "k_inputs": nonNil(h.KInputs), "v_inputs": nonNil(h.VInputs),
					"qk_shape": h.QKShape, "ov_shape": h.OVShape,
				})
			}
			m["head_detail"] = det
		} else {
			m["outputs"] = nonNil(b.Outputs)
			m["inputs"] = nonNil(b.Inputs)
			m["d_hidden"] = b.DHidden
		}
		out = append(out, m)
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// jsonValue converts a decoded reference JSON value to a rasp value.
func jsonValue(v any) rasp.Value {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil && !strings.ContainsAny(x.String(), ".eE") {
			return int(i)
		}
		f, _ := x.Float64()
		return f
	case float64:
		return x
	case []any:
		t := make(rasp.Tuple, len(x))
		for i, e := range x {
			t[i] = jsonValue(e)
		}
		return t
	}
	return v
}

// checkModelOutputs runs the compiled model on the reference rows and
// compares with model_output (categorical: equal except near-tie positions;
// numerical: within 1e-5 of the 6-decimal rounded value).
func checkModelOutputs(t *testing.T, c *Compiled, ref *refCase) {
	t.Helper()
	m, err := c.Model()
	if err != nil {
		t.Fatal(err)
	}
	data := ref.Data
	// The large models are slow to run; a few rows still check them.
	if c.Config.DModel*max(c.Config.DMLP, c.Config.DModel) > 100_000 && len(data) > 8 {
		data = data[:8]
	}
	rows := make([][]rasp.Value, len(data))
	for i, r := range data {
		rows[i] = make([]rasp.Value, len(r.Input))
		for j, v := range r.Input {
			rows[i][j] = jsonValue(v)
		}
	}
	got, err := c.Apply(m, rows)
	if err != nil {
		t.Fatal(err)
	}
	bad := 0
	for i, r := range data {
		tie := map[int]bool{}
		for _, p := range r.NearTie {
			tie[p] = true
		}
		for p := 1; p < len(r.ModelOutput); p++ {
			want := jsonValue(r.ModelOutput[p])
			ok := false
			if c.Categorical {
				ok = tie[p] || rasp.Equal(got[i][p], want)
			} else {
				g, _ := got[i][p].(float64)
				w, _ := want.(float64)
				if wi, isInt := want.(int); isInt {
					w = float64(wi)
				}
				ok = math.Abs(g-w) <= 1e-5
			}
			if !ok {
				if bad < 5 {
					t.Errorf("row %d %v position %d: model %v, reference %v", i, r.Input, p, got[i][p], want)
				}
				bad++
			}
		}
	}
	if bad > 5 {
		t.Errorf("%d positions differ", bad)
	}
}
