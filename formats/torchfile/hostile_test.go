package torchfile

import (
	"archive/zip"
	"bytes"
	"io"
	"math"
	"os"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/glassbox-interp/glassbox/formats/safetensors"
)

// Hostile inputs (issue 15, items 9 and 10) come from
// scripts/torchfile_hostile.py; the same bytes seed the fuzz corpora.

func readHostile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/hostile/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// allocated runs fn and returns the bytes it allocated on the heap.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// within runs fn, failing the test if it takes longer than d.
func within(t *testing.T, d time.Duration, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(d):
		panic("still running after " + d.String() + ": unbounded work on a hostile input")
	}
}

func TestHostilePickles(t *testing.T) {
	cases := []struct {
		file string
		want string
	}{
		{"cyclic_list.pkl", "contains itself"},
		{"shared_dag.pkl", "more than"},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			b := readHostile(t, c.file)
			var err error
			n := allocated(func() {
				within(t, 10*time.Second, func() {
					_, err = ParseConfig(b)
				})
			})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want it to contain %q", err, c.want)
			}
			if n > 64<<20 {
				t.Errorf("allocated %d bytes for a %d-byte pickle", n, len(b))
			}
			if _, err := ParsePickle(b); err == nil {
				t.Error("ParsePickle accepted it")
			}
		})
	}
}

// TestSharedReferences: a value referenced twice (memo BINGET) is fine and
// comes out twice.
func TestSharedReferences(t *testing.T) {
	// a = [1]; pickle.dumps({'x': a, 'y': (a, a)}, protocol=2)
	b := []byte("\x80\x02}q\x00(X\x01\x00\x00\x00xq\x01]q\x02K\x01aX\x01\x00\x00\x00yq\x03h\x02h\x02\x86q\x04u.")
	got, err := ParseConfig(b)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"x": []any{1}, "y": []any{[]any{1}, []any{1}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v, want %#v", got, want)
	}
}

func TestPlainLimit(t *testing.T) {
	b := []byte("\x80\x02]q\x00(K\x01K\x02K\x03e.")
	v, err := PlainLimit(mustUnpickle(t, b), 3)
	if err == nil || !strings.Contains(err.Error(), "more than 3") {
		t.Errorf("limit 3 on a 4-node list: %v, %v", v, err)
	}
	v, err = PlainLimit(mustUnpickle(t, b), 4)
	if err != nil || !reflect.DeepEqual(v, []any{1, 2, 3}) {
		t.Errorf("limit 4 on a 4-node list: %v, %v", v, err)
	}
}

func mustUnpickle(t *testing.T, b []byte) any {
	t.Helper()
	v, _, err := (&reader{}).unpickle(b, 0)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestExpandedViews(t *testing.T) {
	for _, file := range []string{"expanded.pth", "expanded_legacy.pth"} {
		t.Run(file, func(t *testing.T) {
			b := readHostile(t, file)
			var err error
			n := allocated(func() { _, err = ParseStateDict(b) })
			if err == nil || !strings.Contains(err.Error(), "expanded") || !strings.Contains(err.Error(), `"a"`) {
				t.Fatalf("error %v, want it to name the expanded view and its key", err)
			}
			if n > 16<<20 {
				t.Errorf("allocated %d bytes for a %d-byte file", n, len(b))
			}
		})
	}
	// Small expansions (broadcast biases) are still materialised.
	st := &storage{key: "k", dtype: safetensors.F32, numel: 1, data: []byte{0, 0, 0x80, 0x3f}}
	g, err := gather(st, 0, []int{3, 2}, []int{0, 0})
	if err != nil || len(g.Data) != 24 {
		t.Fatalf("small expansion: %v", err)
	}
}

func TestDeflateBomb(t *testing.T) {
	b := readHostile(t, "deflate_bomb.pth") // 64 MiB of zeros, sizes declared honestly
	var err error
	n := allocated(func() { _, err = ParseStateDictLimits(b, Limits{MaxBytes: 16 << 20}) })
	if err == nil || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("error %v, want the byte limit", err)
	}
	if n > 4<<20 {
		t.Errorf("allocated %d bytes before refusing", n)
	}
	// A Check that refuses the tensor stops the load before any data is read.
	n = allocated(func() {
		_, err = ParseStateDictLimits(b, Limits{Check: func(name string, dt safetensors.DType, shape []int) error {
			if name == "a" && dt == safetensors.F32 && reflect.DeepEqual(shape, []int{1 << 24}) {
				return errTest
			}
			return nil
		}})
	})
	if err == nil || !strings.Contains(err.Error(), `"a": test refusal`) {
		t.Fatalf("Check error %v", err)
	}
	if n > 4<<20 {
		t.Errorf("allocated %d bytes before the Check refused", n)
	}
}

type testError struct{}

func (testError) Error() string { return "test refusal" }

var errTest = testError{}

// TestDeflateLie: the pickle declares 16 floats, the zip entry inflates to
// 16 MiB; only the declared 64 bytes are inflated.
func TestDeflateLie(t *testing.T) {
	b := readHostile(t, "deflate_lie.pth")
	var sd *StateDict
	var err error
	n := allocated(func() { sd, err = ParseStateDict(b) })
	if err != nil {
		t.Fatal(err)
	}
	if a := sd.Tensors["a"]; a == nil || len(a.Data) != 64 {
		t.Fatalf("tensor a: %+v", a)
	}
	if n > 4<<20 {
		t.Errorf("allocated %d bytes for 64 bytes of tensor data", n)
	}
}

