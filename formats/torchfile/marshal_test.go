package torchfile

import (
	"bytes"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestMarshalPickleRoundTrip: every supported value reads back through this
// package's own unpickler as Plain describes.
func TestMarshalPickleRoundTrip(t *testing.T) {
	huge, _ := new(big.Int).SetString("-123456789012345678901234567890", 10)
	cases := []struct {
		name string
		in   any
		want any
	}{
		{"none", nil, nil},
		{"true", true, true},
		{"false", false, false},
		{"int1", 7, 7},
		{"int2", 300, 300},
		{"int4 negative", -3, -3},
		{"int4 max", math.MaxInt32, math.MaxInt32},
		{"int4 min", math.MinInt32, math.MinInt32},
		{"long", int64(1) << 40, 1 << 40},
		{"long negative", -(int64(1) << 40), -(1 << 40)},
		{"long min", int64(math.MinInt64), math.MinInt64},
		{"long -2^31-1", int64(math.MinInt32) - 1, math.MinInt32 - 1},
		{"long 2^31", int64(1) << 31, 1 << 31},
		{"uint64 max", uint64(math.MaxUint64), new(big.Int).SetUint64(math.MaxUint64)},
		{"big", huge, huge},
		{"float", 1.5, 1.5},
		{"float32", float32(0.25), 0.25},
		{"float inf", math.Inf(-1), math.Inf(-1)},
		{"string", "héllo\n", "héllo\n"},
		{"empty string", "", ""},
		{"bytes", []byte{0, 0xff, 'a'}, []byte{0, 0xff, 'a'}},
		{"empty list", []any{}, []any{}},
		{"list", []any{1, "a", nil}, []any{1, "a", nil}},
		{"typed list", []string{"a", "b"}, []any{"a", "b"}},
		{"int list", []int{1, 2, 3}, []any{1, 2, 3}},
		{"tuples", Tuple{}, []any{}},
		{"tuple1", Tuple{1}, []any{1}},
		{"tuple3", Tuple{1, 2, 3}, []any{1, 2, 3}},
		{"tuple5", Tuple{1, 2, 3, 4, 5}, []any{1, 2, 3, 4, 5}},
		{"list of string tuples", [][2]string{{"a", "b"}}, []any{[]any{"a", "b"}}},
		{"list of Tuples", []Tuple{{"a", "b"}, {"c", "d"}}, []any{[]any{"a", "b"}, []any{"c", "d"}}},
		{"dtype", Global{"torch", "float32"}, "float32"},
		{"device", Reduce{Global{"torch", "device"}, Tuple{"cpu"}}, "cpu"},
		{"dict", &Dict{Keys: []any{"b", "a"}, Values: []any{1, Tuple{2}}}, map[string]any{"b": 1, "a": []any{2}}},
		{"map", map[string]any{"z": 1.0, "a": []any{}}, map[string]any{"z": 1.0, "a": []any{}}},
		{"map of ints", map[string]int{"x": 1}, map[string]any{"x": 1}},
		{"int key", &Dict{Keys: []any{1, Tuple{"k", 2}}, Values: []any{"one", "two"}}, map[string]any{"1": "one", "(k, 2)": "two"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := MarshalPickle(c.in)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ParsePickle(b)
			if err != nil {
				t.Fatalf("%v (pickle %q)", err, b)
			}
			if bi, ok := c.want.(*big.Int); ok {
				if g, ok := got.(*big.Int); !ok || g.Cmp(bi) != 0 {
					t.Fatalf("got %v, want %v", got, bi)
				}
				return
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %#v, want %#v (pickle %q)", got, c.want, b)
			}
		})
	}
}

// TestMarshalPickleBytes pins the encoding to the opcodes CPython's own
// protocol-2 pickler uses for the same values (less its memo puts).
func TestMarshalPickleBytes(t *testing.T) {
	cases := []struct {
		in   any
		want string
	}{
		{&Dict{Keys: []any{"dtype"}, Values: []any{Global{"torch", "float32"}}},
			"\x80\x02}(X\x05\x00\x00\x00dtypectorch\nfloat32\nu."},
		{[]any{Tuple{"a", "b"}}, "\x80\x02](X\x01\x00\x00\x00aX\x01\x00\x00\x00b\x86e."},
		{1.5, "\x80\x02G?\xf8\x00\x00\x00\x00\x00\x00."},
		{-3, "\x80\x02J\xfd\xff\xff\xff."},
		{int64(1) << 40, "\x80\x02\x8a\x06\x00\x00\x00\x00\x00\x01."},
		{-(int64(1) << 40), "\x80\x02\x8a\x06\x00\x00\x00\x00\x00\xff."},
		{int64(255), "\x80\x02K\xff."},
		{int64(-1), "\x80\x02J\xff\xff\xff\xff."},
		{int64(1) << 31, "\x80\x02\x8a\x05\x00\x00\x00\x80\x00."},
		{nil, "\x80\x02N."},
	}
	for _, c := range cases {
		b, err := MarshalPickle(c.in)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != c.want {
			t.Errorf("MarshalPickle(%#v) = %q, want %q", c.in, b, c.want)
		}
	}
	// Map keys are sorted, so the bytes do not depend on map order.
	m := map[string]any{}
	for _, k := range strings.Fields("q w e r t y u i o p a s d f g h j k l") {
		m[k] = k
	}
	first, _ := MarshalPickle(m)
	for i := 0; i < 20; i++ {
		if b, _ := MarshalPickle(m); !bytes.Equal(b, first) {
			t.Fatal("map encoding is not deterministic")
		}
	}
}

func TestMarshalPickleErrors(t *testing.T) {
	self := []any{nil}
	self[0] = self
	type point struct{ X int }
	cases := []struct {
		name string
		in   any
		want string
	}{
		{"struct", point{1}, "torchfile.point cannot be pickled"},
		{"nested struct", map[string]any{"cfg": []any{1, point{}}}, `value["cfg"][1]: torchfile.point cannot be pickled`},
		{"chan", make(chan int), "cannot be pickled"},
		{"bad utf8", "a\xffb", "not valid UTF-8"},
		{"list key", &Dict{Keys: []any{[]any{1}}, Values: []any{1}}, "cannot be a dict key"},
		{"dict sizes", &Dict{Keys: []any{"a"}}, "1 keys and 0 values"},
		{"duplicate key", &Dict{Keys: []any{"a", "a"}, Values: []any{1, 2}}, `key a appears twice`},
		{"int map", map[int]any{1: 2}, "map with int keys"},
		{"cycle", self, "nested deeper than"},
		{"bad global", Global{"torch", ""}, "must be non-empty"},
		{"newline global", Global{"os\nsystem", "x"}, "must be non-empty single-line"},
		{"nil dict", (*Dict)(nil), "nil *Dict"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := MarshalPickle(c.in)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want it to contain %q", err, c.want)
			}
		})
	}
}

