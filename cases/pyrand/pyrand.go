package pyrand

import (
	"errors"
	"fmt"
	"math/bits"
)

const (
	n         = 624
	m         = 397
	matrixA   = 0x9908b0df
	upperMask = 0x80000000
	lowerMask = 0x7fffffff
)

// Random is a Mersenne Twister generator with CPython's random.Random
// semantics. The zero value is not usable: create one with New.
type Random struct {
	mt  [n]uint32
	mti int
}

// New returns a generator in the state of CPython's random.Random(seed).
func New(seed int64) *Random {
	r := &Random{}
	r.Seed(seed)
	return r
}

// Seed re-seeds the generator like CPython's random.seed(seed) with an int:
// the key is the absolute value of seed split into 32-bit words, least
// significant first ([0] for seed 0), fed to init_by_array.
func (r *Random) Seed(seed int64) {
	u := uint64(seed)
	if seed < 0 {
		u = uint64(-seed) // two's complement also gives the right magnitude for MinInt64
	}
	var key []uint32
	for u != 0 {
		key = append(key, uint32(u))
		u >>= 32
	}
	if len(key) == 0 {
		key = []uint32{0}
	}
	r.initByArray(key)
}

func (r *Random) initGenrand(s uint32) {
	r.mt[0] = s
	for i := 1; i < n; i++ {
		r.mt[i] = 1812433253*(r.mt[i-1]^(r.mt[i-1]>>30)) + uint32(i)
	}
	r.mti = n
}

func (r *Random) initByArray(key []uint32) {
	r.initGenrand(19650218)
	i, j := 1, 0
	k := n
	if len(key) > k {
		k = len(key)
	}
	for ; k > 0; k-- {
		r.mt[i] = (r.mt[i] ^ ((r.mt[i-1] ^ (r.mt[i-1] >> 30)) * 1664525)) + key[j] + uint32(j)
		i++
		j++
		if i >= n {
			r.mt[0] = r.mt[n-1]
			i = 1
		}
		if j >= len(key) {
			j = 0
		}
	}
	for k = n - 1; k > 0; k-- {
		r.mt[i] = (r.mt[i] ^ ((r.mt[i-1] ^ (r.mt[i-1] >> 30)) * 1566083941)) - uint32(i)
		i++
		if i >= n {
			r.mt[0] = r.mt[n-1]
			i = 1
		}
	}
	r.mt[0] = 0x80000000
}

// Uint32 returns the next 32-bit output of MT19937 (genrand_uint32).
func (r *Random) Uint32() uint32 {
	if r.mti >= n {
		var kk int
		for kk = 0; kk < n-m; kk++ {
			y := (r.mt[kk] & upperMask) | (r.mt[kk+1] & lowerMask)
			r.mt[kk] = r.mt[kk+m] ^ (y >> 1) ^ (-(y & 1) & matrixA)
		}
		for ; kk < n-1; kk++ {
			y := (r.mt[kk] & upperMask) | (r.mt[kk+1] & lowerMask)
			r.mt[kk] = r.mt[kk+(m-n)] ^ (y >> 1) ^ (-(y & 1) & matrixA)
		}
		y := (r.mt[n-1] & upperMask) | (r.mt[0] & lowerMask)
		r.mt[n-1] = r.mt[m-1] ^ (y >> 1) ^ (-(y & 1) & matrixA)
		r.mti = 0
	}
	y := r.mt[r.mti]
	r.mti++
	y ^= y >> 11
	y ^= (y << 7) & 0x9d2c5680
	y ^= (y << 15) & 0xefc60000
	y ^= y >> 18
	return y
}

// GetRandBits returns a non-negative integer with k random bits, like
// random.getrandbits(k), for 0 <= k <= 64. For k > 32 CPython fills 32-bit
// words least significant first, the last word keeping its top bits.
func (r *Random) GetRandBits(k int) (uint64, error) {
	if k < 0 || k > 64 {
		return 0, fmt.Errorf("pyrand: getrandbits(%d): k must be in [0, 64]", k)
	}
	if k == 0 {
		return 0, nil
	}
	if k <= 32 {
		return uint64(r.Uint32() >> (32 - k)), nil
	}
	lo := uint64(r.Uint32())
	hi := uint64(r.Uint32() >> (64 - k))
	return lo | hi<<32, nil
}

// RandBelow returns an integer in [0, n) with CPython's
// _randbelow_with_getrandbits: draw k = n.bit_length() bits, retry while the
// result is >= n.
func (r *Random) RandBelow(n uint64) (uint64, error) {
	if n == 0 {
		return 0, errors.New("pyrand: randbelow(0): empty range")
	}
	k := bits.Len64(n)
	for {
		v, err := r.GetRandBits(k)
		if err != nil {
			return 0, err
		}
		if v < n {
			return v, nil
		}
	}
}

// RandRange returns an integer in [start, stop) like random.randrange(start, stop).
func (r *Random) RandRange(start, stop int64) (int64, error) {
	if stop <= start {
		return 0, fmt.Errorf("pyrand: empty range in randrange(%d, %d)", start, stop)
	}
	width := uint64(stop - start)
	v, err := r.RandBelow(width)
	if err != nil {
		return 0, err
	}
	return start + int64(v), nil
}

// RandInt returns an integer in [a, b] like random.randint(a, b).
func (r *Random) RandInt(a, b int64) (int64, error) {
	if b < a {
		return 0, fmt.Errorf("pyrand: empty range in randint(%d, %d)", a, b)
	}
	return r.RandRange(a, b+1)
}

// Choice returns the index random.choice would pick from a sequence of
// length n (seq[_randbelow(len(seq))]).
func (r *Random) Choice(n int) (int, error) {
	if n <= 0 {
		return 0, errors.New("pyrand: cannot choose from an empty sequence")
	}
	v, err := r.RandBelow(uint64(n))
	return int(v), err
}

// Float64 returns a float in [0, 1) like random.random() (53 random bits).
func (r *Random) Float64() float64 {
	a := r.Uint32() >> 5
	b := r.Uint32() >> 6
	return (float64(a)*67108864.0 + float64(b)) * (1.0 / 9007199254740992.0)
}
