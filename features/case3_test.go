package features

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/glassbox-interp/glassbox/formats/safetensors"
	"github.com/glassbox-interp/glassbox/tensor"
)

// case3 is the reference data of circuits-benchmark case 3 (testdata/case_3_rows.json,
// copied from the tracr reference data) plus its compiled embeddings.
type case3 struct {
	Inputs    [][]string
	Outputs   [][]any
	Labels    []string
	Alignment map[string][]string
	WE, WPos  *tensor.Tensor
	TokenID   map[string]int
}

func loadCase3(t testing.TB) *case3 {
	t.Helper()
	b, err := os.ReadFile("testdata/case_3_rows.json")
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		TokenEncoding map[string]int      `json:"token_encoding"`
		Residual      []string            `json:"residual_labels"`
		Alignment     map[string][]string `json:"alignment_acdc_hooks"`
		Rows          []struct {
			Input  []string `json:"input"`
			Output []any    `json:"rasp_output"`
		} `json:"rows"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	w, _, err := safetensors.Load("testdata/case_3.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	c := &case3{Labels: raw.Residual, Alignment: raw.Alignment, WE: w["embed.W_E"], WPos: w["pos_embed.W_pos"], TokenID: raw.TokenEncoding}
	for _, r := range raw.Rows {
		c.Inputs = append(c.Inputs, r.Input)
		c.Outputs = append(c.Outputs, r.Output)
	}
	return c
}

func (c *case3) dim(label string) int {
	for i, l := range c.Labels {
		if l == label {
			return i
		}
	}
	panic("no residual dimension " + label)
}

// residPre0 is blocks.0.hook_resid_pre = W_E[token] + W_pos[pos], [320, 5, 13].
func (c *case3) residPre0() *tensor.Tensor {
	dm := len(c.Labels)
	x := tensor.New(len(c.Inputs), 5, dm)
	for r, row := range c.Inputs {
		for p, tok := range row {
			id := c.TokenID[tok]
			for d := 0; d < dm; d++ {
				x.Data[(r*5+p)*dm+d] = c.WE.Data[id*dm+d] + c.WPos.Data[p*dm+d]
			}
		}
	}
	return x
}

// hookOrder lists a two-layer model's hooks in TransformerLens forward order.
func hookOrder(layers int) []string {
	h := []string{"hook_embed", "hook_pos_embed"}
	for l := 0; l < layers; l++ {
		for _, n := range []string{"hook_resid_pre", "hook_q_input", "hook_k_input", "hook_v_input",
			"attn.hook_q", "attn.hook_k", "attn.hook_v", "attn.hook_attn_scores", "attn.hook_pattern",
			"attn.hook_z", "attn.hook_result", "hook_attn_out", "hook_resid_mid", "hook_mlp_in",
			"mlp.hook_pre", "mlp.hook_post", "hook_mlp_out", "hook_resid_post"} {
			h = append(h, fmt.Sprintf("blocks.%d.%s", l, n))
		}
	}
	return h
}

// groundTruth builds the case-3 ground truth by hand from the program's
// definition: is_x_3 = (token == "x") as 1/0, frac_prevs_1 = the program output.
func (c *case3) groundTruth() *GroundTruth {
	gt := &GroundTruth{Tokens: c.Inputs, HookOrder: hookOrder(2)}
	isx := Variable{Name: "is_x_3", Numerical: true, Hooks: c.Alignment["is_x_3"]}
	frac := Variable{Name: "frac_prevs_1", Numerical: true, Hooks: c.Alignment["frac_prevs_1"]}
	for r, row := range c.Inputs {
		iv, fv := make([]any, 5), make([]any, 5)
		for p, tok := range row {
			if tok == "BOS" || tok == "PAD" {
				continue
			}
			if tok == "x" {
				iv[p] = 1
			} else {
				iv[p] = 0
			}
			fv[p] = c.Outputs[r][p]
		}
		isx.Values = append(isx.Values, iv)
		frac.Values = append(frac.Values, fv)
	}
	gt.Variables = []Variable{isx, frac}
	return gt
}

// handSAE is an SAE whose features are known by construction: its encoder
// reads residual dimensions, f = ReLU(x·W_enc + b_enc).
type handSAE struct {
	names []string    // intended label per feature
	enc   [][]float32 // [d_sae][d_in]
	bias  []float32
}

func (s *handSAE) add(name string, bias float32, dims map[int]float32, din int) {
	w := make([]float32, din)
	for d, v := range dims {
		w[d] = v
	}
	s.names = append(s.names, name)
	s.enc = append(s.enc, w)
	s.bias = append(s.bias, bias)
}

func (s *handSAE) encode(x *tensor.Tensor) *tensor.Tensor {
	din := x.Shape[len(x.Shape)-1]
	n := len(x.Data) / din
	out := tensor.New(append(append([]int{}, x.Shape[:len(x.Shape)-1]...), len(s.enc))...)
	for i := 0; i < n; i++ {
		for f, w := range s.enc {
			v := s.bias[f]
			for d := 0; d < din; d++ {
				v += x.Data[i*din+d] * w[d]
			}
			if v < 0 {
				v = 0
			}
			out.Data[i*len(s.enc)+f] = v
		}
	}
	return out
}

func (s *handSAE) decoder() *tensor.Tensor {
	din := len(s.enc[0])
	t := tensor.New(len(s.enc), din)
	for f, w := range s.enc {
		var n float64
		for _, v := range w {
			n += float64(v * v)
		}
		for d, v := range w {
			if n > 0 {
				t.Data[f*din+d] = v / float32(math.Sqrt(n))
			}
		}
	}
	return t
}

// tokenPosSAE has one feature per token@position pair of case 3 (the
// notebook's resid_pre features), plus a duplicate of x@1, a plain token
// feature, a position feature and a dead feature.
func tokenPosSAE(c *case3) *handSAE {
	din := len(c.Labels)
	s := &handSAE{}
	s.add("BOS", 0, map[int]float32{c.dim("tokens:BOS"): 1}, din)
	for p := 1; p <= 4; p++ {
		toks := []string{"a", "b", "c", "x"}
		if p == 4 {
			toks = append(toks, "PAD")
		}
		for _, tok := range toks {
			name := fmt.Sprintf("%s@%d", tok, p)
			s.add(name, -1, map[int]float32{c.dim("tokens:" + tok): 1, c.dim(fmt.Sprintf("indices:%d", p-1)): 1}, din)
		}
	}
	s.add("x@1", -1, map[int]float32{c.dim("tokens:x"): 1, c.dim("indices:0"): 1}, din) // duplicate
	s.add("x", 0, map[int]float32{c.dim("tokens:x"): 1}, din)
	s.add("@2", 0, map[int]float32{c.dim("indices:1"): 1}, din)
	s.add("", -5, map[int]float32{}, din) // dead
	return s
}

func TestLabelCase3ResidPre(t *testing.T) {
	c := loadCase3(t)
	sae := tokenPosSAE(c)
	x := c.residPre0()
	acts := sae.encode(x)
	gt := c.groundTruth()
	a, err := Analyze(acts, gt, "blocks.0.hook_resid_pre", sae.decoder(), SummaryOptions{}, LabelOptions{})
	if err != nil {
		t.Fatal(err)
	}
	l := a.Labels
	for f, want := range sae.names {
		fl := l.Features[f]
		if want == "" {
			if fl.Verdict != VerdictDead || a.Stats[f].Live {
				t.Errorf("feature %d: verdict %s, want dead", f, fl.Verdict)
			}
			continue
		}
		if fl.Best == nil || fl.Best.Label != want || fl.Best.Score != 1 || fl.Verdict != VerdictClean {
			t.Errorf("feature %d: best %+v verdict %s, want %s with F1 1", f, fl.Best, fl.Verdict, want)
		}
	}
	// x@1 is feature 1+3 = 4 (BOS, a@1, b@1, c@1, x@1); its copy is feature 18.
	if got := l.DuplicateGroups(); len(got) != 1 || fmt.Sprint(got[0]) != "[4 18]" {
		t.Errorf("duplicate groups %v, want [[4 18]]", got)
	}
	wantExpected := "BOS a@1 b@1 c@1 x@1 a@2 b@2 c@2 x@2 a@3 b@3 c@3 x@3 PAD@4 a@4 b@4 c@4 x@4"
	if got := strings.Join(l.Expected, " "); got != wantExpected {
		t.Errorf("expected\n got %s\nwant %s", got, wantExpected)
	}
	if l.Coverage != 1 || len(l.Recovered) != 18 {
		t.Errorf("coverage %v (%d recovered), want 1 (18)", l.Coverage, len(l.Recovered))
	}
	// The JSON report has the keys.
	b, err := json.Marshal(a.Report())
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"hook", "d_sae", "live", "coverage", "expected", "recovered", "features"} {
		if _, ok := m[k]; !ok {
			t.Errorf("report lacks key %q", k)
		}
	}
	if m["live"].(float64) != float64(len(sae.names)-1) {
		t.Errorf("live = %v, want %d", m["live"], len(sae.names)-1)
	}
	f0 := m["features"].([]any)[4].(map[string]any)
	for _, k := range []string{"index", "label", "precision", "recall", "f1", "density", "max_activation", "live", "duplicates"} {
		if _, ok := f0[k]; !ok {
			t.Errorf("feature report lacks key %q", k)
		}
	}
	if f0["label"] != "x@1" || f0["density"].(float64) != 80.0/1600 {
		t.Errorf("feature 4 report %v", f0)
	}
	var tb strings.Builder
	if err := WriteTable(&tb, l, a.Stats); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(tb.String(), "  4: x@1") || !strings.Contains(tb.String(), "coverage 18/18 = 1.00") {
		t.Errorf("table:\n%s", tb.String())
	}
}

func TestLabelCase3PartialCoverage(t *testing.T) {
	c := loadCase3(t)
	full := tokenPosSAE(c)
	s := &handSAE{}
	// keep only the x@p features and BOS
	for f, n := range full.names {
		if n == "BOS" || strings.HasPrefix(n, "x@") {
			s.names = append(s.names, n)
			s.enc = append(s.enc, full.enc[f])
			s.bias = append(s.bias, full.bias[f])
		}
	}
	acts := s.encode(c.residPre0())
	l, err := Label(acts, c.groundTruth(), "blocks.0.hook_resid_pre", nil, LabelOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Recovered) != 5 || math.Abs(l.Coverage-5.0/18) > 1e-12 {
		t.Errorf("recovered %v coverage %v, want 5/18", l.Recovered, l.Coverage)
	}
	if miss := l.Missing(); len(miss) != 13 || miss[0] != "a@1" || miss[12] != "c@4" {
		t.Errorf("missing %v", miss)
	}
	// Same label twice (x@1) without a decoder still makes a duplicate pair.
	if g := l.DuplicateGroups(); len(g) != 1 {
		t.Errorf("duplicate groups %v, want one pair", g)
	}
}

// TestLabelCase3LaterHooks checks variable availability and numerical scoring.
func TestLabelCase3LaterHooks(t *testing.T) {
	c := loadCase3(t)
	gt := c.groundTruth()
	x := c.residPre0()
	// A 3-feature "SAE": x tokens, frac_prevs_1 value, non-x tokens.
	acts := tensor.New(320, 5, 3)
	for r := 0; r < 320; r++ {
		for p := 0; p < 5; p++ {
			tok := c.Inputs[r][p]
			i := (r*5 + p) * 3
			if tok == "x" {
				acts.Data[i] = 2
			}
			if f, ok := c.Outputs[r][p].(float64); ok {
				acts.Data[i+1] = float32(3*f + 0.5)
			}
			if tok == "a" || tok == "b" || tok == "c" {
				acts.Data[i+2] = 1
			}
		}
	}
	_ = x
	tests := []struct {
		hook     string
		labels   []string
		expected string
		coverage float64
	}{
		{"blocks.0.hook_resid_pre", []string{"x", "?", "?"}, "", -1},
		{"blocks.0.hook_mlp_out", []string{"is_x_3=1", "?", "is_x_3=0"}, "is_x_3", 1},
		{"blocks.1.hook_resid_pre", []string{"is_x_3=1", "?", "is_x_3=0"}, "", -1},
		{"blocks.1.hook_attn_out", []string{"is_x_3=1", "frac_prevs_1", "is_x_3=0"}, "frac_prevs_1", 1},
		{"hook_embed", []string{"x", "?", "?"}, "BOS PAD@4 a b c x", 1.0 / 6},
	}
	for _, tc := range tests {
		t.Run(tc.hook, func(t *testing.T) {
			l, err := Label(acts, gt, tc.hook, nil, LabelOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for f, want := range tc.labels {
				if want == "?" {
					continue
				}
				if got := l.Features[f].Best; got == nil || got.Label != want {
					t.Errorf("feature %d: best %+v, want %s", f, got, want)
				}
			}
			if tc.expected != "" && strings.Join(l.Expected, " ") != tc.expected {
				t.Errorf("expected %v, want %s", l.Expected, tc.expected)
			}
			if tc.coverage >= 0 && math.Abs(l.Coverage-tc.coverage) > 1e-12 {
				t.Errorf("coverage %v, want %v", l.Coverage, tc.coverage)
			}
		})
	}
	// frac_prevs_1 feature at attn_out: |r| = 1 exactly (affine in the value).
	l, err := Label(acts, gt, "blocks.1.hook_attn_out", nil, LabelOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if b := l.Features[1].Best; b.R == nil || math.Abs(*b.R-1) > 1e-9 || !b.Numerical {
		t.Errorf("frac_prevs feature: %+v", b)
	}
	// the x feature matches is_x_3=1, whose alias is the token x
	if b := l.Features[0].Best; len(b.Aliases) != 1 || b.Aliases[0] != "x" {
		t.Errorf("x feature aliases %v, want [x]", b.Aliases)
	}
}

func TestAvailable(t *testing.T) {
	c := loadCase3(t)
	gt := c.groundTruth()
	isx, frac := gt.Variables[0], gt.Variables[1]
	tests := []struct {
		v    Variable
		hook string
		want bool
	}{
		{isx, "blocks.0.hook_resid_pre", false},
		{isx, "blocks.0.hook_mlp_in", false},
		{isx, "blocks.0.mlp.hook_post", true},
		{isx, "blocks.0.hook_mlp_out", true},
		{isx, "blocks.1.hook_resid_pre", true},
		{frac, "blocks.1.hook_v_input", false},
		{frac, "blocks.1.attn.hook_v", false},
		{frac, "blocks.1.attn.hook_z", true},
		{frac, "blocks.1.hook_attn_out", true},
		{frac, "blocks.1.hook_resid_post", true},
	}
	for _, tc := range tests {
		got, err := gt.Available(tc.v, tc.hook)
		if err != nil || got != tc.want {
			t.Errorf("%s at %s: %v %v, want %v", tc.v.Name, tc.hook, got, err, tc.want)
		}
	}
	if _, err := gt.Available(isx, "blocks.7.hook_resid_pre"); err == nil {
		t.Error("unknown hook: expected an error")
	}
}

func TestLabelBadInput(t *testing.T) {
	c := loadCase3(t)
	gt := c.groundTruth()
	tests := []struct {
		name string
		acts *tensor.Tensor
		hook string
		dec  *tensor.Tensor
	}{
		{"rows-mismatch", tensor.New(10, 5, 3), "blocks.0.hook_resid_pre", nil},
		{"positions-mismatch", tensor.New(320, 4, 3), "blocks.0.hook_resid_pre", nil},
		{"unknown-hook", tensor.New(320, 5, 3), "blocks.9.hook_resid_pre", nil},
		{"decoder-shape", tensor.New(320, 5, 3), "blocks.0.hook_resid_pre", tensor.New(4, 13)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Label(tc.acts, gt, tc.hook, tc.dec, LabelOptions{}); err == nil {
				t.Fatal("expected an error")
			}
		})
	}
}

func TestPyStr(t *testing.T) {
	tests := []struct {
		v    any
		want string
	}{
		{nil, "None"}, {true, "True"}, {false, "False"}, {3, "3"}, {int64(-2), "-2"},
		{1.0, "1.0"}, {0.5, "0.5"}, {1.0 / 3, "0.3333333333333333"}, {"x", "x"}, {1e20, "1e+20"},
	}
	for _, tc := range tests {
		if got := PyStr(tc.v); got != tc.want {
			t.Errorf("PyStr(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}
