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

// BenchmarkSgemmCase21 times the products of a case-21 chunk (320 rows,
// d_model 50 → 56, d_mlp 200, 3·48 = 144 q/k/v columns) with the AVX-512
// kernels and with the AVX2 ones.
func BenchmarkSgemmCase21(b *testing.B) {
	const nr, D, Dp, F, S = 320, 50, 56, 200, 144
	for _, tc := range []struct {
		name              string
		m, k, n, sar, sak int
	}{
		{"fwd_mlp_in", nr, D, F, Dp, 1},  // pre = mid·W_in
		{"fwd_qkv", nr, D, S, Dp, 1},     // qkv = x·W_qkv
		{"fwd_mlp_out", nr, F, Dp, F, 1}, // x1 = post·W_out
		{"bwd_dpost", nr, D, F, Dp, 1},   // dpost = g·W_outᵀ
		{"bwd_gmid", nr, F, Dp, F, 1},    // gmid = dpost·W_inᵀ
		{"grad_w_out", F, nr, Dp, 1, F},  // W_out's gradient: postᵀ·g
		{"grad_w_in", D, nr, F, 1, Dp},   // W_in's gradient: midᵀ·dpost
		{"grad_w_qkv", D, nr, S, 1, Dp},  // W_qkv's gradient: xᵀ·dqkv
	} {
		a := randFloats(rand.New(rand.NewPCG(1, 1)), (tc.m-1)*tc.sar+(tc.k-1)*tc.sak+1)
		bm := randFloats(rand.New(rand.NewPCG(2, 2)), tc.k*tc.n)
		c := make([]float32, tc.m*tc.n)
		for _, z := range []bool{false, true} {
			if z && !hasAVX512 {
				continue
			}
			name := tc.name + "/avx2"
			if z {
				name = tc.name + "/avx512"
			}
			b.Run(name, func(b *testing.B) {
				withAVX512(z, func() {
					for i := 0; i < b.N; i++ {
						sgemm(c, tc.n, a, tc.sar, tc.sak, bm, tc.n, tc.m, tc.k, tc.n)
					}
				})
				b.ReportMetric(float64(tc.m*tc.k*tc.n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFMA/s")
			})
		}
	}
}
