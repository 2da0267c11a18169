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
)

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
	s := &Set{Data: make([]float32, 12*8), DIn: 8, HookName: "blocks.0.hook_mlp_out", ContextSize: 5}
	for i := range s.Data {
		s.Data[i] = float32(math.Sin(float64(i)))
	}
	for k := 0; k < 12; k++ {
		s.Row, s.Pos = append(s.Row, k/4), append(s.Pos, 1+k%4)
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
