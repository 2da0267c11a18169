package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glassbox-interp/glassbox/tensor"
)

// TestTorchDtypes reads a file written by scripts/model_fixtures.py whose
// F16/BF16/… values were produced by torch's own conversions.
func TestTorchDtypes(t *testing.T) {
	f, err := ReadFile("testdata/dtypes.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]struct {
		Shape  []int     `json:"shape"`
		Values []float64 `json:"values"`
	}
	b, err := os.ReadFile("testdata/dtypes.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	if f.Metadata["format"] != "pt" {
		t.Errorf("metadata = %v, want format=pt", f.Metadata)
	}
	if len(f.Tensors) != len(want) {
		t.Fatalf("%d tensors, want %d", len(f.Tensors), len(want))
	}
	for name, w := range want {
		r := f.Tensors[name]
		if r == nil {
			t.Fatalf("tensor %q missing", name)
		}
		if !tensor.SameShape(r.Shape, w.Shape) {
			t.Errorf("%s: shape %v, want %v", name, r.Shape, w.Shape)
		}
		got, err := r.Float64s()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for i := range w.Values {
			// Every stored dtype widens exactly to float64.
			if got[i] != w.Values[i] {
				t.Errorf("%s[%d] = %v, want %v", name, i, got[i], w.Values[i])
			}
		}
		tt, err := f.Tensor(name)
		if err != nil {
			t.Fatal(err)
		}
		for i := range w.Values {
			if r.DType != I64 && r.DType != I32 && tt.Data[i] != float32(w.Values[i]) {
				t.Errorf("%s: Tensor()[%d] = %v, want %v", name, i, tt.Data[i], float32(w.Values[i]))
			}
		}
	}
	// Narrowing float32 → F16/BF16 must round like torch does.
	f32, _ := f.Tensor("f32")
	for _, dt := range []DType{F16, BF16} {
		name := strings.ToLower(string(dt))
		if got := FromTensor(f32, dt).Data; !bytes.Equal(got, f.Tensors[name].Data) {
			t.Errorf("FromTensor(f32, %s) bytes %x, torch wrote %x", dt, got, f.Tensors[name].Data)
		}
	}
	ints, err := f.Tensors["i32"].Int64s()
	if err != nil || ints[4] != math.MinInt32 || ints[5] != math.MaxInt32 || ints[0] != -5 {
		t.Errorf("i32 = %v, %v", ints, err)
	}
	bs, err := f.Tensors["bool"].Bools()
	if err != nil || !bs[0] || bs[1] || bs[2] || !bs[3] {
		t.Errorf("bool = %v, %v", bs, err)
	}
	if _, err := f.Tensors["f32"].Int64s(); err == nil {
		t.Error("Int64s on F32 should fail")
	}
	if _, err := f.Tensor("nope"); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("missing tensor error = %v", err)
	}
}

// TestTracrReferenceFile reads a weights file written by the Python reference
// pipeline (shared reference data, tracr case 3).
func TestTracrReferenceFile(t *testing.T) {
	ts, md, err := Load("testdata/tracr_case3.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	if err := json.Unmarshal([]byte(md["residual_labels"]), &labels); err != nil {
		t.Fatalf("residual_labels metadata: %v", err)
	}
	we := ts["embed.W_E"]
	if we == nil || !tensor.SameShape(we.Shape, []int{6, len(labels)}) {
		t.Fatalf("embed.W_E = %v, want shape [6,%d]", we, len(labels))
	}
	one := -1
	for i, l := range labels {
		if l == "one" {
			one = i
		}
	}
	// Each token row is one-hot on its tokens:* label plus 1 on "one".
	for r := 0; r < 6; r++ {
		sum := float32(0)
		for c := range labels {
			sum += we.At(r, c)
		}
		if sum != 2 || we.At(r, one) != 1 {
			t.Errorf("W_E row %d sums to %v (one=%v), want one-hot + one", r, sum, we.At(r, one))
		}
	}
}

