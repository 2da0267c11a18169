package sae

import (
	"errors"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

func TestCheckFinite(t *testing.T) {
	inf := float32(math.Inf(1))
	nan := float32(math.NaN())
	cases := []struct {
		name string
		v    []float32
		bad  int // index of the first bad value, -1 for none
	}{
		{"empty", nil, -1},
		{"finite", []float32{0, -0.5, math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32, 1e-40, 3}, -1},
		{"nan_in_block", []float32{1, 2, nan, 4, 5}, 2},
		{"inf_in_tail", []float32{1, 2, 3, 4, 5, 6, inf}, 6},
		{"neg_inf_first", []float32{-inf, 1, nan}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := checkFinite(c.v)
			if c.bad < 0 {
				if err != nil {
					t.Fatalf("checkFinite = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrDiverged) {
				t.Fatalf("checkFinite = %v, want ErrDiverged", err)
			}
			want := "activation value " + strconv.Itoa(c.bad) + " "
			if !strings.Contains(err.Error(), want) {
				t.Fatalf("checkFinite = %q, want it to name %q", err, want)
			}
		})
	}
}

// TestOptimKernels checks the vector sum of squares against float64 and
// the vector Adam update (with clipping scale and gradient clearing)
// against the pure-Go loop, bit for bit.
func TestOptimKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 7, 8, 12, 33, 64, 100, 1000} {
		v := make([]float32, n)
		var want float64
		for i := range v {
			v[i] = float32(r.NormFloat64())
			want += float64(v[i]) * float64(v[i])
		}
		if got := float64(sumSq(v)); math.Abs(got-want) > 1e-6*want {
			t.Errorf("sumSq(n=%d) = %v, want %v", n, got, want)
		}
		// Adam: vector path vs scalar path from the same state.
		mk := func() ([][]float32, grads, *adam) {
			rr := rand.New(rand.NewPCG(uint64(n), 9))
			p := make([]float32, n)
			g := make([]float32, n)
			for i := range p {
				p[i], g[i] = float32(rr.NormFloat64()), float32(rr.NormFloat64())
			}
			a := newAdam([][]float32{p}, 0.9, 0.999, 1e-8)
			for i := range a.m[0] {
				a.m[0][i], a.v[0][i] = float32(rr.NormFloat64()), float32(rr.Float64())
			}
			if n >= 16 {
				// a block with no gradient so far (the kernel skips it)
				// and one where only the gradient is zero
				for i := 8; i < 16; i++ {
					g[i], a.m[0][i], a.v[0][i] = 0, 0, 0
				}
				clear(g[:8])
			}
			return [][]float32{p}, grads{g}, a
		}
		p1, g1, a1 := mk()
		a1.update(p1, g1, 3e-4, 0.7)
		avx := useAVX2
		useAVX2 = false
		p2, g2, a2 := mk()
		a2.update(p2, g2, 3e-4, 0.7)
		useAVX2 = avx
		for i := 0; i < n; i++ {
			if p1[0][i] != p2[0][i] || a1.m[0][i] != a2.m[0][i] || a1.v[0][i] != a2.v[0][i] {
				t.Fatalf("adam n=%d [%d]: vector (%v %v %v) != scalar (%v %v %v)", n, i,
					p1[0][i], a1.m[0][i], a1.v[0][i], p2[0][i], a2.m[0][i], a2.v[0][i])
			}
			if g1[0][i] != 0 || g2[0][i] != 0 {
				t.Fatalf("adam n=%d: gradient %d not cleared", n, i)
			}
		}
		// normalizeRows gives unit rows.
		if n%4 == 0 {
			w := append([]float32(nil), v...)
			normalizeRows(w, 4, n/4)
			for i := 0; i < 4; i++ {
				if s := float64(sumSq(w[i*n/4 : (i+1)*n/4])); math.Abs(s-1) > 1e-5 {
					t.Errorf("normalizeRows n=%d row %d: squared norm %v", n, i, s)
				}
			}
		}
	}
}

