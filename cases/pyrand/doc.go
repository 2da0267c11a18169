// Package pyrand reproduces the integer-sampling methods of CPython's
// random.Random (the Mersenne Twister MT19937) bit for bit, so that Go code can
// draw the same "random" data as a Python script seeded with the same integer.
//
// It owns only what circuits-benchmark's data sampling and vocabularies need:
// seeding from an integer (init_by_array on the absolute value's 32-bit
// words), getrandbits, the rejection sampler _randbelow, randint, randrange,
// choice and random(). The behaviour matches CPython 3.2 and later (the seeding
// of integers and _randbelow_with_getrandbits have been stable since then).
package pyrand
