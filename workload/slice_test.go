package workload

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/glassbox-interp/glassbox/model"
	"github.com/glassbox-interp/glassbox/tensor"
)

// randomModel is a small random 2-layer, 3-head transformer.
func randomModel(t *testing.T) *model.Model {
	t.Helper()
	cfg := model.DefaultConfig()
	cfg.NLayers, cfg.DModel, cfg.NCtx, cfg.DHead, cfg.NHeads, cfg.DMLP = 2, 8, 5, 4, 3, 16
	cfg.DVocab, cfg.ActFn, cfg.NormalizationType = 6, "relu", ""
	names, shapes := model.ParamShapes(cfg.WithDefaults())
	r := rand.New(rand.NewPCG(1, 2))
	params := map[string]*tensor.Tensor{}
	for _, n := range names {
		tt := tensor.New(shapes[n]...)
		for i := range tt.Data {
			tt.Data[i] = float32(r.NormFloat64() * 0.3)
		}
		params[n] = tt
	}
	m, err := model.New(cfg, params)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

var testTokens = [][]int{{0, 2, 3, 4, 1}, {0, 5, 5, 2, 1}, {0, 3, 2, 2, 4}}

func TestCollectShapes(t *testing.T) {
	m := randomModel(t)
	h1 := 1
	cases := []struct {
		hook string
		opt  Select
		dIn  int
		n    int
		err  string
	}{
		{"blocks.0.hook_resid_pre", Select{}, 8, 15, ""},
		{"blocks.0.hook_mlp_out", Select{DropPositions: []int{0}}, 8, 12, ""},
		{"blocks.1.attn.hook_z", Select{}, 12, 15, ""},
		{"blocks.1.attn.hook_z", Select{Head: &h1}, 4, 15, ""},
		{"blocks.1.attn.hook_result", Select{Head: &h1, Positions: []int{4, 2}}, 8, 6, ""},
		{"blocks.0.attn.hook_pattern", Select{Head: &h1}, 5, 15, ""},
		{"blocks.1.attn.hook_result", Select{}, 0, 0, "give a head index"},
		{"blocks.0.hook_resid_pre", Select{Head: &h1}, 0, 0, "no head dimension"},
		{"blocks.0.hook_resid_pre", Select{Positions: []int{7}}, 0, 0, "out of range"},
		{"blocks.9.hook_resid_pre", Select{}, 0, 0, "blocks.9.hook_resid_pre"},
	}
	for _, c := range cases {
		s, err := Collect(m, testTokens, c.hook, c.opt)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: err = %v, want %q", c.hook, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.hook, err)
			continue
		}
		if s.DIn != c.dIn || s.N() != c.n || len(s.Row) != c.n {
			t.Errorf("%s: d_in %d n %d, want %d %d", c.hook, s.DIn, s.N(), c.dIn, c.n)
		}
	}
}

func TestCollectValues(t *testing.T) {
	m := randomModel(t)
	_, cache, err := m.RunWithCache(testTokens, "blocks.1.attn.hook_result", "blocks.1.attn.hook_z")
	if err != nil {
		t.Fatal(err)
	}
	h := 2
	s, err := Collect(m, testTokens, "blocks.1.attn.hook_result", Select{Head: &h, DropPositions: []int{0}})
	if err != nil {
		t.Fatal(err)
	}
	res := cache["blocks.1.attn.hook_result"] // [B,T,H,D]
	for k := 0; k < s.N(); k++ {
		b, p := s.Row[k], s.Pos[k]
		if p == 0 {
			t.Fatal("position 0 was not dropped")
		}
		for j := 0; j < 8; j++ {
			if got, want := s.Data[k*8+j], res.Data[res.Offset(b, p, h, j)]; got != want {
				t.Fatalf("vector %d (row %d pos %d)[%d] = %v, want %v", k, b, p, j, got, want)
			}
		}
	}
	z, err := Collect(m, testTokens, "blocks.1.attn.hook_z", Select{})
	if err != nil {
		t.Fatal(err)
	}
	zc := cache["blocks.1.attn.hook_z"] // [B,T,H,dh] flattened to H*dh
	if !slices.Equal(z.Data, zc.Data) {
		t.Error("hook_z is not flattened as [B,T,H·d_head]")
	}
}

// TestSliceErrors: an absent or mis-shaped activation is an error
// naming the hook; a [B,T,d] tensor becomes B·T rows.
func TestSliceErrors(t *testing.T) {
	if _, err := Slice(nil, "blocks.0.hook_mlp_out", 2, 3, Select{}); err == nil || !strings.Contains(err.Error(), "blocks.0.hook_mlp_out") {
		t.Errorf("nil tensor: error %v", err)
	}
	if _, err := Slice(tensor.New(2, 4, 5), "blocks.0.hook_mlp_out", 2, 3, Select{}); err == nil || !strings.Contains(err.Error(), "unexpected shape") {
		t.Errorf("wrong T: error %v", err)
	}
	s, err := Slice(tensor.New(2, 3, 5), "blocks.0.hook_mlp_out", 2, 3, Select{DropPositions: []int{0}})
	if err != nil || s.N() != 4 || s.DIn != 5 || s.Row[3] != 1 || s.Pos[3] != 2 {
		t.Errorf("Slice: %+v, %v", s, err)
	}
}