// TestNarrowRowKernels checks the narrow-row AVX2 kernels of normalizeRows
// and removeParallelDecoderGrad bit for bit against the scalar loops,
// including a zero gradient row (left alone) and a zero decoder row.
func TestNarrowRowKernels(t *testing.T) {
	if !useAVX2 {
		t.Skip("no AVX2 kernels in this build or CPU")
	}
	r := rand.New(rand.NewPCG(3, 4))
	for _, d := range []int{4, 8, 12, 16, 20, 28} {
		const rows = 9
		w := make([]float32, rows*d)
		g := make([]float32, rows*d)
		for i := range w {
			w[i], g[i] = float32(r.NormFloat64()), float32(r.NormFloat64())
		}
		clear(g[2*d : 3*d]) // p == 0: the row stays as it is
		g[2*d] = float32(math.Copysign(0, -1))
		clear(w[5*d : 6*d]) // zero row: NaN after normalisation either way
		run := func(avx bool) ([]float32, []float32) {
			w1, g1 := append([]float32(nil), w...), append([]float32(nil), g...)
			old := useAVX2
			useAVX2 = avx
			defer func() { useAVX2 = old }()
			normalizeRows(w1, rows, d)
			removeParallelDecoderGrad(w1, g1, rows, d)
			return w1, g1
		}
		wv, gv := run(true)
		ws, gs := run(false)
		for i := range wv {
			if math.Float32bits(wv[i]) != math.Float32bits(ws[i]) || math.Float32bits(gv[i]) != math.Float32bits(gs[i]) {
				t.Fatalf("d=%d [%d]: vector (w %v, g %v) != scalar (w %v, g %v)", d, i, wv[i], gv[i], ws[i], gs[i])
			}
		}
	}
}

// TestCopyRows checks copyRows (AVX2 and scalar) against element copies,
// including a broadcast source (stride 0), and that padding is untouched.
func TestCopyRows(t *testing.T) {
	for _, avx := range []bool{false, true} {
		if avx && !useAVX2 {
			continue
		}
		for _, d := range []int{1, 4, 8, 12, 13, 20, 32} {
			for _, lds := range []int{0, d, d + 3} {
				const rows, ldd = 5, 40
				src := make([]float32, rows*max(lds, d)+d)
				for i := range src {
					src[i] = float32(i) + 0.5
				}
				dst := make([]float32, rows*ldd)
				for i := range dst {
					dst[i] = -1
				}
				old := useAVX2
				useAVX2 = avx
				copyRows(dst, ldd, src, lds, rows, d)
				useAVX2 = old
				for r := 0; r < rows; r++ {
					for j := 0; j < ldd; j++ {
						want := float32(-1)
						if j < d {
							want = src[r*lds+j]
						}
						if got := dst[r*ldd+j]; got != want {
							t.Fatalf("avx %v d %d lds %d: dst[%d][%d] = %v, want %v", avx, d, lds, r, j, got, want)
						}
					}
				}
			}
		}
	}
}

// TestRemoveParallelNorm checks that removeParallelDecoderGrad leaves each
// gradient row orthogonal to its (unit) decoder row and returns the squared
// norm of the whole gradient afterwards (the clip norm's share), narrow and
// wide rows, vector and scalar kernels.
func TestRemoveParallelNorm(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, avx := range []bool{false, true} {
		if avx && !useAVX2 {
			continue
		}
		for _, d := range []int{5, 12, 31, 32, 100, 244} {
			const rows = 11
			w := make([]float32, rows*d)
			g := make([]float32, rows*d)
			for i := range w {
				w[i], g[i] = float32(r.NormFloat64()), float32(r.NormFloat64())
			}
			clear(g[3*d : 4*d])
			old := useAVX2
			useAVX2 = avx
			normalizeRows(w, rows, d)
			got := removeParallelDecoderGrad(w, g, rows, d)
			useAVX2 = old
			var want float64
			for i := 0; i < rows; i++ {
				var p float64
				for j := 0; j < d; j++ {
					p += float64(w[i*d+j]) * float64(g[i*d+j])
					want += float64(g[i*d+j]) * float64(g[i*d+j])
				}
				if math.Abs(p) > 1e-5*math.Sqrt(float64(d)) {
					t.Errorf("avx=%v d=%d row %d: gradient·row = %g after removal", avx, d, i, p)
				}
			}
			if math.Abs(got-want) > 1e-5*want {
				t.Errorf("avx=%v d=%d: squared norm %v, want %v", avx, d, got, want)
			}
		}
	}
}