// TestTotalLimit: the limit is on all tensors together, and a storage that
// the zip holds fewer bytes of than declared is an error before reading.
func TestTotalLimit(t *testing.T) {
	ts := []NamedTensor{
		{Name: "x", Shape: []int{1000}, DType: "float32", F32: make([]float32, 1000)},
		{Name: "y", Shape: []int{1000}, DType: "float32", F32: make([]float32, 1000)},
	}
	b, err := MarshalStateDict("m", ts)
	if err != nil {
		t.Fatal(err)
	}
	// Each tensor is its whole 4000-byte storage, read once and not copied.
	if _, err := ParseStateDictLimits(b, Limits{MaxBytes: 8000}); err != nil {
		t.Errorf("8000 bytes for two 4000-byte tensors: %v", err)
	}
	_, err = ParseStateDictLimits(b, Limits{MaxBytes: 7999})
	if err == nil || !strings.Contains(err.Error(), `"y"`) || !strings.Contains(err.Error(), "7999") {
		t.Errorf("7999-byte limit: %v", err)
	}
	// Declare more elements than the entry holds: 1000 → 1001 in the pickle.
	bad := rewriteEntry(t, b, "m/data.pkl", func(p []byte) []byte {
		q := bytes.Replace(p, []byte("X\x03\x00\x00\x00cpuM\xe8\x03"), []byte("X\x03\x00\x00\x00cpuM\xe9\x03"), 1)
		if bytes.Equal(p, q) {
			t.Fatal("pattern not found")
		}
		return q
	})
	_, err = ParseStateDict(bad)
	if err == nil || !strings.Contains(err.Error(), "4004") {
		t.Errorf("short storage: %v", err)
	}
}

// rewriteEntry copies a zip archive, passing entry name through edit.
func rewriteEntry(t *testing.T, b []byte, name string, edit func([]byte) []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if f.Name == name {
			data = edit(data)
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestDeepNesting: a list nested 5000 deep is an error, not a deep recursion.
func TestDeepNesting(t *testing.T) {
	b := []byte("\x80\x02")
	for i := 0; i < 5000; i++ {
		b = append(b, ']') // EMPTY_LIST
	}
	for i := 0; i < 4999; i++ {
		b = append(b, 'a') // APPEND
	}
	b = append(b, '.')
	_, err := ParsePickle(b)
	if err == nil || !strings.Contains(err.Error(), "nested deeper than 1000") {
		t.Fatalf("error %v", err)
	}
	// 500 levels are fine.
	b = []byte("\x80\x02")
	for i := 0; i < 500; i++ {
		b = append(b, ']')
	}
	for i := 0; i < 499; i++ {
		b = append(b, 'a')
	}
	if _, err := ParsePickle(append(b, '.')); err != nil {
		t.Fatal(err)
	}
}

// TestHugePickleFile: a config file over MaxPickleFile is refused before
// reading (sparse files: nothing is written to disk).
func TestHugePickleFile(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name, head, want string
	}{
		{"big.pkl", "\x80\x02}", "more than"},
		{"big.pth", "PK\x03\x04", "is a torch.save state dict (zip archive), not a pickle"},
	} {
		p := dir + "/" + c.name
		if err := os.WriteFile(p, []byte(c.head), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(p, MaxPickleFile+1); err != nil {
			t.Fatal(err)
		}
		var err error
		n := allocated(func() { _, err = ReadConfig(p) })
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.name) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
		if n > 1<<20 {
			t.Errorf("%s: allocated %d bytes", c.name, n)
		}
	}
}

// TestHugeLegacyFile: a non-zip file too large for the limit is refused
// before it is read whole.
func TestHugeLegacyFile(t *testing.T) {
	p := t.TempDir() + "/big.pth"
	if err := os.WriteFile(p, legacyHead, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(p, 300<<20); err != nil {
		t.Fatal(err)
	}
	var err error
	n := allocated(func() { _, err = ReadStateDictLimits(p, Limits{MaxBytes: 1 << 20}) })
	if err == nil || !strings.Contains(err.Error(), "legacy") || !strings.Contains(err.Error(), "big.pth") {
		t.Errorf("error %v", err)
	}
	if n > 1<<20 {
		t.Errorf("allocated %d bytes", n)
	}
}

// TestViewReachOverflow: strides whose reach overflows int64 are refused,
// not wrapped around into an index that panics.
func TestViewReachOverflow(t *testing.T) {
	st := &storage{key: "k", dtype: safetensors.F32, numel: 4, data: make([]byte, 16)}
	cases := []struct {
		off          int
		size, stride []int
		ok           bool
	}{
		{0, []int{16385, 2}, []int{1 << 50, 1}, false},
		{0, []int{5, 2}, []int{1 << 62, 1}, false},
		{0, []int{2, 2}, []int{math.MinInt, 1}, false},
		{3, []int{4}, []int{-1}, true},
		{3, []int{5}, []int{-1}, false},
		{0, []int{2, 2}, []int{2, 1}, true},
		{1, []int{2, 2}, []int{2, 1}, false},
		{4, []int{1}, []int{1}, false},
		{4, []int{0}, []int{1}, true},
		{0, []int{3, 1}, []int{1, 1 << 60}, true},
	}
	for _, c := range cases {
		_, err := gather(st, c.off, c.size, c.stride)
		if (err == nil) != c.ok {
			t.Errorf("gather(off %d, size %v, stride %v): %v", c.off, c.size, c.stride, err)
		}
	}
}
