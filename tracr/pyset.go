package tracr

import (
	"hash/fnv"
	"math"

	"github.com/glassbox-interp/glassbox/rasp"
)

// pySet reproduces CPython's set iteration order (setobject.c: open
// addressing with 9 linear probes then perturbed probing, resizing to 4×used
// at 60% fill) for values whose hash CPython computes deterministically:
// bool, int, float and tuples of them. tracr builds its value sets with
// Python sets, and when two equal values of different types meet (0 and
// 0.0, 1 and True) the set keeps the first one inserted; which one that is
// depends on the iteration order of the input set, which this emulates.
// Strings are hashed with a fixed hash (CPython randomises string hashes per
// process, so no order is reproducible for them; only the kept
// representative of equal values can matter, and strings have no equal
// values of another type).
type pySet struct {
	slots []pySlot
	used  int
	fill  int
	index map[string]bool
}

type pySlot struct {
	full bool
	hash uint64
	v    rasp.Value
}

const (
	pyHashBits    = 61
	pyHashModulus = (uint64(1) << pyHashBits) - 1
	linearProbes  = 9
	perturbShift  = 5
)

func newPySet() *pySet {
	return &pySet{slots: make([]pySlot, 8), index: map[string]bool{}}
}

// pyHash is CPython's hash() for bool, int, float and tuple values.
func pyHash(v rasp.Value) uint64 {
	switch x := v.(type) {
	case bool:
		if x {
			return 1
		}
		return 0
	case int:
		return hashInt(int64(x))
	case float64:
		return hashFloat(x)
	case rasp.Tuple:
		const p1, p2, p5 = uint64(11400714785074694791), uint64(14029467366897019727), uint64(2870177450012600261)
		acc := p5
		for _, e := range x {
			acc += pyHash(e) * p2
			acc = acc<<31 | acc>>33
			acc *= p1
		}
		acc += uint64(len(x)) ^ (p5 ^ 3527539)
		if acc == math.MaxUint64 {
			return 1546275796
		}
		return acc
	case string:
		h := fnv.New64a()
		h.Write([]byte(x))
		s := h.Sum64()
		if s == math.MaxUint64 {
			s--
		}
		return s
	}
	return 0
}

func hashInt(i int64) uint64 {
	neg := i < 0
	u := uint64(i)
	if neg {
		u = uint64(-i)
	}
	u %= pyHashModulus
	if neg {
		u = -u
	}
	if u == math.MaxUint64 { // -1 is reserved
		u = math.MaxUint64 - 1
	}
	return u
}

func hashFloat(v float64) uint64 {
	if math.IsInf(v, 1) {
		return 314159
	}
	if math.IsInf(v, -1) {
		return ^uint64(314159) + 1
	}
	if math.IsNaN(v) {
		return 0
	}
	if v == math.Trunc(v) && math.Abs(v) < 1<<62 {
		return hashInt(int64(v))
	}
	m, e := math.Frexp(v)
	sign := uint64(1)
	if m < 0 {
		sign = math.MaxUint64 // -1
		m = -m
	}
	var x uint64
	for m != 0 {
		x = ((x << 28) & pyHashModulus) | x>>(pyHashBits-28)
		m *= 268435456.0
		e -= 28
		y := uint64(m)
		m -= float64(y)
		x += y
		if x >= pyHashModulus {
			x -= pyHashModulus
		}
	}
	if e >= 0 {
		e = e % pyHashBits
	} else {
		e = pyHashBits - 1 - ((-1 - e) % pyHashBits)
	}
	x = ((x << uint(e)) & pyHashModulus) | x>>(pyHashBits-uint(e))
	x *= sign
	if x == math.MaxUint64 {
		x = math.MaxUint64 - 1
	}
	return x
}

// add inserts v unless an equal value is present.
func (s *pySet) add(v rasp.Value) {
	k := rasp.Key(v)
	if s.index[k] {
		return
	}
	s.index[k] = true
	h := pyHash(v)
	insertClean(s.slots, h, v)
	s.fill++
	s.used++
	mask := uint64(len(s.slots) - 1)
	if uint64(s.fill)*5 < mask*3 {
		return
	}
	minused := s.used * 4
	if s.used > 50000 {
		minused = s.used * 2
	}
	size := 8
	for size <= minused {
		size <<= 1
	}
	old := s.slots
	s.slots = make([]pySlot, size)
	for _, sl := range old {
		if sl.full {
			insertClean(s.slots, sl.hash, sl.v)
		}
	}
}

// insertClean places a value in the first free slot of its probe sequence
// (the table never holds an equal value here).
func insertClean(slots []pySlot, hash uint64, v rasp.Value) {
	mask := uint64(len(slots) - 1)
	perturb := hash
	i := hash & mask
	for {
		if !slots[i].full {
			slots[i] = pySlot{full: true, hash: hash, v: v}
			return
		}
		if i+linearProbes <= mask {
			for j := uint64(1); j <= linearProbes; j++ {
				if !slots[i+j].full {
					slots[i+j] = pySlot{full: true, hash: hash, v: v}
					return
				}
			}
		}
		perturb >>= perturbShift
		i = (i*5 + 1 + perturb) & mask
	}
}

// values returns the elements in CPython's iteration order.
func (s *pySet) values() []rasp.Value {
	out := make([]rasp.Value, 0, s.used)
	for _, sl := range s.slots {
		if sl.full {
			out = append(out, sl.v)
		}
	}
	return out
}

// len returns the number of elements.
func (s *pySet) len() int { return s.used }

// has reports whether a value equal to v is in the set.
func (s *pySet) has(v rasp.Value) bool { return s.index[rasp.Key(v)] }

// newPySetOf returns a set built by adding vs in order.
func newPySetOf(vs ...rasp.Value) *pySet {
	s := newPySet()
	for _, v := range vs {
		s.add(v)
	}
	return s
}
