package sae

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestGatedKernels checks gatedDots and gaxpy2 (AVX2 and pure Go) against
// dot and gaxpy on widths with and without an 8-column tail.
func TestGatedKernels(t *testing.T) {
	avx := useAVX2
	defer func() { useAVX2 = avx }()
	r := rand.New(rand.NewPCG(7, 7))
	for _, mode := range []bool{avx, false} {
		useAVX2 = mode
		for _, ld := range []int{3, 8, 13, 64, 70, 244} {
			t.Run(fmt.Sprintf("avx=%v/ld=%d", mode, ld), func(t *testing.T) {
				const nr, nw = 9, 17
				randv := func(n int) []float32 {
					v := make([]float32, n)
					for i := range v {
						v[i] = float32(r.NormFloat64())
					}
					return v
				}
				dvia, dy, w := randv(nr*ld), randv(nr*ld), randv(nw*ld)
				rows := []int32{0, 2, 3, 3, 8, 5}
				dp, df := make([]float32, len(rows)), make([]float32, len(rows))
				row := w[4*ld : 5*ld]
				gatedDots(row, dvia, dy, rows, ld, dp, df)
				for k, rr := range rows {
					o := int(rr) * ld
					near(t, "dvia·w", dp[k], dot(dvia[o:o+ld], row))
					near(t, "dy·w", df[k], dot(dy[o:o+ld], row))
				}
				ks := []int32{16, 1, 4, 4, 9}
				xf, xp := randv(len(ks)), randv(len(ks))
				xf[2] = 0
				y, v := randv(ld), randv(ld)
				wantY, wantV := append([]float32(nil), y...), append([]float32(nil), v...)
				gaxpy2(y, v, w, ld, ks, xf, xp)
				gaxpy(wantY, w, ld, ks, xf)
				gaxpy(wantV, w, ld, ks, xp)
				for j := range y {
					near(t, "y", y[j], wantY[j])
					near(t, "v", v[j], wantV[j])
				}
			})
		}
	}
}

func near(t *testing.T, what string, got, want float32) {
	t.Helper()
	if d := math.Abs(float64(got - want)); d > 1e-5*math.Max(1, math.Abs(float64(want))) {
		t.Fatalf("%s = %g, want %g", what, got, want)
	}
}
