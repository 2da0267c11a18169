package sae

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSelectTop checks the radix select against a full sort under
// greaterAt (larger value, then lower index), on values with many ties,
// both zeros, negatives only, one tight cluster, and wide magnitudes.
func TestSelectTop(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	gens := []struct {
		name string
		gen  func() float32
	}{
		{"ties", func() float32 { return float32(r.IntN(20) - 10) }},
		{"zeros", func() float32 {
			return [4]float32{0, float32(math.Copysign(0, -1)), 1, -1}[r.IntN(4)]
		}},
		{"negative", func() float32 { return -float32(r.ExpFloat64()) }},
		{"cluster", func() float32 { return -0.5 + float32(r.IntN(64))*1e-7 }},
		{"wide", func() float32 { return float32(r.NormFloat64() * math.Pow(10, float64(r.IntN(30)-15))) }},
		{"equal", func() float32 { return 0.25 }},
	}
	var ks keySelect
	for _, g := range gens {
		for _, n := range []int{2, 3, 9, 52, 976, 3000} {
			for _, k := range []int{1, 2, 4, 26, 122, n / 2, n - 1} {
				if k < 1 || k >= n {
					continue
				}
				v := make([]float32, n)
				for i := range v {
					v[i] = g.gen()
				}
				// a dead list over the even positions of pre
				pre := make([]float32, 2*n)
				idx := make([]int32, n)
				for i := range idx {
					idx[i] = int32(2 * i)
					pre[2*i], pre[2*i+1] = v[i], 1e30
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
				want := append([]int32(nil), order[:k]...)
				slices.Sort(want)
				for i := range want {
					want[i] *= 2
				}
				got := ks.selectTop(pre, idx, k, make([]int32, n+1))
				if !slices.Equal(got, want) {
					t.Fatalf("%s n=%d k=%d: selected %v, want %v", g.name, n, k, got, want)
				}
				if ks.hist != ([keyHistBins]int32{}) || ks.coarse != ([keyHistBins / 32]int32{}) {
					t.Fatalf("%s n=%d k=%d: histogram not cleared", g.name, n, k)
				}
			}
		}
	}
}

// TestOrderKey checks that orderKey orders like the float values.
func TestOrderKey(t *testing.T) {
	vals := []float32{float32(math.Inf(-1)), -3e38, -2, -1, -1e-30, -1e-45, 0, 1e-45, 1e-30, 1, 2, 3e38, float32(math.Inf(1))}
	for i := 1; i < len(vals); i++ {
		if !(orderKey(vals[i]) > orderKey(vals[i-1])) {
			t.Errorf("orderKey(%g) = %#x not above orderKey(%g) = %#x", vals[i], orderKey(vals[i]), vals[i-1], orderKey(vals[i-1]))
		}
	}
	if orderKey(float32(math.Copysign(0, -1))) != orderKey(0) {
		t.Error("-0 and +0 have different keys")
	}
}

// TestStepTopKMatchesReference compares the topk / batchtopk step (radix
// AuxK selection, feature-major backward) with the previous step
// (stepTopKRef) on the same workspace: losses and every gradient agree up
// to summation order, with and without dead latents, with b_dec applied
// to the input and layer norm, with de-duplicated rows, and with more
// dead latents than k_aux (the selection path) or fewer.
func TestStepTopKMatchesReference(t *testing.T) {
	const B = 24
	type variant struct {
		name    string
		d, s    int
		deadMod int // feature i is dead when i%deadMod != 0 (0: none dead)
		bdec    bool
		dup     bool
	}
	variants := []variant{
		{"no_dead", 12, 48, 0, false, false},
		{"most_dead", 12, 48, 7, false, false},
		{"few_dead", 24, 96, 0, false, false},
		{"bdec_layernorm", 16, 64, 3, true, false},
		{"dedupe", 20, 80, 5, false, true},
		{"wide", 64, 256, 9, false, true},
	}
	for _, arch := range []string{ArchTopK, ArchBatchTopK} {
		for _, v := range variants {
			t.Run(arch+"/"+v.name, func(t *testing.T) {
				r := rand.New(rand.NewPCG(uint64(v.d), 5))
				s := noisySAE(t, arch, v.d, v.s, r)
				s.K, s.KBatch = 4, 4
				if v.bdec {
					s.ApplyBDecToInput, s.NormalizeActivations = true, "layer_norm"
				}
				x := make([]float32, B*v.d)
				for i := range x {
					x[i] = float32(r.NormFloat64())
				}
				if v.dup {
					for k := 1; k < B; k += 2 {
						copy(x[k*v.d:(k+1)*v.d], x[(k-1)*v.d:k*v.d])
					}
				}
				dead := make([]bool, v.s)
				if v.name == "few_dead" {
					for i := 0; i < 5; i++ {
						dead[r.IntN(v.s)] = true
					}
				} else if v.deadMod > 0 {
					for i := range dead {
						dead[i] = i%v.deadMod != 0
					}
				}
				o := &stepOptions{auxCoeff: 1 / 32.0}
				w := newWorkspace(B, v.d, v.s)
				g := newGrads(s)
				L, err := s.forwardBackward(w, append([]float32(nil), x...), dead, o, g)
				if err != nil {
					t.Fatal(err)
				}
				if v.dup && arch == ArchTopK && w.u == B {
					t.Fatal("rows were not de-duplicated")
				}
				xs := x
				if w.u != B {
					xs = w.dd.rows[:w.u*v.d]
				}
				f := make([]float32, B*v.s)
				w.features(f)
				gRef := newGrads(s)
				var LRef StepLosses
				if err := s.stepTopKRef(w, xs, o, gRef, &LRef); err != nil {
					t.Fatal(err)
				}
				fRef := make([]float32, B*v.s)
				w.features(fRef)
				if !slices.Equal(f, fRef) {
					t.Error("feature activations differ")
				}
				if v.deadMod > 0 && LRef.Aux == 0 {
					t.Fatal("reference AuxK loss is zero: the variant does not test AuxK")
				}
				for _, c := range []struct {
					name      string
					got, want float64
				}{{"mse", L.MSE, LRef.MSE}, {"aux", L.Aux, LRef.Aux}} {
					if math.Abs(c.got-c.want) > 1e-5*math.Max(math.Abs(c.want), 1e-6) {
						t.Errorf("%s loss %.9g, want %.9g", c.name, c.got, c.want)
					}
				}
				for k, nm := range s.paramNames() {
					closeTo(t, nm, g[k], gRef[k], 1e-5)
				}
				// The AuxK reconstruction in blocks of 16 features gives
				// the same bits as in one block.
				old := auxBlockBytes
				auxBlockBytes = 1
				defer func() { auxBlockBytes = old }()
				gBlk := newGrads(s)
				LBlk, err := s.forwardBackward(w, append([]float32(nil), x...), dead, o, gBlk)
				if err != nil {
					t.Fatal(err)
				}
				if LBlk != L {
					t.Errorf("blocked reconstruction: losses %+v, want %+v", LBlk, L)
				}
				for k, nm := range s.paramNames() {
					if !slices.Equal(gBlk[k], g[k]) {
						t.Errorf("blocked reconstruction: %s gradient differs", nm)
					}
				}
			})
		}
	}
}

// TestDotRows checks the gathered dot products (four rows a kernel call)
// against float64 sums, for row lengths with and without a tail and row
// counts with and without a remainder, with the kernels and in pure Go.
func TestDotRows(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 8))
	avx := useAVX2
	defer func() { useAVX2 = avx }()
	for _, mode := range []bool{avx, false} {
		useAVX2 = mode
		for _, d := range []int{3, 16, 20, 64, 244} {
			const nrows = 11
			src := make([]float32, nrows*d)
			w := make([]float32, d)
			for i := range src {
				src[i] = float32(r.NormFloat64())
			}
			for i := range w {
				w[i] = float32(r.NormFloat64())
			}
			for _, n := range []int{1, 4, 7, 9} {
				rows := make([]int32, n)
				for i := range rows {
					rows[i] = int32(r.IntN(nrows))
				}
				got := make([]float32, n)
				dotRows(got, w, src, rows)
				for i, b := range rows {
					var want float64
					for j := range w {
						want += float64(w[j]) * float64(src[int(b)*d+j])
					}
					if math.Abs(float64(got[i])-want) > 1e-5*math.Sqrt(float64(d)) {
						t.Fatalf("avx2=%v d=%d n=%d: dot %d = %g, want %g", mode, d, n, i, got[i], want)
					}
				}
			}
		}
	}
}

// TestFirstAbove checks the vectorised scan against a loop, with the
// answer at every position of short and long slices, NaN never above, and
// equal values not above.
func TestFirstAbove(t *testing.T) {
	avx := useAVX2
	defer func() { useAVX2 = avx }()
	for _, mode := range []bool{avx, false} {
		useAVX2 = mode
		for _, n := range []int{0, 1, 7, 8, 9, 31, 32, 33, 100} {
			for at := 0; at <= n; at++ {
				v := make([]float32, n)
				for i := range v {
					v[i] = float32(i%3) - 1 // ≤ 1
				}
				if n > 0 {
					v[n/2] = float32(math.NaN())
				}
				if at < n {
					v[at] = 1.5
				}
				want := n
				for i, x := range v {
					if x > 1 {
						want = i
						break
					}
				}
				if got := firstAbove(v, 1); got != want {
					t.Fatalf("avx2=%v n=%d at=%d: got %d, want %d", mode, n, at, got, want)
				}
			}
		}
	}
}
