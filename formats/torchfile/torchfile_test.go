package torchfile

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/glassbox-interp/glassbox/formats/safetensors"
)

type expectTensor struct {
	DType  string `json:"dtype"`
	Shape  []int  `json:"shape"`
	Values []any  `json:"values"`
}

func loadExpect(t *testing.T) map[string]expectTensor {
	t.Helper()
	b, err := os.ReadFile("testdata/tensors.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]expectTensor
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func num(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case string:
		switch x {
		case "-inf":
			return math.Inf(-1)
		case "inf":
			return math.Inf(1)
		}
	}
	return math.NaN()
}

var torchToST = map[string]safetensors.DType{
	"float32": safetensors.F32, "float64": safetensors.F64, "float16": safetensors.F16, "bfloat16": safetensors.BF16,
	"int64": safetensors.I64, "int32": safetensors.I32, "uint8": safetensors.U8, "bool": safetensors.Bool,
}

// TestStateDicts reads torch.save files (zip and legacy) made by
// scripts/model_fixtures.py: views with strides, storage offsets, shared
// storages, stride-0 expansions, parameters and many dtypes.
func TestStateDicts(t *testing.T) {
	want := loadExpect(t)
	for _, file := range []string{"testdata/tensors.pth", "testdata/tensors_legacy.pth"} {
		t.Run(file, func(t *testing.T) {
			sd, err := ReadStateDict(file)
			if err != nil {
				t.Fatal(err)
			}
			if len(sd.Tensors) != len(want) {
				t.Errorf("%d tensors (%v), want %d", len(sd.Tensors), sd.Names(), len(want))
			}
			for name, w := range want {
				got := sd.Tensors[name]
				if got == nil {
					t.Errorf("missing %q", name)
					continue
				}
				if got.DType != torchToST[w.DType] {
					t.Errorf("%s: dtype %s, want %s", name, got.DType, w.DType)
				}
				if len(got.Shape) != len(w.Shape) {
					t.Errorf("%s: shape %v, want %v", name, got.Shape, w.Shape)
					continue
				}
				for i := range w.Shape {
					if got.Shape[i] != w.Shape[i] {
						t.Errorf("%s: shape %v, want %v", name, got.Shape, w.Shape)
					}
				}
				vals, err := got.Float64s()
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				for i, wv := range w.Values {
					if vals[i] != num(wv) {
						t.Errorf("%s[%d] = %v, want %v", name, i, vals[i], wv)
					}
				}
			}
		})
	}
}

func TestConfigs(t *testing.T) {
	b, err := os.ReadFile("testdata/cfg.json")
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]any
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{"cfg_dict_p0.pkl", "cfg_dict_p2.pkl", "cfg_dict_p4.pkl", "cfg_object.pkl"} {
		t.Run(file, func(t *testing.T) {
			got, err := ReadConfig("testdata/" + file)
			if err != nil {
				t.Fatal(err)
			}
			for k, wv := range want {
				gv, ok := got[k]
				if !ok {
					t.Errorf("key %q missing", k)
					continue
				}
				if k == "device" {
					continue // a string in the dict, torch.device in the object
				}
				if !sameJSON(gv, wv) {
					t.Errorf("%s = %#v, want %#v", k, gv, wv)
				}
			}
			if file == "cfg_object.pkl" && got["device"] != "cpu" {
				t.Errorf("torch.device('cpu') read as %#v", got["device"])
			}
			if len(got) != len(want) {
				t.Errorf("%d keys, want %d", len(got), len(want))
			}
		})
	}
}

// sameJSON compares a decoded pickle value with a JSON-decoded one.
func sameJSON(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(ja, jb)
}

func TestBadFiles(t *testing.T) {
	good, err := os.ReadFile("testdata/tensors.pth")
	if err != nil {
		t.Fatal(err)
	}
	// A zip whose data.pkl references a storage entry that is missing.
	var noStorage bytes.Buffer
	{
		zr, _ := zip.NewReader(bytes.NewReader(good), int64(len(good)))
		zw := zip.NewWriter(&noStorage)
		for _, f := range zr.File {
			if strings.HasSuffix(f.Name, "/data/0") {
				continue
			}
			w, _ := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Store})
			rc, _ := f.Open()
			b := new(bytes.Buffer)
			b.ReadFrom(rc)
			w.Write(b.Bytes())
		}
		zw.Close()
	}
	// A zip with a corrupted pickle opcode.
	var badPickle bytes.Buffer
	{
		zw := zip.NewWriter(&badPickle)
		w, _ := zw.Create("archive/data.pkl")
		w.Write([]byte{0x80, 0x02, 0xff, 0xfe})
		zw.Close()
	}
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "not a torch file"},
		{"truncated zip", good[:len(good)/2], "zip"},
		{"garbage", []byte("PK\x03\x04 not really a zip"), "zip"},
		{"missing storage", noStorage.Bytes(), `storage "0"`},
		{"bad opcode", badPickle.Bytes(), "unknown pickle opcode 0xff at byte 2"},
		{"truncated pickle", append([]byte("PK"), 0), "not a torch file"},
		{"plain pickle not dict", []byte("\x80\x02K\x05."), "not a torch file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseStateDict(c.data)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want it to contain %q", err, c.want)
			}
		})
	}
	if _, err := ReadStateDict("testdata/nope.pth"); err == nil || !strings.Contains(err.Error(), "nope.pth") {
		t.Errorf("missing file error %v", err)
	}
	if _, err := ParseConfig([]byte("\x80\x02K\x05.")); err == nil || !strings.Contains(err.Error(), "want a dict") {
		t.Errorf("int pickle as config: %v", err)
	}
	if _, err := ParseConfig([]byte("\x80\x02}q\x00(X\x01\x00\x00\x00aq")); err == nil {
		t.Error("truncated pickle accepted")
	}
}

func TestGatherBounds(t *testing.T) {
	st := &storage{key: "k", dtype: safetensors.F32, numel: 4, data: make([]byte, 16)}
	if _, err := gather(st, 2, []int{3}, []int{1}); err == nil || !strings.Contains(err.Error(), `storage "k"`) {
		t.Errorf("out-of-range view: %v", err)
	}
	if _, err := gather(st, 0, []int{2, 2}, []int{-1, 1}); err == nil {
		t.Error("negative reach accepted")
	}
	g, err := gather(st, 3, []int{0, 5}, []int{100, 100})
	if err != nil || len(g.Data) != 0 {
		t.Errorf("empty view: %v %v", g, err)
	}
}

func TestRawUnicodeEscape(t *testing.T) {
	cases := map[string]string{
		"abc":            "abc",
		"\xcd;\x7f":      "Í;\x7f",
		`a\u005cb\u000a`: "a\\b\n",
		`\U0001F600`:     "😀",
		`\u12`:           `\u12`,
	}
	for in, want := range cases {
		if got := decodeRawUnicodeEscape([]byte(in)); got != want {
			t.Errorf("decode(%q) = %q, want %q", in, got, want)
		}
	}
	// A protocol-0 pickle of the string "é\n" reads back intact.
	v, err := ParsePickle([]byte("V\xe9\\u000a\np0\n."))
	if err != nil || v != "é\n" {
		t.Errorf("protocol-0 unicode = %q, %v", v, err)
	}
}
