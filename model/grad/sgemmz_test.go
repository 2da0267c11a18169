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

// TestSgemmZHalfKernels calls each …H… kernel (last vector a ymm of eight
// columns) by name beside the masked kernel of the same block (last zmm
// masked to eight lanes), for every start (C, bias, x + bias) and tile
// height around the row tiles: both must give the same bits and leave
// the columns past the block untouched. Without assembly the twins run
// under the same names.
func TestSgemmZHalfKernels(t *testing.T) {
	if useAVX2 && !hasAVX512 {
		t.Skip("no AVX-512 here: the zmm kernels cannot run")
	}
	type kern func(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, x, bias *float32)
	plain := func(f func(*float32, int, *float32, int, int, *float32, int, int, int, uint16)) kern {
		return func(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, _, _ *float32) {
			f(c, ldc, a, sar, sak, b, ldb, m, k, 0xff)
		}
	}
	half := func(f func(*float32, int, *float32, int, int, *float32, int, int, int)) kern {
		return func(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, _, _ *float32) {
			f(c, ldc, a, sar, sak, b, ldb, m, k)
		}
	}
	plainBias := func(f func(*float32, int, *float32, int, int, *float32, int, int, int, uint16, *float32)) kern {
		return func(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, _, bias *float32) {
			f(c, ldc, a, sar, sak, b, ldb, m, k, 0xff, bias)
		}
	}
	halfBias := func(f func(*float32, int, *float32, int, int, *float32, int, int, int, *float32)) kern {
		return func(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, _, bias *float32) {
			f(c, ldc, a, sar, sak, b, ldb, m, k, bias)
		}
	}
	plainX := func(f func(*float32, int, *float32, int, int, *float32, int, int, int, uint16, *float32, *float32)) kern {
		return func(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, x, bias *float32) {
			f(c, ldc, a, sar, sak, b, ldb, m, k, 0xff, x, bias)
		}
	}
	halfX := func(f func(*float32, int, *float32, int, int, *float32, int, int, int, *float32, *float32)) kern {
		return func(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, x, bias *float32) {
			f(c, ldc, a, sar, sak, b, ldb, m, k, x, bias)
		}
	}
	cases := []struct {
		name   string
		w      int
		masked kern
		half   kern
	}{
		{"Z1", 1, plain(sgemmZ1AVX512), half(sgemmZ1HAVX512)},
		{"Z2", 2, plain(sgemmZ2AVX512), half(sgemmZ2HAVX512)},
		{"Z3", 3, plain(sgemmZ3AVX512), half(sgemmZ3HAVX512)},
		{"Z4", 4, plain(sgemmZ4AVX512), half(sgemmZ4HAVX512)},
		{"Z1Bias", 1, plainBias(sgemmZ1BiasAVX512), halfBias(sgemmZ1HBiasAVX512)},
		{"Z2Bias", 2, plainBias(sgemmZ2BiasAVX512), halfBias(sgemmZ2HBiasAVX512)},
		{"Z3Bias", 3, plainBias(sgemmZ3BiasAVX512), halfBias(sgemmZ3HBiasAVX512)},
		{"Z4Bias", 4, plainBias(sgemmZ4BiasAVX512), halfBias(sgemmZ4HBiasAVX512)},
		{"Z1XBias", 1, plainX(sgemmZ1XBiasAVX512), halfX(sgemmZ1HXBiasAVX512)},
		{"Z2XBias", 2, plainX(sgemmZ2XBiasAVX512), halfX(sgemmZ2HXBiasAVX512)},
		{"Z3XBias", 3, plainX(sgemmZ3XBiasAVX512), halfX(sgemmZ3HXBiasAVX512)},
		{"Z4XBias", 4, plainX(sgemmZ4XBiasAVX512), halfX(sgemmZ4HXBiasAVX512)},
	}
	rng := rand.New(rand.NewPCG(21, 8))
	for _, tc := range cases {
		for _, m := range []int{1, 2, 3, 5, 6, 7, 8, 11, 12, 13, 25} {
			n := 16*tc.w - 8
			k := 1 + rng.IntN(40)
			ldc, ldb := n+16, n+8*rng.IntN(3)
			sar, sak := k+rng.IntN(3), 1
			if m%2 == 1 { // A = Xᵀ, read down its columns
				sar, sak = 1, m+rng.IntN(5)
			}
			a := randFloats(rng, (m-1)*sar+(k-1)*sak+1)
			b := randFloats(rng, (k-1)*ldb+n+8)
			c := randFloats(rng, m*ldc)
			x := randFloats(rng, m*ldc)
			bias := randFloats(rng, n+8)
			want := append([]float32(nil), c...)
			got := append([]float32(nil), c...)
			tc.masked(&want[0], ldc, &a[0], sar, sak, &b[0], ldb, m, k, &x[0], &bias[0])
			tc.half(&got[0], ldc, &a[0], sar, sak, &b[0], ldb, m, k, &x[0], &bias[0])
			for i := range c {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%s m %d k %d (n %d): element %d (row %d col %d): half %v, masked %v",
						tc.name, m, k, n, i, i/ldc, i%ldc, got[i], want[i])
				}
				if i%ldc >= n && math.Float32bits(got[i]) != math.Float32bits(c[i]) {
					t.Fatalf("%s m %d k %d: column %d past the block changed", tc.name, m, k, i%ldc)
				}
			}
		}
	}
}
