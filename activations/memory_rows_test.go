package activations

import (
	"math"
	"reflect"
	"testing"
)

// TestNextRowsMatchesNextBatch: two stores on the same data and seed, one
// read by NextBatch and one by NextRows, serve the same rows in the same
// order across epochs, and end in the same saved state.
func TestNextRowsMatchesNextBatch(t *testing.T) {
	const d, n = 3, 7
	data := make([]float32, n*d)
	for i := range data {
		data[i] = float32(i)
	}
	for _, shuffle := range []bool{false, true} {
		a, err := NewMemory(data, d, MemoryOptions{Seed: 5, Shuffle: shuffle, Repeat: true})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := NewMemory(data, d, MemoryOptions{Seed: 5, Shuffle: shuffle, Repeat: true})
		batch := make([]float32, 4*d)
		idx := make([]int32, 4)
		for step := 0; step < 9; step++ { // 36 rows: five epochs and a bit
			if err := a.NextBatch(batch); err != nil {
				t.Fatal(err)
			}
			if err := b.NextRows(idx); err != nil {
				t.Fatal(err)
			}
			for k, r := range idx {
				if !reflect.DeepEqual(batch[k*d:k*d+d], b.Rows()[int(r)*d:int(r)*d+d]) {
					t.Fatalf("shuffle=%v step %d row %d: NextRows gave table row %d, NextBatch %v", shuffle, step, k, r, batch[k*d:k*d+d])
				}
			}
		}
		sa, _ := a.MarshalState()
		sb, _ := b.MarshalState()
		if string(sa) != string(sb) {
			t.Errorf("shuffle=%v: state %s after NextBatch, %s after NextRows", shuffle, sa, sb)
		}
	}
	off, _ := NewMemory(data, d, MemoryOptions{})
	if err := off.NextRows(make([]int32, n+1)); err == nil {
		t.Error("NextRows past the end with repeat off: no error")
	}
}

func TestDistinctRows(t *testing.T) {
	nan := float32(math.NaN())
	negZero := float32(math.Copysign(0, -1))
	data := []float32{
		1, 2,
		0, 0,
		1, 2,
		negZero, 0, // -0 differs from 0 in its bits
		nan, 1,
		0, 0,
		nan, 1, // the same NaN bits
	}
	ids, n := DistinctRows(data, 2)
	want := []int32{0, 1, 0, 2, 3, 1, 3}
	if !reflect.DeepEqual(ids, want) || n != 4 {
		t.Errorf("DistinctRows = %v, %d; want %v, 4", ids, n, want)
	}
	m, err := NewMemory(data, 2, MemoryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, k := m.RowIDs(); !reflect.DeepEqual(got, want) || k != 4 {
		t.Errorf("RowIDs = %v, %d", got, k)
	}
}

// TestMemoryGivenRowIDs: a store given DistinctRows' ids returns them
// (the same slice, not a recount); ids of the wrong length or not in
// order of first occurrence are refused.
func TestMemoryGivenRowIDs(t *testing.T) {
	data := []float32{1, 2, 0, 0, 1, 2, 5, 5}
	ids, n := DistinctRows(data, 2)
	m, err := NewMemory(data, 2, MemoryOptions{RowIDs: ids})
	if err != nil {
		t.Fatal(err)
	}
	if got, k := m.RowIDs(); &got[0] != &ids[0] || k != n || k != 3 {
		t.Errorf("RowIDs = %v, %d; want the given %v, %d", got, k, ids, n)
	}
	for _, bad := range [][]int32{{0, 1, 0}, {0, 2, 0, 1}, {1, 0, 1, 2}, {0, -1, 0, 1}} {
		if _, err := NewMemory(data, 2, MemoryOptions{RowIDs: bad}); err == nil {
			t.Errorf("row ids %v: no error", bad)
		}
	}
}
