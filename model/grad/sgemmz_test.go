package grad

import (
	"math"
	"math/rand/v2"
	"testing"
)

// withAVX512 runs f with the AVX-512 kernels switched on or off,
// restoring the switch afterwards.
func withAVX512(on bool, f func()) {
	old := useAVX512
	useAVX512 = on
	defer func() { useAVX512 = old }()
	f()
}

// TestSgemmAVX512MatchesAVX2 runs sgemm and sgemmInit on random shapes
// (every column-block split, row counts around the 8/6/4/2/1-row tiles,
// the strides of the forward products and of the weight gradients) with
// the AVX-512 kernels and with the AVX2 ones, and requires the same bits
// from both and from explicitly fused multiply-adds; columns past n must
// stay untouched.
func TestSgemmAVX512MatchesAVX2(t *testing.T) {
	if !hasAVX512 {
		t.Skip("no AVX-512 here: only the AVX2 path runs")
	}
	rng := rand.New(rand.NewPCG(12, 512))
	widths := []int{8, 16, 24, 32, 40, 48, 56, 64, 72, 96, 112, 144, 200, 208}
	for it := 0; it < 300; it++ {
		m, k := 1+rng.IntN(60), 1+rng.IntN(70)
		n := widths[it%len(widths)]
		if it%7 == 0 {
			m = 1 + rng.IntN(8)
		}
		ldc, ldb := n+8*rng.IntN(3), n+8*rng.IntN(3)
		sar, sak := k+rng.IntN(3), 1
		if it%3 == 1 { // A = Xᵀ, read down its columns
			sar, sak = 1, m+rng.IntN(9)
		}
		a := randFloats(rng, (m-1)*sar+(k-1)*sak+1)
		b := randFloats(rng, (k-1)*ldb+n+rng.IntN(2)*8)
		c := randFloats(rng, (m-1)*ldc+n+rng.IntN(2)*8)
		bias := randFloats(rng, n)
		var x []float32
		if it%2 == 0 {
			x = randFloats(rng, len(c))
		}
		fused := append([]float32(nil), c...)
		sgemmFMA(fused, ldc, a, sar, sak, b, ldb, m, k, n)
		var z, y []float32
		withAVX512(true, func() {
			z = append([]float32(nil), c...)
			sgemm(z, ldc, a, sar, sak, b, ldb, m, k, n)
		})
		withAVX512(false, func() {
			y = append([]float32(nil), c...)
			sgemm(y, ldc, a, sar, sak, b, ldb, m, k, n)
		})
		for i := range c {
			if math.Float32bits(z[i]) != math.Float32bits(y[i]) || math.Float32bits(z[i]) != math.Float32bits(fused[i]) {
				t.Fatalf("sgemm m %d k %d n %d ldc %d ldb %d sar %d sak %d: element %d: AVX-512 %v, AVX2 %v, fused Go %v",
					m, k, n, ldc, ldb, sar, sak, i, z[i], y[i], fused[i])
			}
		}
		start := append([]float32(nil), c...)
		for r := 0; r < m; r++ {
			for j := 0; j < n; j++ {
				start[r*ldc+j] = bias[j]
				if x != nil {
					start[r*ldc+j] = x[r*ldc+j] + bias[j]
				}
			}
		}
		sgemmFMA(start, ldc, a, sar, sak, b, ldb, m, k, n)
		withAVX512(true, func() {
			z = append(z[:0], c...)
			sgemmInit(z, ldc, a, sar, sak, b, ldb, m, k, n, x, bias)
		})
		withAVX512(false, func() {
			y = append(y[:0], c...)
			sgemmInit(y, ldc, a, sar, sak, b, ldb, m, k, n, x, bias)
		})
		for i := range c {
			if math.Float32bits(z[i]) != math.Float32bits(y[i]) || math.Float32bits(z[i]) != math.Float32bits(start[i]) {
				t.Fatalf("sgemmInit m %d k %d n %d x %v: element %d: AVX-512 %v, AVX2 %v, fused Go %v",
					m, k, n, x != nil, i, z[i], y[i], start[i])
			}
		}
	}
}

// TestZBlock pins the column split of the AVX-512 path: blocks of three
// zmm, a four rather than a three and a one, and every width covered.
func TestZBlock(t *testing.T) {
	for _, tc := range []struct {
		q    int
		want []int
	}{
		{1, []int{1}}, {2, []int{2}}, {3, []int{3}}, {4, []int{4}}, {5, []int{3, 2}},
		{7, []int{3, 4}}, {9, []int{3, 3, 3}}, {13, []int{3, 3, 3, 4}},
	} {
		var got []int
		for q := tc.q; q > 0; q -= got[len(got)-1] {
			got = append(got, zBlock(q))
		}
		if len(got) != len(tc.want) {
			t.Fatalf("q %d: blocks %v, want %v", tc.q, got, tc.want)
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Fatalf("q %d: blocks %v, want %v", tc.q, got, tc.want)
			}
		}
	}
}

// randFloats returns n values in [-2, 2) with varied exponents (so that
// rounding differences would show).
func randFloats(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = (rng.Float32()*4 - 2) * float32(math.Ldexp(1, rng.IntN(7)-3))
	}
	return v
}
