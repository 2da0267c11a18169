package grad

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestGeluTwins checks geluRows (the AVX2 kernel where available) bit for
// bit against the pure-Go twin, with and without the derivative, over
// lengths that leave a remainder, offsets and the special values; where
// the CPU has AVX-512, with the AVX-512 kernel on and off.
func TestGeluTwins(t *testing.T) {
	for _, z := range []bool{false, true} {
		if z && !hasAVX512 {
			t.Log("no AVX-512 here: the AVX-512 kernel was not exercised")
			continue
		}
		withAVX512(z, func() { testGeluTwins(t) })
	}
}

func testGeluTwins(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	src := make([]float32, 1003)
	for i := range src {
		switch i % 7 {
		case 0:
			src[i] = float32(rng.NormFloat64() * 10)
		default:
			src[i] = float32(rng.Float64()*14 - 7)
		}
	}
	special := []float32{0, float32(math.Copysign(0, -1)), -6, 6, float32(math.Nextafter32(-6, 0)), float32(math.Nextafter32(6, 0)),
		float32(math.Nextafter32(-6, -7)), float32(math.Nextafter32(6, 7)), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 1e-30, -1e-30, 5.99999, -5.99999}
	copy(src[100:], special)
	copy(src[100+len(special):], special)                                                                                                                    // the same values in other lanes
	for _, tc := range []struct{ off, n int }{{0, 1003}, {1, 17}, {3, 4}, {0, 3}, {100, len(special)}, {100, 2 * len(special)}, {5, 0}, {7, 48}, {96, 64}} { // 64: the special values in both zmm of an AVX-512 pair
		s := src[tc.off : tc.off+tc.n]
		for _, withGrad := range []bool{false, true} {
			dst, want := make([]float32, tc.n), make([]float32, tc.n)
			var grad, wantG []float32
			if withGrad {
				grad, wantG = make([]float32, tc.n), make([]float32, tc.n)
			}
			geluRows(dst, grad, s)
			geluRowsGo(want, wantG, s)
			for i := range s {
				if math.Float32bits(dst[i]) != math.Float32bits(want[i]) {
					t.Fatalf("AVX-512 %v off %d n %d grad %v: gelu(%v) = %v, twin %v", useAVX512, tc.off, tc.n, withGrad, s[i], dst[i], want[i])
				}
				if withGrad && math.Float32bits(grad[i]) != math.Float32bits(wantG[i]) {
					t.Fatalf("AVX-512 %v off %d n %d: gelu'(%v) = %v, twin %v", useAVX512, tc.off, tc.n, s[i], grad[i], wantG[i])
				}
			}
		}
	}
	if !useAVX2 {
		t.Log("no AVX2 here: only the pure-Go twin was exercised")
	}
}

// TestExpNegTwins checks expNegRows (the AVX2 kernel where available) bit
// for bit against expNeg, including the lanes below -87, -Inf and NaN.
func TestExpNegTwins(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	x := make([]float32, 1005)
	for i := range x {
		x[i] = -float32(rng.ExpFloat64() * 5)
		if i%11 == 0 {
			x[i] = -float32(rng.Float64() * 100)
		}
	}
	copy(x[40:], []float32{0, float32(math.Copysign(0, -1)), -87, float32(math.Nextafter32(-87, 0)), -88, float32(math.Inf(-1)), float32(math.NaN()), -1e-30, -0.34657359, -0.3465736, -86.5, -0.5})
	for _, tc := range []struct{ off, n int }{{0, 1005}, {40, 12}, {3, 8}, {1, 7}, {2, 0}} {
		got := append([]float32(nil), x[tc.off:tc.off+tc.n]...)
		expNegRows(got)
		for i, v := range x[tc.off : tc.off+tc.n] {
			if want := expNeg(v); math.Float32bits(got[i]) != math.Float32bits(want) {
				t.Fatalf("off %d n %d: expNeg(%v) = %v, twin %v", tc.off, tc.n, v, got[i], want)
			}
		}
	}
}
