package model

import (
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glassbox-interp/glassbox/formats/torchfile"
	"github.com/glassbox-interp/glassbox/tensor"
)

// writeTorchPair writes m as an InterpBench folder with formats/torchfile's
// writers (the config as a pickled dict of HookedTransformerConfig fields)
// plus extra tensors, and returns the two paths.
func writeTorchPair(t *testing.T, m *Model, extra ...torchfile.NamedTensor) (pth, pkl string) {
	t.Helper()
	dir := t.TempDir()
	names, _ := ParamShapes(m.Config())
	var ts []torchfile.NamedTensor
	params := m.Params()
	for _, n := range names {
		p := params[n]
		ts = append(ts, torchfile.NamedTensor{Name: n, Shape: p.Shape, DType: "float32", F32: p.Data})
	}
	nctx := m.Config().NCtx
	mask := make([]bool, nctx*nctx)
	for i := 0; i < nctx; i++ {
		for j := 0; j <= i; j++ {
			mask[i*nctx+j] = true
		}
	}
	ts = append(ts, torchfile.NamedTensor{Name: "blocks.0.attn.mask", Shape: []int{nctx, nctx}, DType: "bool", Bool: mask},
		torchfile.NamedTensor{Name: "blocks.0.attn.IGNORE", Shape: []int{}, DType: "float32", F32: []float32{-1e5}})
	ts = append(ts, extra...)
	pth, pkl = filepath.Join(dir, TorchWeightsFile), filepath.Join(dir, TorchConfigFile)
	if err := torchfile.WriteStateDict(pth, ts); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(m.Config())
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	for k, v := range cfg { // JSON numbers: integers back to int
		if f, ok := v.(float64); ok && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			cfg[k] = int(f)
		}
	}
	cfg["dtype"] = torchfile.Global{Module: "torch", Name: "float32"}
	if err := torchfile.WritePickle(pkl, cfg); err != nil {
		t.Fatal(err)
	}
	return pth, pkl
}

// TestLoadTorchWrittenByGlassbox: a folder written with formats/torchfile
// loads back into the same model.
func TestLoadTorchWrittenByGlassbox(t *testing.T) {
	m, _, err := LoadTorch("testdata/ib_causal/ll_model.pth", "testdata/ib_causal/ll_model_cfg.pkl")
	if err != nil {
		t.Fatal(err)
	}
	pth, pkl := writeTorchPair(t, m)
	back, _, err := LoadTorch(pth, pkl)
	if err != nil {
		t.Fatal(err)
	}
	want, got := m.Params(), back.Params()
	names, _ := ParamShapes(m.Config())
	for _, name := range names {
		p, w := got[name], want[name]
		if w == nil || !tensor.SameShape(p.Shape, w.Shape) {
			t.Fatalf("%s: shape %v, want %v", name, p.Shape, w)
		}
		for i := range p.Data {
			if math.Float32bits(p.Data[i]) != math.Float32bits(w.Data[i]) {
				t.Fatalf("%s[%d] = %v, want %v", name, i, p.Data[i], w.Data[i])
			}
		}
	}
	if back.layers[0].ignore != -1e5 {
		t.Errorf("IGNORE = %v, want -1e5", back.layers[0].ignore)
	}
}

// TestLoadTorchBoundedByConfig: the config bounds what the state dict may
// hold, before any tensor data is read.
func TestLoadTorchBoundedByConfig(t *testing.T) {
	m, _, err := LoadTorch("testdata/ib_causal/ll_model.pth", "testdata/ib_causal/ll_model_cfg.pkl")
	if err != nil {
		t.Fatal(err)
	}
	big := make([]float32, 1<<16)
	cases := []struct {
		name  string
		extra torchfile.NamedTensor
		want  string
	}{
		{"unknown tensor", torchfile.NamedTensor{Name: "blocks.0.attn.W_X", Shape: []int{1 << 16}, DType: "float32", F32: big},
			`"blocks.0.attn.W_X": is not a parameter of the config`},
		{"oversized mask", torchfile.NamedTensor{Name: "blocks.1.attn.mask", Shape: []int{1 << 8, 1 << 8}, DType: "float32", F32: big},
			`"blocks.1.attn.mask": buffer of shape [256,256] is larger than the config`},
		{"IGNORE not a scalar", torchfile.NamedTensor{Name: "blocks.1.attn.IGNORE", Shape: []int{2}, DType: "float32", F32: big[:2]},
			`"blocks.1.attn.IGNORE": buffer of shape [2]`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pth, pkl := writeTorchPair(t, m, c.extra)
			_, _, err := LoadTorch(pth, pkl)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), pth) {
				t.Fatalf("error %v, want it to name %s and contain %q", err, pth, c.want)
			}
		})
	}
}

// TestLoadTorchSwapped: the two files given in the wrong order are named as
// such (issue 15, item 19).
func TestLoadTorchSwapped(t *testing.T) {
	pth, pkl := "testdata/ib_causal/ll_model.pth", "testdata/ib_causal/ll_model_cfg.pkl"
	_, _, err := LoadTorch(pkl, pth)
	if err == nil {
		t.Fatal("swapped files loaded")
	}
	for _, want := range []string{"swapped", pkl + " is a pickle", pth + " is a torch.save state dict"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "opcode") {
		t.Errorf("error still speaks of opcodes: %v", err)
	}
}
