package npy

import (
	"bytes"
	"encoding/binary"
	"math"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/glassbox-interp/glassbox/tensor"
)

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

// TestParse: float32 and float64 arrays decode; bad headers and sizes are
// errors naming the source.
func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name  string
		b     []byte
		shape []int
		err   string
	}{
		{"2x2", npyBytes("2, 2", []float32{1, 2, 3, 4}), []int{2, 2}, ""},
		{"vector", npyBytes("4,", []float32{1, 2, 3, 4}), []int{4}, ""},
		{"short data", npyBytes("3, 2", []float32{1, 2, 3}), nil, "data has 12 bytes"},
		{"bad magic", []byte("NUMPY\x01\x00\x00\x00"), nil, "bad magic"},
		{"header past the end", []byte("\x93NUMPY\x02\x00\xff\xff\xff\x00"), nil, "runs past the end"},
	} {
		tt, err := Parse(tc.b, "x.npy")
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "x.npy") {
				t.Errorf("%s: err %v, want %q naming x.npy", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil || !slices.Equal(tt.Shape, tc.shape) || tt.Data[3] != 4 {
			t.Errorf("%s: %v, %v", tc.name, tt, err)
		}
	}
}

// TestParseInPlace: aligned float32 data is returned without a copy (it
// shares the file's bytes), misaligned data is copied, and both decode to
// the same values.
func TestParseInPlace(t *testing.T) {
	vals := []float32{1.5, -2, 3.25, float32(math.Inf(1)), 0, -0.125}
	b := npyBytes("2, 3", vals)
	got, err := Parse(b, "aligned.npy")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Data, vals) {
		t.Fatalf("aligned: %v, want %v", got.Data, vals)
	}
	shared := &got.Data[0] == (*float32)(unsafe.Pointer(&b[len(b)-4*len(vals)]))
	if nativeLittleEndian && !shared {
		t.Errorf("aligned float32 data was copied on a little-endian machine")
	}
	// The same file one byte into a buffer: the data is misaligned.
	mis := append(make([]byte, 1, len(b)+1), b...)[1:]
	got2, err := Parse(mis, "misaligned.npy")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got2.Data, vals) {
		t.Fatalf("misaligned: %v, want %v", got2.Data, vals)
	}
	if &got2.Data[0] == (*float32)(unsafe.Pointer(&mis[len(mis)-4*len(vals)])) {
		t.Errorf("misaligned data was not copied")
	}
}

func FuzzParse(f *testing.F) {
	f.Add(npyBytes("2, 2", []float32{1, 2, 3, 4}))
	f.Add(npyBytes("4,", []float32{1, 2, 3, 4}))
	f.Add([]byte("\x93NUMPY\x02\x00\xff\xff\xff\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		tt, err := Parse(b, "fuzz")
		if err == nil && tensor.NumElements(tt.Shape) != len(tt.Data) {
			t.Fatal("shape does not match data")
		}
	})
}