func TestDictSetGet(t *testing.T) {
	var d Dict
	d.Set("a", 1)
	d.Set("b", 2)
	d.Set("a", 3)
	if d.Len() != 2 || !reflect.DeepEqual(d.Keys, []any{"a", "b"}) || !reflect.DeepEqual(d.Values, []any{3, 2}) {
		t.Fatalf("dict %+v", d)
	}
	if v, ok := d.Get("a"); !ok || v != 3 {
		t.Errorf("Get(a) = %v, %v", v, ok)
	}
	if _, ok := d.Get("c"); ok {
		t.Error("Get(c) found")
	}
}

func TestWritePickle(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "cfg.pkl")
	cfg := &Dict{Keys: []any{"d_model", "dtype"}, Values: []any{12, Global{"torch", "float32"}}}
	if err := WritePickle(p, cfg); err != nil {
		t.Fatal(err)
	}
	got, err := ReadConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, map[string]any{"d_model": 12, "dtype": "float32"}) {
		t.Errorf("read back %#v", got)
	}
	if err := WritePickle(filepath.Join(dir, "bad.pkl"), make(chan int)); err == nil || !strings.Contains(err.Error(), "bad.pkl") {
		t.Errorf("unsupported value: %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("directory holds %d entries, want only cfg.pkl", len(ents))
	}
}
