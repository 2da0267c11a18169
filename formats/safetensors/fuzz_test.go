package safetensors

import (
	"bytes"
	"os"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the reader: it must never panic, and
// whatever it accepts must re-encode to a file that parses to the same
// tensors.
func FuzzParse(f *testing.F) {
	for _, p := range []string{"testdata/dtypes.safetensors", "testdata/tracr_case3.safetensors"} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add(build(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, make([]byte, 4)))
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := Parse(b, "fuzz")
		if err != nil {
			return
		}
		for _, n := range file.Names() {
			if _, err := file.Tensors[n].Tensor(); err != nil {
				t.Fatalf("accepted tensor %q does not convert: %v", n, err)
			}
		}
		enc, err := Encode(file)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		again, err := Parse(enc, "re-encoded")
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if len(again.Tensors) != len(file.Tensors) {
			t.Fatalf("%d tensors after round trip, want %d", len(again.Tensors), len(file.Tensors))
		}
		for n, r := range file.Tensors {
			if !bytes.Equal(again.Tensors[n].Data, r.Data) || again.Tensors[n].DType != r.DType {
				t.Fatalf("tensor %q changed in round trip", n)
			}
		}
	})
}
