package sae

import "math"

// orderKey maps a float32 to a uint32 that orders like the value: larger
// value, larger key. Both zeros map to the key of +0 (they compare equal).
func orderKey(v float32) uint32 {
	u := math.Float32bits(v)
	if u == 0x80000000 {
		u = 0
	}
	return u ^ (uint32(int32(u)>>31) | 0x80000000)
}

// keyHistBins is the size of the radix-select histogram (11 bits a level).
const keyHistBins = 2048

// keySelect holds the scratch of selectTop.
type keySelect struct {
	hist   [keyHistBins]int32
	coarse [keyHistBins / 32]int32 // hist summed over 32 bins
	cand   []int32
	cand2  []int32
	keys   []uint32
	small  [keySmall]uint32
}

// keySmall is the candidate count below which selectTop sorts the
// candidates' keys instead of running another histogram level.
const keySmall = 48

// topBin returns the histogram bin holding the need-th largest counted key
// and how many of that bin's keys are needed, scanning down from bin hi
// (32 bins at a time through the coarse counts), and clears the counts.
func (ks *keySelect) topBin(hi uint32, need int) (uint32, int) {
	c := int(hi >> 5)
	for ; c > 0; c-- {
		n := int(ks.coarse[c])
		if n >= need {
			break
		}
		need -= n
	}
	t := min(int(hi), c<<5+31)
	for ; t > c<<5; t-- {
		n := int(ks.hist[t])
		if n >= need {
			break
		}
		need -= n
	}
	return uint32(t), need
}

// selectTop writes into out the k entries of idx with the largest values
// pre[idx[p]] — ties: the lower position p first, as greaterAt orders
// ascending indices — in position order, and returns out[:k]. It needs
// 0 < k < len(idx) and len(out) ≥ k+1. It is a radix select on the
// values' order keys: a histogram of bits 31–21 while the keys are
// gathered, then over the keys in the bin holding the k-th largest, bits
// 20–10 and 9–0 (or, for few of them, a sort), find the k-th largest key
// T; a last pass over the positions whose bin is not below T's keeps every
// key above T and the first positions holding T.
func (ks *keySelect) selectTop(pre []float32, idx []int32, k int, out []int32) []int32 {
	n := len(idx)
	if cap(ks.cand) < n {
		ks.cand, ks.cand2, ks.keys = make([]int32, n), make([]int32, n), make([]uint32, n)
	}
	keys := ks.keys[:n]
	h, hc := &ks.hist, &ks.coarse
	// Level 1 while gathering the keys.
	var mx uint32
	for p, i := range idx {
		key := orderKey(pre[i])
		keys[p] = key
		b := key >> 21
		h[b]++
		hc[b>>5]++
		mx = max(mx, key)
	}
	tb, need := ks.topBin(mx>>21, k)
	clear(h[:])
	clear(hc[:])
	// cand: the positions whose bin is tb or above; cand2: those in tb.
	cand := ks.cand[:n]
	m := 0
	for p, key := range keys {
		cand[m] = int32(p)
		m += int((uint64(tb) - uint64(key>>21) - 1) >> 63)
	}
	cand = cand[:m]
	cand2 := ks.cand2[:m]
	m = 0
	for _, p := range cand {
		cand2[m] = p
		m += int((uint64((keys[p]>>21)^tb) - 1) >> 63)
	}
	cand2 = cand2[:m]
	T, ties := tb<<21, need
	// Levels 2 and 3 over the keys sharing the bits above the level,
	// until few enough are left to sort.
	for _, lv := range [2]struct{ shift, mask uint32 }{{10, 2047}, {0, 1023}} {
		if len(cand2) <= keySmall {
			break
		}
		lmx := uint32(0)
		for _, p := range cand2 {
			b := keys[p] >> lv.shift & lv.mask
			h[b]++
			hc[b>>5]++
			lmx = max(lmx, b)
		}
		tb, need = ks.topBin(lmx, need)
		for _, p := range cand2 {
			b := keys[p] >> lv.shift & lv.mask
			h[b] = 0
			hc[b>>5] = 0
		}
		m := 0
		for _, p := range cand2 {
			cand2[m] = p
			m += int((uint64((keys[p]>>lv.shift&lv.mask)^tb) - 1) >> 63)
		}
		cand2 = cand2[:m]
		T |= tb << lv.shift
		ties = need
	}
	if len(cand2) <= keySmall && len(cand2) > 1 {
		// Sort the remaining keys, largest first.
		sk := ks.small[:len(cand2)]
		for t, p := range cand2 {
			x := keys[p]
			j := t
			for j > 0 && sk[j-1] < x {
				sk[j] = sk[j-1]
				j--
			}
			sk[j] = x
		}
		T = sk[need-1]
		first := need - 1
		for first > 0 && sk[first-1] == T {
			first--
		}
		ties = need - first
	} else if len(cand2) == 1 {
		T, ties = keys[cand2[0]], 1
	}
	// T is the k-th largest key; ties of its positions are taken.
	m = 0
	for _, p := range cand {
		key := keys[p]
		out[m] = idx[p]
		m += int((uint64(T) - uint64(key)) >> 63) // key > T
		if key == T && ties > 0 {
			out[m] = idx[p]
			m++
			ties--
		}
	}
	return out[:m]
}

// firstAbove returns the smallest i with v[i] > t, or len(v) (AVX2: eight
// comparisons an instruction while nothing is above t).
func firstAbove(v []float32, t float32) int {
	i := 0
	if useAVX2 && len(v) >= 8 {
		n8 := len(v) &^ 7
		if i = firstAboveAVX2(&v[0], n8, t); i < n8 {
			return i
		}
	}
	for ; i < len(v); i++ {
		if v[i] > t {
			return i
		}
	}
	return len(v)
}
