package sae

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// needAVX512 skips t when the CPU (or the build) has no AVX-512 kernels.
func needAVX512(tb testing.TB) {
	tb.Helper()
	if !useAVX512 {
		tb.Skip("no AVX-512 kernels in this build or on this CPU")
	}
}

// withAVX512 runs f with the AVX-512 kernels switched on or off.
func withAVX512(on bool, f func()) {
	old := useAVX512
	useAVX512 = on
	defer func() { useAVX512 = old }()
	f()
}

// randFloats returns n standard normal values, about a quarter of them
// zero (the kernels must not skip zeros: an FMA by zero can change -0).
func randFloats(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		if r.IntN(4) > 0 {
			v[i] = float32(r.NormFloat64())
		}
	}
	return v
}

// equalBits fails t at the first element whose bits differ.
func equalBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: [%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}

// TestGemmTile512Kernels checks the 12×32 and 12×16 tiles against the
// AVX2 4×16 tile on the same operands, bit for bit: on a packed pair of
// panels and straight on w, whole and with k split into blocks (the
// partial sums stored and reloaded), with row strides wider than k.
func TestGemmTile512Kernels(t *testing.T) {
	needAVX512(t)
	r := rand.New(rand.NewPCG(51, 2))
	for _, c := range []struct{ tiles, d, lda, s, ws, wp, split int }{
		{1, 1, 1, 32, 16, 16, 0},
		{2, 37, 37, 32, 16, 37 * 16, 0},    // packed pair
		{3, 37, 41, 48, 16, 37 * 16, 11},   // packed pair, k split, wider a rows
		{1, 300, 300, 64, 64, 16, 256},     // straight on w (ws = s)
		{4, 260, 263, 80, 80, 16, 100},     // straight on w, k split
		{2, 513, 513, 96, 16, 513 * 16, 0}, // packed pair, long k
	} {
		rows := 12 * c.tiles
		a := randFloats(r, rows*c.lda)
		w := randFloats(r, c.d*c.ws+c.wp+16)
		out := randFloats(r, rows*c.s)
		want := append([]float32(nil), out...)
		gemm4x16AVX2(&want[0], &a[0], &w[0], rows, c.d, c.s, c.ws)
		// gemm4x16AVX2 reads a rows d apart: run it row by row when lda ≠ d.
		if c.lda != c.d {
			want = append(want[:0], out...)
			for i := 0; i < rows; i += 4 {
				ac := make([]float32, 4*c.d)
				for q := 0; q < 4; q++ {
					copy(ac[q*c.d:(q+1)*c.d], a[(i+q)*c.lda:])
				}
				gemm4x16AVX2(&want[i*c.s], &ac[0], &w[0], 4, c.d, c.s, c.ws)
				gemm4x16AVX2(&want[i*c.s+16], &ac[0], &w[c.wp], 4, c.d, c.s, c.ws)
			}
		} else {
			gemm4x16AVX2(&want[16], &a[0], &w[c.wp], rows, c.d, c.s, c.ws)
		}
		for _, v := range []int{1, 2} {
			got := append([]float32(nil), out...)
			k0 := 0
			for _, kn := range []int{c.split, c.d - c.split} {
				if kn == 0 {
					continue
				}
				if v == 2 {
					gemm12x32AVX512(&got[0], &a[k0], &w[k0*c.ws], c.tiles, kn, c.s, c.lda, c.ws, c.wp)
				} else {
					gemm12x16AVX512(&got[0], &a[k0], &w[k0*c.ws], c.tiles, kn, c.s, c.lda, c.ws, 0)
					gemm12x16AVX512(&got[16], &a[k0], &w[k0*c.ws+c.wp], c.tiles, kn, c.s, c.lda, c.ws, 0)
				}
				k0 += kn
			}
			equalBits(t, fmt.Sprintf("%+v, %d zmm columns", c, v), got, want)
		}
		// The pure-Go tile (other architectures, noasm): the same sums,
		// within rounding (Go need not fuse the multiply-adds).
		ref := append([]float32(nil), out...)
		gemmTileGo(&ref[0], &a[0], &w[0], rows, 32, c.d, c.s, c.lda, c.ws, c.wp)
		for i := range ref {
			if d := math.Abs(float64(ref[i] - want[i])); d > 1e-4*(1+math.Abs(float64(want[i]))) {
				t.Fatalf("%+v: pure Go [%d] = %v, kernels %v", c, i, ref[i], want[i])
			}
		}
	}
}