func TestRoundTripDeterministic(t *testing.T) {
	dir := t.TempDir()
	a := &tensor.Tensor{Shape: []int{2, 2}, Data: []float32{1, -2, 3.5, 1e-30}}
	b := &tensor.Tensor{Shape: []int{3}, Data: []float32{7, 8, 9}}
	s := &tensor.Tensor{Shape: []int{}, Data: []float32{42}}
	in := map[string]*tensor.Tensor{"zeta": a, "alpha": b, "scalar": s}
	p1, p2 := filepath.Join(dir, "1.safetensors"), filepath.Join(dir, "2.safetensors")
	md := map[string]string{"k": "v"}
	if err := Save(p1, in, md); err != nil {
		t.Fatal(err)
	}
	if err := Save(p2, in, md); err != nil {
		t.Fatal(err)
	}
	b1, _ := os.ReadFile(p1)
	b2, _ := os.ReadFile(p2)
	if !bytes.Equal(b1, b2) {
		t.Fatal("two saves of the same tensors differ")
	}
	if n := binary.LittleEndian.Uint64(b1); n%8 != 0 {
		t.Errorf("header length %d not a multiple of 8", n)
	}
	out, gotMD, err := Load(p1)
	if err != nil {
		t.Fatal(err)
	}
	if gotMD["k"] != "v" {
		t.Errorf("metadata %v", gotMD)
	}
	for n, w := range in {
		g := out[n]
		if g == nil || !tensor.SameShape(g.Shape, w.Shape) {
			t.Fatalf("%s: got %v", n, g)
		}
		for i := range w.Data {
			if g.Data[i] != w.Data[i] {
				t.Errorf("%s[%d] = %v want %v", n, i, g.Data[i], w.Data[i])
			}
		}
	}
	// The data section follows sorted name order.
	f, _ := Parse(b1, "x")
	names := f.Names()
	off := 0
	hdrEnd := 8 + int(binary.LittleEndian.Uint64(b1))
	for _, n := range names {
		d := f.Tensors[n].Data
		if !bytes.Equal(b1[hdrEnd+off:hdrEnd+off+len(d)], d) {
			t.Errorf("tensor %s not at offset %d", n, off)
		}
		off += len(d)
	}
	if err := Save(filepath.Join(dir, "bad"), map[string]*tensor.Tensor{"x": {Shape: []int{3}, Data: []float32{1}}}, nil); err == nil {
		t.Error("Save accepted a tensor whose shape disagrees with its data")
	}
}

func TestRawHelpers(t *testing.T) {
	i64, err := FromInt64s([]int64{-1, 1 << 40}, I64, 2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := FromInt64s([]int64{1 << 40}, I32, 1); err == nil {
		t.Error("I32 overflow accepted")
	}
	bl, _ := FromBools([]bool{true, false, true}, 3)
	f64, _ := FromFloat64s([]float64{math.Pi}, 1)
	enc, err := Encode(&File{Tensors: map[string]*Raw{"i": i64, "b": bl, "d": f64}})
	if err != nil {
		t.Fatal(err)
	}
	f, err := Parse(enc, "")
	if err != nil {
		t.Fatal(err)
	}
	iv, _ := f.Tensors["i"].Int64s()
	bv, _ := f.Tensors["b"].Bools()
	dv, _ := f.Tensors["d"].Float64s()
	if iv[0] != -1 || iv[1] != 1<<40 || !bv[0] || bv[1] || dv[0] != math.Pi {
		t.Errorf("round trip: %v %v %v", iv, bv, dv)
	}
}

func TestHalfConversions(t *testing.T) {
	cases := []struct {
		f float32
		h uint16
	}{
		{0, 0}, {1, 0x3c00}, {-2, 0xc000}, {65504, 0x7bff}, {65520, 0x7c00}, // rounds up to Inf
		{float32(math.Inf(-1)), 0xfc00}, {5.960464477539063e-08, 0x0001}, {6.103515625e-05, 0x0400},
		{1.0009765625, 0x3c01}, {1.00048828125, 0x3c00}, // tie → even
	}
	for _, c := range cases {
		if got := Float32ToHalf(c.f); got != c.h {
			t.Errorf("Float32ToHalf(%v) = %#04x, want %#04x", c.f, got, c.h)
		}
		if c.f != 65520 && c.f != 1.00048828125 {
			if back := HalfToFloat32(c.h); back != c.f {
				t.Errorf("HalfToFloat32(%#04x) = %v, want %v", c.h, back, c.f)
			}
		}
	}
	if !math.IsNaN(float64(HalfToFloat32(Float32ToHalf(float32(math.NaN()))))) {
		t.Error("NaN lost through half")
	}
	if Float32ToBFloat16(1) != 0x3f80 || Float32ToBFloat16(-0.5) != 0xbf00 {
		t.Error("bfloat16 of 1 / -0.5 wrong")
	}
}

// build makes a file with a hand-written header and data section.
func build(header string, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, uint64(len(header)))
	b.WriteString(header)
	b.Write(data)
	return b.Bytes()
}

