package torchfile

import (
	"archive/zip"
	"bytes"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/glassbox-interp/glassbox/formats/safetensors"
	"github.com/nlpodyssey/gopickle/types"
)

// sampleTensors is a small TransformerLens-like state dict: weights, a bool
// mask buffer, a 0-d IGNORE, and an empty tensor.
func sampleTensors() []NamedTensor {
	w := make([]float32, 2*3*4)
	for i := range w {
		w[i] = float32(i)*0.5 - 3
	}
	w[5] = float32(math.Inf(1))
	w[6] = float32(math.Copysign(0, -1))
	mask := make([]bool, 9)
	for i := 0; i < 3; i++ {
		for j := 0; j <= i; j++ {
			mask[i*3+j] = true
		}
	}
	return []NamedTensor{
		{Name: "embed.W_E", Shape: []int{2, 3, 4}, DType: "float32", F32: w},
		{Name: "blocks.0.attn.mask", Shape: []int{3, 3}, DType: "bool", Bool: mask},
		{Name: "blocks.0.attn.IGNORE", Shape: []int{}, DType: "float32", F32: []float32{-1e5}},
		{Name: "blocks.0.attn.b_O", Shape: []int{0, 2}, DType: "float32", F32: []float32{}},
		{Name: "a.first.alphabetically", Shape: []int{1}, DType: "float32", F32: []float32{7}},
	}
}

