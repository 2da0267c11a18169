package sae

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

func TestGemmKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	fill := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(r.NormFloat64())
		}
		return v
	}
	for _, sz := range [][3]int{{1, 1, 1}, {3, 5, 8}, {80, 12, 48}, {7, 13, 52}, {5, 3, 67}, {4, 40, 40}, {9, 300, 200}, {3, 64, 1030}, {67, 400, 650}} {
		rows, d, s := sz[0], sz[1], sz[2]
		a, w, out := fill(rows*d), fill(d*s), fill(rows*s)
		want := append([]float32(nil), out...)
		for i := 0; i < rows; i++ {
			for j := 0; j < s; j++ {
				var acc float64
				for k := 0; k < d; k++ {
					acc += float64(a[i*d+k]) * float64(w[k*s+j])
				}
				want[i*s+j] += float32(acc)
			}
		}
		gemmAcc(out, a, w, rows, d, s)
		for i := range out {
			if math.Abs(float64(out[i]-want[i])) > 1e-4*(1+math.Abs(float64(want[i]))) {
				t.Fatalf("gemmAcc %v: [%d] = %g, want %g", sz, i, out[i], want[i])
			}
		}
		// gemmTNAcc: out2[i,j] += Σ_b a2[b,i] w2[b,j], a2 [rows, d], w2 [rows, s]
		a2, w2, out2 := fill(rows*d), fill(rows*s), fill(d*s)
		want2 := append([]float32(nil), out2...)
		for i := 0; i < d; i++ {
			for j := 0; j < s; j++ {
				var acc float64
				for b := 0; b < rows; b++ {
					acc += float64(a2[b*d+i]) * float64(w2[b*s+j])
				}
				want2[i*s+j] += float32(acc)
			}
		}
		gemmTNAcc(out2, a2, w2, rows, d, s)
		for i := range out2 {
			if math.Abs(float64(out2[i]-want2[i])) > 1e-4*(1+math.Abs(float64(want2[i]))) {
				t.Fatalf("gemmTNAcc %v: [%d] = %g, want %g", sz, i, out2[i], want2[i])
			}
		}
	}
}

func TestVectorKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	for _, n := range []int{64, 65, 100, 768, 1031} {
		x, y := make([]float32, n), make([]float32, n)
		for i := range x {
			x[i], y[i] = float32(r.NormFloat64()), float32(r.NormFloat64())
		}
		var want float64
		for i := range x {
			want += float64(x[i]) * float64(y[i])
		}
		if got := dot(x, y); math.Abs(float64(got)-want) > 1e-4*math.Sqrt(float64(n)) {
			t.Errorf("dot n=%d: %g, want %g", n, got, want)
		}
		y2 := append([]float32(nil), y...)
		axpy(0.5, x, y2)
		for i := range y2 {
			if d := y2[i] - (y[i] + 0.5*x[i]); d > 1e-6 || d < -1e-6 {
				t.Fatalf("axpy n=%d [%d]: %g", n, i, y2[i])
			}
		}
	}
}

func TestExpf(t *testing.T) {
	for x := float32(-103); x < 88.7; x += 0.0371 {
		want := math.Exp(float64(x))
		got := float64(expf(x))
		if want > 1e-37 && math.Abs(got-want) > 3e-7*want {
			t.Fatalf("expf(%g) = %g, want %g (rel %g)", x, got, want, math.Abs(got-want)/want)
		}
	}
	if !math.IsInf(float64(expf(100)), 1) || expf(-200) != 0 || expf(0) != 1 {
		t.Error("expf edge cases")
	}
}

// TestTopKIndices checks the top-k selection (insertion buffer for small k,
// quickselect for large k) against a full sort, with many tied values (the
// lower index wins a tie), and sortInt32 against slices.Sort.
func TestTopKIndices(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 9))
	for _, n := range []int{1, 2, 7, 52, 976, 3000} {
		for _, k := range []int{1, 2, 4, 8, 31, 32, 33, 122, n - 1, n, n + 3} {
			if k < 1 || k > n+3 {
				continue
			}
			v := make([]float32, n)
			for i := range v {
				v[i] = float32(r.IntN(20) - 10) // many ties
			}
			order := make([]int32, n)
			for i := range order {
				order[i] = int32(i)
			}
			slices.SortFunc(order, func(a, b int32) int {
				if greaterAt(v, a, b) {
					return -1
				}
				if greaterAt(v, b, a) {
					return 1
				}
				return 0
			})
			want := append([]int32(nil), order[:min(k, n)]...)
			slices.Sort(want)
			got := topKIndices(v, k, make([]int32, n))
			got = append([]int32(nil), got...)
			sortInt32(got)
			if !slices.Equal(got, want) {
				t.Fatalf("n=%d k=%d: top-k %v, want %v", n, k, got, want)
			}
		}
	}
	if got := topKIndices([]float32{3, 1, 2}, 0, nil); len(got) != 0 {
		t.Errorf("k=0: got %v", got)
	}
}