func TestBadInput(t *testing.T) {
	huge := make([]byte, 8)
	binary.LittleEndian.PutUint64(huge, 1<<62)
	cases := []struct {
		name string
		file []byte
		want string // substring of the error
	}{
		{"short", []byte{1, 2, 3}, "shorter than the 8-byte"},
		{"huge header", huge, "exceeds the"},
		{"truncated header", build(`{"a":{}}`, nil)[:12], "truncated"},
		{"not json", build(`[1,2]   `, nil), "not a JSON object"},
		{"bad json", build(`{"a":   `, nil), "header JSON"},
		{"unknown dtype", build(`{"w":{"dtype":"F8","shape":[1],"data_offsets":[0,1]}}`, make([]byte, 1)), `tensor "w": unsupported dtype`},
		{"no shape", build(`{"w":{"dtype":"F32","data_offsets":[0,4]}}`, make([]byte, 4)), `tensor "w": missing shape`},
		{"offsets count", build(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}}`, make([]byte, 4)), "data_offsets must be"},
		{"out of range", build(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, make([]byte, 4)), "outside the 4-byte data section"},
		{"size mismatch", build(`{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, make([]byte, 8)), "needs 12 bytes"},
		{"negative dim", build(`{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, make([]byte, 4)), "negative dimension"},
		{"huge shape", build(`{"w":{"dtype":"F32","shape":[4294967296,4294967296,4],"data_offsets":[0,4]}}`, make([]byte, 4)), "larger than"},
		{"overlap", build(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, make([]byte, 8)), "overlap"},
		{"hole", build(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, make([]byte, 8)), "hole"},
		{"trailing data", build(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, make([]byte, 8)), "cover 4"},
		{"bad metadata", build(`{"__metadata__":{"a":1}}`, nil), "__metadata__ must be"},
		{"unknown field", build(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}}`, make([]byte, 4)), `tensor "w"`},
		{"trailing json", build(`{} {}`, nil), "trailing data"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(c.file, "case.safetensors")
			if err == nil {
				t.Fatalf("no error, want %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "case.safetensors") {
				t.Fatalf("error %q, want it to name the file and contain %q", err, c.want)
			}
		})
	}
	if _, err := ReadFile(filepath.Join(t.TempDir(), "missing.safetensors")); err == nil || !strings.Contains(err.Error(), "missing.safetensors") {
		t.Errorf("missing file error = %v", err)
	}
}

// TestSaveStreams checks that Save, which converts the values as it writes
// them, writes the bytes of Encode on FromTensor's copies (tensors larger
// than its buffer, metadata, an empty tensor).
func TestSaveStreams(t *testing.T) {
	big := make([]float32, 10007)
	for i := range big {
		big[i] = float32(i)*0.37 - 1000
	}
	ts := map[string]*tensor.Tensor{
		"b.big":   {Shape: []int{10007}, Data: big},
		"a.small": {Shape: []int{2, 3}, Data: []float32{1, -2, 3.5, 0, float32(math.Inf(1)), -0.25}},
		"c.empty": {Shape: []int{0}, Data: []float32{}},
	}
	md := map[string]string{"format": "test"}
	f := &File{Metadata: md, Tensors: map[string]*Raw{}}
	for n, x := range ts {
		f.Tensors[n] = FromTensor(x, F32)
	}
	want, err := Encode(f)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "s.safetensors")
	if err := Save(path, ts, md); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Save wrote %d bytes, Encode %d (or different bytes)", len(got), len(want))
	}
	if err := Save(path, map[string]*tensor.Tensor{"x": {Shape: []int{2}, Data: []float32{1}}}, nil); err == nil {
		t.Error("shape/data mismatch accepted")
	}
}
