package sae

import (
	"math"
	"math/bits"
	"unsafe"
)

// Batch de-duplication. The activations of compiled (tracr) models take few
// distinct values, so a training batch often repeats rows. A step on the
// distinct rows, each weighted by how often it occurs, has the same loss and
// gradients as the step on the whole batch (up to summation order).

// dedupeOK reports whether the training step of s may run on the batch's
// distinct rows. Per-row noise (noise_scale > 0) makes equal rows differ,
// and batch-level selections (batchtopk) need every row, so those stay
// per row (an architecture says so by its dedupe method).
func dedupeOK(s *SAE, w *workspace, o *stepOptions) bool {
	if o.noise != 0 {
		return false
	}
	a := s.arch()
	return a != nil && a.dedupe()
}

// dedupeTable is an open-addressing hash table from row contents to the
// index of the first occurrence of the row among the distinct rows.
type dedupeTable struct {
	slot []int32  // [pow2 ≥ 2B]: step row + 1, 0 = empty
	hash []uint64 // [B]: hash of each distinct row
	rows []float32
}

// rowWords views a row as 64-bit words (its last odd value, if any, is
// left to the callers' tails).
func rowWords(row []float32) []uint64 {
	if len(row) < 2 {
		return nil
	}
	return unsafe.Slice((*uint64)(unsafe.Pointer(&row[0])), len(row)/2)
}

// rowHash hashes the bits of a row (equal bits, equal hash): two
// multiply-rotate lanes over 64-bit words, then a final mix.
func rowHash(row []float32) uint64 {
	if len(row)%2 == 0 {
		return wordsHash(rowWords(row), len(row))
	}
	const k1, k2 = 0x9e3779b97f4a7c15, 0xc2b2ae3d27d4eb4f
	h0, h1 := uint64(len(row)), uint64(k1)
	ws := rowWords(row)
	i := 0
	for ; i+2 <= len(ws); i += 2 {
		h0 = bits.RotateLeft64((h0^ws[i])*k1, 29)
		h1 = bits.RotateLeft64((h1^ws[i+1])*k2, 31)
	}
	if i < len(ws) {
		h0 = bits.RotateLeft64((h0^ws[i])*k1, 29)
	}
	h1 = bits.RotateLeft64((h1^uint64(math.Float32bits(row[len(row)-1])))*k2, 31)
	h := h0 ^ bits.RotateLeft64(h1, 17)
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 29
	return h
}

// sameBits reports whether two rows of equal length are bit-for-bit equal.
func sameBits(a, b []float32) bool {
	wa, wb := rowWords(a), rowWords(b)
	wb = wb[:len(wa)]
	for i, v := range wa {
		if v != wb[i] {
			return false
		}
	}
	if len(a)%2 == 1 {
		return math.Float32bits(a[len(a)-1]) == math.Float32bits(b[len(a)-1])
	}
	return true
}

// dedupe gathers the distinct rows of the batch x ([B, d_in]) into the
// workspace (first occurrences, in batch order), sets w.u, w.mult and
// w.rowOf, and returns the distinct rows [u, d_in].
func (w *workspace) dedupe(x []float32) []float32 {
	B, D := w.b, w.d
	t := &w.dd
	if t.slot == nil {
		n := 16
		for n < 2*B {
			n <<= 1
		}
		t.slot = make([]int32, n)
		t.hash = make([]uint64, B)
		t.rows = make([]float32, B*D)
	}
	clear(t.slot)
	mask := uint64(len(t.slot) - 1)
	if D%2 == 0 {
		return w.dedupeWords(x, mask)
	}
	u := 0
	for k := 0; k < B; k++ {
		row := x[k*D : k*D+D]
		h := rowHash(row)
		i := h & mask
		for {
			e := t.slot[i]
			if e == 0 {
				copy(t.rows[u*D:u*D+D], row)
				t.hash[u] = h
				w.mult[u] = 1
				w.rowOf[k] = int32(u)
				u++
				t.slot[i] = int32(u)
				break
			}
			r := int(e - 1)
			if t.hash[r] == h && sameBits(row, t.rows[r*D:r*D+D]) {
				w.mult[r]++
				w.rowOf[k] = int32(r)
				break
			}
			i = (i + 1) & mask
		}
	}
	w.u = u
	return t.rows[:u*D]
}

// dedupeWords is dedupe for an even d_in: rows are hashed and compared as
// 64-bit words, in place.
func (w *workspace) dedupeWords(x []float32, mask uint64) []float32 {
	B, D := w.b, w.d
	t := &w.dd
	H := D / 2
	xw := rowWords(x[:B*D])
	rw := rowWords(t.rows[:B*D])
	u := 0
	for k := 0; k < B; k++ {
		row := xw[k*H : k*H+H]
		h := wordsHash(row, D)
		i := h & mask
		for {
			e := t.slot[i]
			if e == 0 {
				copy(rw[u*H:u*H+H], row)
				t.hash[u] = h
				w.mult[u] = 1
				w.rowOf[k] = int32(u)
				u++
				t.slot[i] = int32(u)
				break
			}
			r := int(e - 1)
			if t.hash[r] == h {
				same := true
				for j, v := range rw[r*H : r*H+len(row)] {
					if v != row[j] {
						same = false
						break
					}
				}
				if same {
					w.mult[r]++
					w.rowOf[k] = int32(r)
					break
				}
			}
			i = (i + 1) & mask
		}
	}
	w.u = u
	return t.rows[:u*D]
}

// wordsHash is rowHash of a row of n (even) values given as words.
func wordsHash(ws []uint64, n int) uint64 {
	const k1, k2 = 0x9e3779b97f4a7c15, 0xc2b2ae3d27d4eb4f
	h0, h1 := uint64(n), uint64(k1)
	i := 0
	for ; i+2 <= len(ws); i += 2 {
		h0 = bits.RotateLeft64((h0^ws[i])*k1, 29)
		h1 = bits.RotateLeft64((h1^ws[i+1])*k2, 31)
	}
	if i < len(ws) {
		h0 = bits.RotateLeft64((h0^ws[i])*k1, 29)
	}
	h := h0 ^ bits.RotateLeft64(h1, 17)
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 29
	return h
}
