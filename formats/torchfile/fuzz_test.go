package torchfile

import (
	"os"
	"testing"

	"github.com/glassbox-interp/glassbox/tensor"
)

func addFiles(f *testing.F, paths ...string) {
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// FuzzParseStateDict: arbitrary bytes never panic, and an accepted state
// dict only holds tensors whose data matches shape and dtype.
func FuzzParseStateDict(f *testing.F) {
	addFiles(f, "testdata/tensors.pth", "testdata/tensors_legacy.pth")
	f.Fuzz(func(t *testing.T, b []byte) {
		sd, err := ParseStateDictLimits(b, Limits{MaxBytes: 1 << 24}) // keep each input cheap
		if err != nil {
			return
		}
		for name, x := range sd.Tensors {
			if x.DType.Size()*tensor.NumElements(x.Shape) != len(x.Data) {
				t.Fatalf("tensor %q: %d bytes for %s %v", name, len(x.Data), x.DType, x.Shape)
			}
		}
	})
}

// FuzzParseConfig: arbitrary pickles never panic.
func FuzzParseConfig(f *testing.F) {
	addFiles(f, "testdata/cfg_dict_p0.pkl", "testdata/cfg_dict_p2.pkl", "testdata/cfg_dict_p4.pkl", "testdata/cfg_object.pkl")
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseConfig(b)
		if err == nil && m == nil {
			t.Fatal("nil config without error")
		}
	})
}
