package sae

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// BenchmarkGemmBlocked times the blocked dense product at the shapes of a
// dense standard step of BenchmarkRunBig's medium run (batch 256, d_in 768,
// d_sae 1536): the encoder/dF shape and the decoder shape.
func BenchmarkGemmBlocked(b *testing.B) {
	if !fastGemm() {
		b.Skip("no fast kernels")
	}
	for _, sh := range []struct{ rows, d, s int }{{256, 768, 1536}, {256, 1536, 768}, {768, 256, 1536}} {
		b.Run(fmt.Sprintf("%dx%dx%d", sh.rows, sh.d, sh.s), func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 2))
			a := make([]float32, sh.rows*sh.d)
			w := make([]float32, sh.d*sh.s)
			for i := range a {
				a[i] = float32(r.NormFloat64())
			}
			for i := range w {
				w[i] = float32(r.NormFloat64())
			}
			out := make([]float32, sh.rows*sh.s)
			b.SetBytes(int64(2 * sh.rows * sh.d * sh.s)) // flops
			for b.Loop() {
				gemmAccDense(out, a, w, sh.rows, sh.d, sh.s)
			}
		})
	}
}

// TestGemmBlockedTiles checks that the blocked product (6-row and 4-row
// tiles over packed panels) gives the values of 4-row tiles alone over
// the unpacked operand, bit for bit, for row counts with and without
// remainders and a last panel narrower than 16 columns.
func TestGemmBlockedTiles(t *testing.T) {
	if !useAVX2 {
		t.Skip("no AVX2 kernels")
	}
	const d, s = 37, 8*16*packPanels + 24 // 8 packed groups of panels, then a 16- and an 8-column panel
	r := rand.New(rand.NewPCG(4, 9))
	for _, rows := range []int{3, 4, 6, 12, 13, 26, 30, 257} {
		a := make([]float32, rows*d)
		w := make([]float32, d*s)
		out := make([]float32, rows*s)
		for _, v := range [][]float32{a, w, out} {
			for i := range v {
				v[i] = float32(r.NormFloat64())
			}
		}
		want := append([]float32(nil), out...)
		rows4 := rows &^ 3
		for j := 0; j < s; j += 16 {
			width := min(16, s-j)
			if width == 16 && rows4 > 0 {
				gemm4x16AVX2(&want[j], &a[0], &w[j], rows4, d, s, s)
				if rows4 < rows {
					gemmAccAVX2(&want[rows4*s+j], &a[rows4*d], &w[j], rows-rows4, d, s, 16)
				}
			} else {
				gemmAccAVX2(&want[j], &a[0], &w[j], rows, d, s, width)
			}
		}
		gemmAccBlocked(out, a, w, rows, d, s, s)
		for i := range want {
			if math.Float32bits(out[i]) != math.Float32bits(want[i]) {
				t.Fatalf("rows %d: out[%d] = %v, 4-row tiles %v", rows, i, out[i], want[i])
			}
		}
	}
}

// TestGemmBlockedT checks that the product packed straight from the
// transposed operand gives gemmAccBlocked's values on the explicit
// transpose, bit for bit, with 1 and 2 cores and row counts with and
// without remainders.
func TestGemmBlockedT(t *testing.T) {
	if !useAVX2 {
		t.Skip("no AVX2 kernels")
	}
	const d, s = 133, 16 * 37
	r := rand.New(rand.NewPCG(5, 8))
	wT := make([]float32, s*d)
	for i := range wT {
		wT[i] = float32(r.NormFloat64())
	}
	w := make([]float32, d*s)
	transposeTo(w, s, wT, s, d)
	for _, rows := range []int{4, 7, 13, 30, 255} {
		a := make([]float32, rows*d)
		out := make([]float32, rows*s)
		for _, v := range [][]float32{a, out} {
			for i := range v {
				v[i] = float32(r.NormFloat64())
			}
		}
		want := append([]float32(nil), out...)
		gemmAccBlocked(want, a, w, rows, d, s, s)
		for _, procs := range []int{1, 2} {
			func() {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
				got := append([]float32(nil), out...)
				gemmAccBlockedT(got, a, wT, rows, d, s)
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("rows %d, %d cores: out[%d] = %v, on the copy %v", rows, procs, i, got[i], want[i])
					}
				}
			}()
		}
	}
}

// TestGemmAccTail checks the tail columns of gemmAcc in locals against
// the plain loop, bit for bit (zeros in a, skipped by both, included).
func TestGemmAccTail(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 1))
	for _, s := range []int{1, 2, 3, 4, 5, 12, 13, 52, 53, 55} {
		const rows, d = 7, 13
		s8 := s &^ 7
		a := make([]float32, rows*d)
		w := make([]float32, d*s)
		out := make([]float32, rows*s)
		for _, v := range [][]float32{a, w, out} {
			for i := range v {
				v[i] = float32(r.NormFloat64())
			}
		}
		for i := 0; i < len(a); i += 3 {
			a[i] = 0
		}
		want := append([]float32(nil), out...)
		gemmAccTailRef(want, a, w, rows, d, s, s8)
		gemmAccTail(out, a, w, rows, d, s, s8)
		for i := range want {
			if math.Float32bits(out[i]) != math.Float32bits(want[i]) {
				t.Fatalf("s %d: out[%d] = %v, loop %v", s, i, out[i], want[i])
			}
		}
	}
}

// TestGemmSmallTiles checks the small-shape path of gemmAccDense (6-row
// and 4-row tiles straight on w) against 4-row tiles alone, bit for bit.
func TestGemmSmallTiles(t *testing.T) {
	if !useAVX2 {
		t.Skip("no AVX2 kernels")
	}
	r := rand.New(rand.NewPCG(8, 3))
	for _, sh := range []struct{ rows, d, s int }{{80, 13, 52}, {80, 16, 52}, {37, 13, 48}, {12, 52, 16}, {7, 5, 32}} {
		a := make([]float32, sh.rows*sh.d)
		w := make([]float32, sh.d*sh.s)
		out := make([]float32, sh.rows*sh.s)
		for _, v := range [][]float32{a, w, out} {
			for i := range v {
				v[i] = float32(r.NormFloat64())
			}
		}
		want := append([]float32(nil), out...)
		rows4, s8 := sh.rows&^3, sh.s&^7
		j := 0
		if rows4 > 0 {
			for ; j+16 <= s8; j += 16 {
				gemm4x16AVX2(&want[j], &a[0], &w[j], rows4, sh.d, sh.s, sh.s)
			}
			if rows4 < sh.rows && j > 0 {
				gemmAccAVX2(&want[rows4*sh.s], &a[rows4*sh.d], &w[0], sh.rows-rows4, sh.d, sh.s, j)
			}
		}
		if j < s8 {
			gemmAccAVX2(&want[j], &a[0], &w[j], sh.rows, sh.d, sh.s, s8-j)
		}
		gemmAccTailRef(want, a, w, sh.rows, sh.d, sh.s, s8)
		gemmAccDense(out, a, w, sh.rows, sh.d, sh.s)
		for i := range want {
			if math.Float32bits(out[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%+v: out[%d] = %v, 4-row tiles %v", sh, i, out[i], want[i])
			}
		}
	}
}
