package activations

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
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

func TestFromModelShapes(t *testing.T) {
	m := randomModel(t)
	h1 := 1
	cases := []struct {
		hook string
		opt  Options
		dIn  int
		n    int
		err  string
	}{
		{"blocks.0.hook_resid_pre", Options{}, 8, 15, ""},
		{"blocks.0.hook_mlp_out", Options{DropPositions: []int{0}}, 8, 12, ""},
		{"blocks.1.attn.hook_z", Options{}, 12, 15, ""},
		{"blocks.1.attn.hook_z", Options{Head: &h1}, 4, 15, ""},
		{"blocks.1.attn.hook_result", Options{Head: &h1, Positions: []int{4, 2}}, 8, 6, ""},
		{"blocks.0.attn.hook_pattern", Options{Head: &h1}, 5, 15, ""},
		{"blocks.1.attn.hook_result", Options{}, 0, 0, "give a head index"},
		{"blocks.0.hook_resid_pre", Options{Head: &h1}, 0, 0, "no head dimension"},
		{"blocks.0.hook_resid_pre", Options{Positions: []int{7}}, 0, 0, "out of range"},
		{"blocks.9.hook_resid_pre", Options{}, 0, 0, "blocks.9.hook_resid_pre"},
	}
	for _, c := range cases {
		s, err := FromModel(m, testTokens, c.hook, c.opt)
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

func TestFromModelValues(t *testing.T) {
	m := randomModel(t)
	_, cache, err := m.RunWithCache(testTokens, "blocks.1.attn.hook_result", "blocks.1.attn.hook_z")
	if err != nil {
		t.Fatal(err)
	}
	h := 2
	s, err := FromModel(m, testTokens, "blocks.1.attn.hook_result", Options{Head: &h, DropPositions: []int{0}})
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
	z, err := FromModel(m, testTokens, "blocks.1.attn.hook_z", Options{})
	if err != nil {
		t.Fatal(err)
	}
	zc := cache["blocks.1.attn.hook_z"] // [B,T,H,dh] flattened to H*dh
	if !equal(z.Data, zc.Data) {
		t.Error("hook_z is not flattened as [B,T,H·d_head]")
	}
}

func equal(a, b []float32) bool {
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

func seqData(n, d int) []float32 {
	v := make([]float32, n*d)
	for i := range v {
		v[i] = float32(i / d)
	}
	return v
}

func TestMemoryCyclesAndShuffles(t *testing.T) {
	m, err := NewMemory(seqData(10, 2), 2, MemoryOptions{Seed: 42, Shuffle: true, Repeat: true})
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]float32, 2*4)
	var seen []float32
	for k := 0; k < 5; k++ { // 20 rows = 2 epochs
		if err := m.NextBatch(buf); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 4; i++ {
			seen = append(seen, buf[2*i])
		}
	}
	for ep := 0; ep < 2; ep++ {
		count := map[float32]int{}
		for _, v := range seen[ep*10 : ep*10+10] {
			count[v]++
		}
		if len(count) != 10 {
			t.Errorf("epoch %d does not visit every row once: %v", ep, seen[ep*10:ep*10+10])
		}
	}
	if equal(seen[:10], seen[10:]) {
		t.Error("the second epoch repeats the first order: not reshuffled")
	}
	// Same seed, same stream; state restores the position.
	m2, _ := NewMemory(seqData(10, 2), 2, MemoryOptions{Seed: 42, Shuffle: true, Repeat: true})
	m2.NextBatch(make([]float32, 2*7))
	st, _ := m2.MarshalState()
	m3, _ := NewMemory(seqData(10, 2), 2, MemoryOptions{Seed: 42, Shuffle: true, Repeat: true})
	if err := m3.UnmarshalState(st); err != nil {
		t.Fatal(err)
	}
	a, b := make([]float32, 2*9), make([]float32, 2*9)
	m2.NextBatch(a)
	m3.NextBatch(b)
	if !equal(a, b) {
		t.Error("restored store serves different rows")
	}
	other, _ := NewMemory(seqData(11, 2), 2, MemoryOptions{Seed: 42, Shuffle: true, Repeat: true})
	if err := other.UnmarshalState(st); err == nil {
		t.Error("state of a different-size store accepted")
	}
}

func TestMemoryRepeatOff(t *testing.T) {
	m, _ := NewMemory(seqData(5, 3), 3, MemoryOptions{})
	if err := m.NextBatch(make([]float32, 3*4)); err != nil {
		t.Fatal(err)
	}
	err := m.NextBatch(make([]float32, 3*4))
	if !errors.Is(err, ErrExhausted) || !strings.Contains(err.Error(), "repeat off") {
		t.Fatalf("err = %v", err)
	}
	big, _ := NewMemory(seqData(5, 3), 3, MemoryOptions{})
	if err := big.NextBatch(make([]float32, 3*6)); !errors.Is(err, ErrExhausted) {
		t.Fatalf("batch larger than the dataset with repeat off: err = %v", err)
	}
	if _, err := NewMemory(make([]float32, 7), 3, MemoryOptions{}); err == nil {
		t.Error("ragged data accepted")
	}
}

func TestCacheRoundTrip(t *testing.T) {
	m := randomModel(t)
	s, err := FromModel(m, testTokens, "blocks.0.hook_mlp_out", Options{DropPositions: []int{0}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := WriteCache(dir, s, 5); err != nil {
		t.Fatal(err)
	}
	got, err := LoadFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !equal(got.Data, s.Data) || got.DIn != s.DIn || got.HookName != s.HookName || len(got.Row) != s.N() || got.Pos[3] != s.Pos[3] {
		t.Fatal("cache round trip changed the set")
	}
	// Corrupt a shard: checksum error naming the file.
	p := filepath.Join(dir, "shard_00001.safetensors")
	b, _ := os.ReadFile(p)
	os.WriteFile(p, b[:len(b)-4], 0o644)
	if _, err := LoadCache(dir); err == nil || !strings.Contains(err.Error(), "shard_00001") {
		t.Fatalf("truncated shard: err = %v", err)
	}
}

func npyBytes(shape string, vals []float32) []byte {
	var buf bytes.Buffer
	h := "{'descr': '<f4', 'fortran_order': False, 'shape': (" + shape + "), }"
	for (10+len(h)+1)%64 != 0 {
		h += " "
	}
	h += "\n"
	buf.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&buf, binary.LittleEndian, uint16(len(h)))
	buf.WriteString(h)
	for _, v := range vals {
		binary.Write(&buf, binary.LittleEndian, math.Float32bits(v))
	}
	return buf.Bytes()
}

func TestLoadNpyAndSafetensors(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "acts.npy")
	os.WriteFile(p, npyBytes("3, 2", []float32{1, 2, 3, 4, 5, 6}), 0o644)
	s, err := LoadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if s.DIn != 2 || s.N() != 3 || s.Data[5] != 6 {
		t.Errorf("npy: d_in %d n %d", s.DIn, s.N())
	}
	os.WriteFile(p, npyBytes("3, 2", []float32{1, 2, 3}), 0o644)
	if _, err := LoadFile(p); err == nil || !strings.Contains(err.Error(), "acts.npy") {
		t.Errorf("short npy: err = %v", err)
	}
}

func FuzzParseNpy(f *testing.F) {
	f.Add(npyBytes("2, 2", []float32{1, 2, 3, 4}))
	f.Add(npyBytes("4,", []float32{1, 2, 3, 4}))
	f.Add([]byte("\x93NUMPY\x02\x00\xff\xff\xff\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		tt, err := ParseNpy(b, "fuzz")
		if err == nil && tensor.NumElements(tt.Shape) != len(tt.Data) {
			t.Fatal("shape does not match data")
		}
	})
}

// TestFromTensorErrors: an absent or mis-shaped activation is an error
// naming the hook; a [B,T,d] tensor becomes B·T rows.
func TestFromTensorErrors(t *testing.T) {
	if _, err := FromTensor(nil, "blocks.0.hook_mlp_out", 2, 3, Options{}); err == nil || !strings.Contains(err.Error(), "blocks.0.hook_mlp_out") {
		t.Errorf("nil tensor: error %v", err)
	}
	if _, err := FromTensor(tensor.New(2, 4, 5), "blocks.0.hook_mlp_out", 2, 3, Options{}); err == nil || !strings.Contains(err.Error(), "unexpected shape") {
		t.Errorf("wrong T: error %v", err)
	}
	s, err := FromTensor(tensor.New(2, 3, 5), "blocks.0.hook_mlp_out", 2, 3, Options{DropPositions: []int{0}})
	if err != nil || s.N() != 4 || s.DIn != 5 || s.Row[3] != 1 || s.Pos[3] != 2 {
		t.Errorf("FromTensor: %+v, %v", s, err)
	}
}

// TestMemoryOrderIsPerm: each epoch's order is rand.Perm of a PCG seeded
// with (Seed, epoch), whatever buffer it is built in.
func TestMemoryOrderIsPerm(t *testing.T) {
	const n, d = 37, 2
	data := make([]float32, n*d)
	for i := range data {
		data[i] = float32(i / d)
	}
	m, err := NewMemory(data, d, MemoryOptions{Seed: 9, Shuffle: true, Repeat: true})
	if err != nil {
		t.Fatal(err)
	}
	dst := make([]float32, n*d)
	for epoch := uint64(0); epoch < 4; epoch++ {
		if err := m.NextBatch(dst); err != nil {
			t.Fatal(err)
		}
		want := rand.New(rand.NewPCG(9, epoch)).Perm(n)
		for i, r := range want {
			if dst[i*d] != float32(r) {
				t.Fatalf("epoch %d row %d: got row %v, want %d", epoch, i, dst[i*d], r)
			}
		}
	}
}