// TestStateDictRoundTrip: what MarshalStateDict writes, this package reads
// back with the same names, dtypes, shapes and values.
func TestStateDictRoundTrip(t *testing.T) {
	ts := sampleTensors()
	b, err := MarshalStateDict("ll_model", ts)
	if err != nil {
		t.Fatal(err)
	}
	sd, err := ParseStateDict(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(sd.Tensors) != len(ts) || len(sd.Skipped) != 0 {
		t.Fatalf("read %v (skipped %v), want %d tensors", sd.Names(), sd.Skipped, len(ts))
	}
	for _, w := range ts {
		got := sd.Tensors[w.Name]
		if got == nil {
			t.Fatalf("missing %q", w.Name)
		}
		if len(got.Shape) != len(w.Shape) || (len(w.Shape) > 0 && !reflect.DeepEqual(got.Shape, w.Shape)) {
			t.Errorf("%s: shape %v, want %v", w.Name, got.Shape, w.Shape)
		}
		switch w.DType {
		case "float32":
			if got.DType != safetensors.F32 {
				t.Fatalf("%s: dtype %s", w.Name, got.DType)
			}
			for i, v := range w.F32 {
				g := math.Float32frombits(uint32(got.Data[4*i]) | uint32(got.Data[4*i+1])<<8 | uint32(got.Data[4*i+2])<<16 | uint32(got.Data[4*i+3])<<24)
				if math.Float32bits(g) != math.Float32bits(v) {
					t.Errorf("%s[%d] = %v, want %v", w.Name, i, g, v)
				}
			}
		case "bool":
			if got.DType != safetensors.Bool {
				t.Fatalf("%s: dtype %s", w.Name, got.DType)
			}
			for i, v := range w.Bool {
				if (got.Data[i] == 1) != v || got.Data[i] > 1 {
					t.Errorf("%s[%d] = %d, want %v", w.Name, i, got.Data[i], v)
				}
			}
		}
	}
}

// TestStateDictLayout checks torch's layout: an OrderedDict in the given
// order, entries stored and 64-byte aligned, the version record, and
// identical bytes on every call.
func TestStateDictLayout(t *testing.T) {
	ts := sampleTensors()
	b, err := MarshalStateDict("ll_model", ts)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := MarshalStateDict("ll_model", ts)
	if !bytes.Equal(b, again) {
		t.Error("two calls gave different bytes")
	}
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		if f.Method != zip.Store {
			t.Errorf("%s: method %d, want stored", f.Name, f.Method)
		}
		off, err := f.DataOffset()
		if err != nil || off%64 != 0 {
			t.Errorf("%s: data at offset %d (%v), want a multiple of 64", f.Name, off, err)
		}
	}
	want := []string{"ll_model/data.pkl", "ll_model/data/0", "ll_model/data/1", "ll_model/data/2", "ll_model/data/3", "ll_model/data/4", "ll_model/version"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("entries %v, want %v", names, want)
	}
	for _, f := range zr.File {
		if f.Name == "ll_model/version" {
			rc, _ := f.Open()
			v, _ := io.ReadAll(rc)
			if string(v) != "3\n" {
				t.Errorf("version %q", v)
			}
		}
	}
	// The pickle's top level is an OrderedDict in the order given.
	v, err := parseZip(bytes.NewReader(b), int64(len(b)), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	od, ok := v.(*types.OrderedDict)
	if !ok {
		t.Fatalf("data.pkl holds %T, want an OrderedDict", v)
	}
	var keys []string
	for el := od.List.Front(); el != nil; el = el.Next() {
		keys = append(keys, el.Value.(*types.OrderedDictEntry).Key.(string))
	}
	var wantKeys []string
	for _, x := range ts {
		wantKeys = append(wantKeys, x.Name)
	}
	if !reflect.DeepEqual(keys, wantKeys) {
		t.Errorf("keys %v, want %v", keys, wantKeys)
	}
}

func TestWriteStateDict(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "ll_model.pth")
	if err := WriteStateDict(p, sampleTensors()); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.OpenReader(p)
	if err != nil {
		t.Fatal(err)
	}
	if zr.File[0].Name != "ll_model/data.pkl" {
		t.Errorf("first entry %s, want ll_model/data.pkl", zr.File[0].Name)
	}
	zr.Close()
	sd, err := ReadStateDict(p)
	if err != nil || len(sd.Tensors) != 5 {
		t.Fatalf("read back: %v", err)
	}
	bad := []NamedTensor{{Name: "x", Shape: []int{2}, DType: "float32", F32: []float32{1}}}
	if err := WriteStateDict(filepath.Join(dir, "bad.pth"), bad); err == nil || !strings.Contains(err.Error(), "bad.pth") {
		t.Errorf("bad tensor: %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("directory holds %d entries, want only ll_model.pth", len(ents))
	}
}

func TestArchiveName(t *testing.T) {
	for in, want := range map[string]string{
		"ll_model.pth": "ll_model", "/a/b/model.v2.pt": "model.v2", "noext": "noext", ".pth": "archive", "dir/": "dir",
	} {
		if got := ArchiveName(in); got != want {
			t.Errorf("ArchiveName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestStateDictWriterErrors(t *testing.T) {
	cases := []struct {
		name    string
		archive string
		ts      []NamedTensor
		want    string
	}{
		{"no name", "a", []NamedTensor{{Shape: []int{1}, DType: "float32", F32: []float32{1}}}, "entry 0 has no name"},
		{"duplicate", "a", []NamedTensor{{Name: "x", DType: "float32", F32: []float32{1}}, {Name: "x", DType: "float32", F32: []float32{1}}}, `"x" appears twice`},
		{"short", "a", []NamedTensor{{Name: "x", Shape: []int{2, 2}, DType: "float32", F32: []float32{1}}}, "needs 4 values in F32"},
		{"bool short", "a", []NamedTensor{{Name: "m", Shape: []int{2}, DType: "bool", Bool: []bool{true}}}, "needs 2 values in Bool"},
		{"both", "a", []NamedTensor{{Name: "m", Shape: []int{1}, DType: "bool", Bool: []bool{true}, F32: []float32{1}}}, "and no F32"},
		{"dtype", "a", []NamedTensor{{Name: "x", Shape: []int{1}, DType: "float64"}}, `dtype "float64" not supported`},
		{"negative", "a", []NamedTensor{{Name: "x", Shape: []int{-1}, DType: "float32"}}, "negative dimension"},
		{"overflow", "a", []NamedTensor{{Name: "x", Shape: []int{1 << 20, 1 << 20}, DType: "float32"}}, "too many elements"},
		{"archive", "a/b", nil, "without slashes"},
		{"empty archive", "", nil, "non-empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := MarshalStateDict(c.archive, c.ts)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want it to contain %q", err, c.want)
			}
		})
	}
	// An empty state dict is valid.
	b, err := MarshalStateDict("empty", nil)
	if err != nil {
		t.Fatal(err)
	}
	if sd, err := ParseStateDict(b); err != nil || len(sd.Tensors) != 0 {
		t.Errorf("empty state dict: %v", err)
	}
}