// TestGemm512MatchesAVX2 runs the dense products with the AVX-512 tiles
// and with the AVX2 ones on random shapes and compares them bit for bit:
// row counts with and without 12-row, 4-row and 1-3-row remainders, k
// over several blocks, column counts with whole packed groups, 1-3
// leftover panels, a last 8-column panel and a scalar tail; the blocked
// product from w and from its transpose, on one and two cores.
func TestGemm512MatchesAVX2(t *testing.T) {
	needAVX512(t)
	r := rand.New(rand.NewPCG(51, 3))
	type shape struct{ rows, d, s int }
	var shapes []shape
	for _, rows := range []int{1, 3, 4, 11, 12, 13, 24, 27, 40, 97, 205} {
		for _, d := range []int{1, 13, 300, 700} {
			for _, s := range []int{13, 52, 16 * 3, 16*9 + 8, 16 * 19, 16*26 + 8 + 3} {
				shapes = append(shapes, shape{rows, d, s})
			}
		}
	}
	// one large enough to be split over the cores
	shapes = append(shapes, shape{200, 700, 16 * 40})
	for _, sh := range shapes {
		a := randFloats(r, sh.rows*sh.d)
		w := randFloats(r, sh.d*sh.s)
		out := randFloats(r, sh.rows*sh.s)
		want := append([]float32(nil), out...)
		withAVX512(false, func() { gemmAccDense(want, a, w, sh.rows, sh.d, sh.s) })
		wT := make([]float32, sh.s*sh.d)
		transposeTo(wT, sh.d, w, sh.d, sh.s)
		for _, procs := range []int{1, 2} {
			func() {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
				got := append([]float32(nil), out...)
				gemmAccDense(got, a, w, sh.rows, sh.d, sh.s)
				equalBits(t, fmt.Sprintf("gemmAccDense %+v, %d cores", sh, procs), got, want)
				if sh.s%16 == 0 && sh.rows >= 4 {
					wantT := append([]float32(nil), out...)
					withAVX512(false, func() { gemmAccBlockedT(wantT, a, wT, sh.rows, sh.d, sh.s) })
					got := append([]float32(nil), out...)
					gemmAccBlockedT(got, a, wT, sh.rows, sh.d, sh.s)
					equalBits(t, fmt.Sprintf("gemmAccBlockedT %+v, %d cores", sh, procs), got, wantT)
				}
			}()
		}
	}
}

// BenchmarkGemm512 times the dense product at the big standard step's
// shapes (batch 4096, d_in 768, d_sae 6144: the encoder, the decoder and
// the weight gradients' [d_in, batch]·[batch, d_sae]) with the AVX-512 and
// the AVX2 tiles, reporting GFLOP per CPU second (the machine may be
// shared) beside the usual per wall second figure (MB/s = MFLOP/s).
func BenchmarkGemm512(b *testing.B) {
	if !fastGemm() {
		b.Skip("no fast kernels")
	}
	for _, sh := range []struct{ rows, d, s int }{{4096, 768, 6144}, {4096, 6144, 768}, {768, 4096, 6144}} {
		r := rand.New(rand.NewPCG(1, 2))
		a := randFloats(r, sh.rows*sh.d)
		w := randFloats(r, sh.d*sh.s)
		out := make([]float32, sh.rows*sh.s)
		for _, on := range []bool{true, false} {
			name := map[bool]string{true: "avx512", false: "avx2"}[on]
			b.Run(fmt.Sprintf("%s/%dx%dx%d", name, sh.rows, sh.d, sh.s), func(b *testing.B) {
				if on && !useAVX512 {
					b.Skip("no AVX-512")
				}
				withAVX512(on, func() {
					flops := 2 * float64(sh.rows*sh.d*sh.s)
					b.SetBytes(int64(flops))
					c0 := cpuTime()
					for b.Loop() {
						gemmAccDense(out, a, w, sh.rows, sh.d, sh.s)
					}
					if c := (cpuTime() - c0).Seconds(); c > 0 {
						b.ReportMetric(float64(b.N)*flops/c/1e9, "GFLOP/cpu-s")
					}
				})
			})
		}
	}
}