// TestGemmSparsePath checks the per-entry (sparse left operand) paths of
// gemmAcc and gemmTNAcc against float64 references, on operands sparse
// enough to take them.
func TestGemmSparsePath(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 3))
	const rows, d, s = 9, 70, 130
	a := make([]float32, rows*d)
	for i := range a {
		if r.IntN(10) == 0 {
			a[i] = float32(r.NormFloat64())
		}
	}
	if !sparseEnough(a) {
		t.Fatal("operand not sparse enough for the test")
	}
	w := make([]float32, d*s)
	for i := range w {
		w[i] = float32(r.NormFloat64())
	}
	out := make([]float32, rows*s)
	gemmAcc(out, a, w, rows, d, s)
	for i := 0; i < rows; i++ {
		for j := 0; j < s; j++ {
			var acc float64
			for k := 0; k < d; k++ {
				acc += float64(a[i*d+k]) * float64(w[k*s+j])
			}
			if math.Abs(float64(out[i*s+j])-acc) > 1e-4*(1+math.Abs(acc)) {
				t.Fatalf("gemmAcc sparse [%d,%d] = %g, want %g", i, j, out[i*s+j], acc)
			}
		}
	}
	// gemmTNAcc: out2[i,j] = Σ_b a[b,i]·w2[b,j], a [rows, d], w2 [rows, s]
	w2 := w[:rows*s]
	out2 := make([]float32, d*s)
	gemmTNAcc(out2, a, w2, rows, d, s)
	for i := 0; i < d; i++ {
		for j := 0; j < s; j++ {
			var acc float64
			for b := 0; b < rows; b++ {
				acc += float64(a[b*d+i]) * float64(w2[b*s+j])
			}
			if math.Abs(float64(out2[i*s+j])-acc) > 1e-4*(1+math.Abs(acc)) {
				t.Fatalf("gemmTNAcc sparse [%d,%d] = %g, want %g", i, j, out2[i*s+j], acc)
			}
		}
	}
}

// TestGaxpy checks the gathered axpy against a float64 reference, and for
// rows of 64 or more against successive axpy calls bit for bit (same
// summation order per element).
func TestGaxpy(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	for _, n := range []int{1, 7, 8, 13, 40, 64, 100, 244, 976} {
		for _, nnz := range []int{0, 1, 3, 37} {
			ld := n + r.IntN(5)
			rows := 50
			w := make([]float32, rows*ld)
			for i := range w {
				w[i] = float32(r.NormFloat64())
			}
			ks := make([]int32, nnz)
			xs := make([]float32, nnz)
			for i := range ks {
				ks[i] = int32(r.IntN(rows)) // repeats allowed
				xs[i] = float32(r.NormFloat64())
			}
			out := make([]float32, n)
			for i := range out {
				out[i] = float32(r.NormFloat64())
			}
			seq := append([]float32(nil), out...)
			for i, k := range ks {
				axpy(xs[i], w[int(k)*ld:int(k)*ld+n], seq)
			}
			want := make([]float64, n)
			for j := range want {
				want[j] = float64(out[j])
				for i, k := range ks {
					want[j] += float64(xs[i]) * float64(w[int(k)*ld+j])
				}
			}
			gaxpy(out, w, ld, ks, xs)
			for j := range out {
				if math.Abs(float64(out[j])-want[j]) > 1e-4*(1+math.Abs(want[j])) {
					t.Fatalf("n=%d nnz=%d: out[%d] = %g, want %g", n, nnz, j, out[j], want[j])
				}
				if n >= 64 && out[j] != seq[j] {
					t.Fatalf("n=%d nnz=%d: out[%d] = %g, successive axpys give %g", n, nnz, j, out[j], seq[j])
				}
			}
		}
	}
}

// TestGemmSparseMatchesDense checks that gemmAcc's per-entry path (split
// over the cores) and its dense kernels give the same bits on a sparse
// operand, at a shape whose w takes the wide density limit (W_dec of more
// than sparseWideBytes) and whose width is a multiple of 16 (issue 16's
// d_in 768), with non-zero starting outputs (the decoder's bias rows), 1 and
// 2 cores: there the density limit only picks a speed. (With a tail of 8
// columns, e.g. width 776, the two paths differ in the last bit of some
// tail outputs: the limit then also picks the rounding, as it always did.)
func TestGemmSparseMatchesDense(t *testing.T) {
	const rows, d, s = 40, 3072, 768 // w: 9.4 MB
	if d*s*4 <= sparseWideBytes {
		t.Fatal("w under the wide size: the shape tests nothing")
	}
	r := rand.New(rand.NewPCG(4, 12))
	a := make([]float32, rows*d)
	for i := range a {
		if r.IntN(8) == 0 {
			a[i] = float32(r.NormFloat64())
		}
	}
	w := make([]float32, d*s)
	for i := range w {
		w[i] = float32(r.NormFloat64())
	}
	start := make([]float32, rows*s)
	for i := range start {
		start[i] = float32(r.NormFloat64())
	}
	dense := append([]float32(nil), start...)
	gemmAccDense(dense, a, w, rows, d, s)
	for _, procs := range []int{1, 2} {
		old := runtime.GOMAXPROCS(procs)
		sparse := append([]float32(nil), start...)
		gemmAccSparse(sparse, a, w, rows, d, s)
		runtime.GOMAXPROCS(old)
		for i := range dense {
			if math.Float32bits(sparse[i]) != math.Float32bits(dense[i]) {
				t.Fatalf("%d cores: out[%d] = %v per entry, %v dense", procs, i, sparse[i], dense[i])
			}
		}
	}
}
