package sae

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// TestDecoderRowPassesSplit checks the wide-row decoder passes split over
// the cores (normalizeRows, removeParallelDecoderGrad) against their plain
// serial loops, bit for bit, with 1 and 2 cores.
func TestDecoderRowPassesSplit(t *testing.T) {
	const rows, d = 1000, 96
	r := rand.New(rand.NewPCG(2, 5))
	w0 := make([]float32, rows*d)
	g0 := make([]float32, rows*d)
	for i := range w0 {
		w0[i] = float32(r.NormFloat64())
		g0[i] = float32(r.NormFloat64())
	}
	// The serial loops.
	wantW := append([]float32(nil), w0...)
	for i := 0; i < rows; i++ {
		row := wantW[i*d : i*d+d]
		scale(row, 1/float32(math.Sqrt(float64(sumSq(row)))))
	}
	wantG := append([]float32(nil), g0...)
	var wantSS float64
	for i := 0; i < rows; i++ {
		row := wantW[i*d : i*d+d]
		gr := wantG[i*d : i*d+d]
		if p := dot(gr, row); p != 0 {
			axpy(-p, row, gr)
		}
		wantSS += float64(sumSq(gr))
	}
	for _, procs := range []int{1, 2} {
		func() {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			w := append([]float32(nil), w0...)
			g := append([]float32(nil), g0...)
			normalizeRows(w, rows, d)
			ss := removeParallelDecoderGrad(w, g, rows, d)
			if ss != wantSS {
				t.Errorf("%d cores: squared norm %v, serial %v", procs, ss, wantSS)
			}
			for i := range w {
				if math.Float32bits(w[i]) != math.Float32bits(wantW[i]) || math.Float32bits(g[i]) != math.Float32bits(wantG[i]) {
					t.Fatalf("%d cores: element %d: w %v g %v, serial %v %v", procs, i, w[i], g[i], wantW[i], wantG[i])
				}
			}
		}()
	}
}

// TestAxpyGatherCols checks the column-split gathered axpy against the
// loop of axpy calls it replaces, bit for bit, for widths below, at and
// above the split (with tails outside the vector lanes), with 2 cores.
func TestAxpyGatherCols(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	r := rand.New(rand.NewPCG(9, 4))
	for _, D := range []int{13, 200, 256, 264, 300, 1000} {
		const nRows, nTerms = 40, 600
		src := make([]float32, nRows*D)
		for i := range src {
			src[i] = float32(r.NormFloat64())
		}
		rows := make([]int32, nTerms)
		a := make([]float32, nTerms)
		for k := range rows {
			rows[k] = int32(r.IntN(nRows))
			a[k] = float32(r.NormFloat64())
		}
		y0 := make([]float32, D)
		for i := range y0 {
			y0[i] = float32(r.NormFloat64())
		}
		want := append([]float32(nil), y0...)
		for k, i := range rows {
			axpy(-a[k], src[int(i)*D:int(i)*D+D], want)
		}
		got := append([]float32(nil), y0...)
		axpyGatherCols(got, src, rows, a, -1)
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("D %d: y[%d] = %v, axpy loop %v", D, i, got[i], want[i])
			}
		}
		// The same terms as lists with gaps between them (packed lists
		// with spare room, as the steps' active lists): only the listed
		// terms count, in list order.
		var off []int
		var n []int32
		lr, la := make([]int32, 0, 2*nTerms), make([]float32, 0, 2*nTerms)
		for k := 0; k < nTerms; {
			m := min(r.IntN(30), nTerms-k)
			off, n = append(off, len(lr)), append(n, int32(m))
			lr, la = append(lr, rows[k:k+m]...), append(la, a[k:k+m]...)
			for range r.IntN(4) { // room past the list: junk that must not be read
				lr, la = append(lr, int32(r.IntN(nRows))), append(la, float32(math.NaN()))
			}
			k += m
		}
		got = append(got[:0], y0...)
		axpyGatherColsLists(got, src, lr, la, off, n, -1)
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("D %d, lists: y[%d] = %v, axpy loop %v", D, i, got[i], want[i])
			}
		}
	}
}
