package sae

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestPackedActiveLists checks the sparse steps' packed active lists at a
// wide shape in the sparse phase (the path choice counts every row's active
// entries first): the lists lie row after row, each holding exactly its
// row's active features in ascending order with their activations, and the
// list buffers are a fraction of a [B, d_sae] slab rather than one (issue
// 16's memory). Gated: its open-gate lists are packed the same way.
func TestPackedActiveLists(t *testing.T) {
	if !fastGemm() {
		t.Skip("no fast kernels: no path choice, no counts")
	}
	const B, D, S = 32, 136, 512
	r := rand.New(rand.NewPCG(11, 3))
	x := make([]float32, B*D)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	dead := make([]bool, S)
	for _, tc := range []struct {
		arch  string
		shift float32 // added to the encoder bias: few features fire
	}{
		{ArchStandard, -10},
		{ArchGated, -10},
	} {
		t.Run(tc.arch, func(t *testing.T) {
			s := noisySAE(t, tc.arch, D, S, rand.New(rand.NewPCG(5, 8)))
			bias := s.BEnc
			if tc.arch == ArchGated {
				bias = s.BGate
				for i := range s.BMag {
					s.BMag[i] = 1 // a magnitude that is on wherever the gate is open
				}
			}
			for i := range bias {
				bias[i] += tc.shift
			}
			w := newWorkspace(B, D, S)
			w.noDedupe = true
			o := stepOptions{coeff: 0.3, lp: 1}
			if _, err := s.forwardBackward(w, append([]float32(nil), x...), dead, &o, newGrads(s)); err != nil {
				t.Fatal(err)
			}
			if w.denseActs {
				t.Fatal("the step ran dense: not the sparse phase")
			}
			total := 0
			for b := 0; b < B; b++ {
				if w.actOff[b] < total {
					t.Fatalf("row %d's list starts at %d, inside the rows before it (%d entries)", b, w.actOff[b], total)
				}
				n := int(w.actN[b])
				idx := w.actIdx[w.actOff[b] : w.actOff[b]+n]
				// the active features of the row, from its encoder output
				var want []int32
				for i := 0; i < S; i++ {
					pre := w.pre[b*S+i]
					if tc.arch == ArchGated {
						// w.pre holds u = c·W_enc; open gate and magnitude > 0
						e := float32(math.Exp(float64(s.RMag[i])))
						if pre+s.BGate[i] > 0 && pre*e+s.BMag[i] > 0 {
							want = append(want, int32(i))
						}
					} else if pre > 0 {
						want = append(want, int32(i))
					}
				}
				if len(want) != n {
					t.Fatalf("row %d: %d active entries listed, %d in its encoder output", b, n, len(want))
				}
				for k, i := range idx {
					if i != want[k] {
						t.Fatalf("row %d entry %d: feature %d, want %d", b, k, i, want[k])
					}
				}
				total = w.actOff[b] + n
			}
			if total == 0 {
				t.Fatal("no active entry: the check saw nothing")
			}
			if len(w.actIdx) >= B*S/2 || len(w.actVal) >= B*S/2 {
				t.Errorf("active lists of %d and %d entries for %d active: want a fraction of the %d-entry slab",
					len(w.actIdx), len(w.actVal), total, B*S)
			}
			if w.gated != nil && len(w.gated.gIdx) >= B*S/2 {
				t.Errorf("open-gate lists of %d entries: want a fraction of the %d-entry slab", len(w.gated.gIdx), B*S)
			}
		})
	}
}

// TestJumpReLUChunkedDots checks the dense jumprelu step that takes dLoss/df
// in column chunks (dotsChunkCols > 0: a batch larger than d_in) and writes
// dLoss/dpre into the pre-activations' slab against the step with one
// whole-width dLoss/df slab: the same losses, gradients and activations, bit
// for bit, with and without the tanh penalty, and that the chunked step
// leaves the dots slab unallocated (one [batch, d_sae] slab less).
func TestJumpReLUChunkedDots(t *testing.T) {
	if !fastGemm() {
		t.Skip("no fast kernels: the jumprelu step is always sparse")
	}
	const B, D, S = 256, 128, 3 * passBlock
	if cw := dotsChunkCols(B, D, S); cw == 0 || cw >= S {
		t.Fatalf("dotsChunkCols(%d, %d, %d) = %d: the shape takes no chunks", B, D, S, cw)
	}
	r := rand.New(rand.NewPCG(17, 2))
	x := make([]float32, B*D)
	for i := range x {
		x[i] = float32(r.NormFloat64()*1.5 + 0.3)
	}
	for _, tanh := range []bool{false, true} {
		s := noisySAE(t, ArchJumpReLU, D, S, rand.New(rand.NewPCG(6, 1)))
		o := stepOptions{coeff: 0.3, lp: 1, bandwidth: 0.5, tanhMode: tanh, tanhScale: 2}
		var L [2]StepLosses
		var g [2]grads
		var f [2][]float32
		for i, chunks := range []bool{false, true} {
			old := jumpChunks
			jumpChunks = chunks
			w := newWorkspace(B, D, S)
			g[i] = newGrads(s)
			oi := o
			var err error
			L[i], err = s.forwardBackward(w, append([]float32(nil), x...), make([]bool, S), &oi, g[i])
			jumpChunks = old
			if err != nil {
				t.Fatal(err)
			}
			if !w.denseActs {
				t.Fatal("the step ran sparse: not the dense jumprelu step")
			}
			if chunks && w.dots != nil {
				t.Errorf("tanh %v: the chunked step allocated the %d-value dots slab", tanh, len(w.dots))
			}
			f[i] = make([]float32, B*S)
			w.features(f[i])
		}
		if L[0] != L[1] {
			t.Errorf("tanh %v: losses %+v chunked, %+v whole", tanh, L[1], L[0])
		}
		for k, nm := range s.paramNames() {
			for j := range g[0][k] {
				if math.Float32bits(g[0][k][j]) != math.Float32bits(g[1][k][j]) {
					t.Fatalf("tanh %v: grad %s[%d] = %v chunked, %v whole", tanh, nm, j, g[1][k][j], g[0][k][j])
				}
			}
		}
		for j := range f[0] {
			if math.Float32bits(f[0][j]) != math.Float32bits(f[1][j]) {
				t.Fatalf("tanh %v: feature %d = %v chunked, %v whole", tanh, j, f[1][j], f[0][j])
			}
		}
	}
}

// TestGatedChunkedDots checks the dense gated step that takes the
// auxiliary W_dec gradient as its transpose and dLoss/df in column chunks,
// writing dLoss/du over u, against the whole-width pass: the same losses,
// gradients and activations bit for bit (with and without tanh-relu and
// b_dec applied to the input), and no fourth [batch, d_sae] slab (s3).
func TestGatedChunkedDots(t *testing.T) {
	if !fastGemm() || !useAVX2 {
		t.Skip("no fast kernels: the gated step has no chunked pass")
	}
	const B, D, S = 256, 128, 3 * passBlock
	if cw := dotsChunkCols(B, D, S); cw == 0 || B*S*D < tnTransposeMinWork {
		t.Fatalf("shape %d×%d×%d takes no chunks", B, D, S)
	}
	r := rand.New(rand.NewPCG(19, 4))
	x := make([]float32, B*D)
	for i := range x {
		x[i] = float32(r.NormFloat64()*1.5 + 0.3)
	}
	for _, tc := range []struct {
		name  string
		setup func(s *SAE)
	}{
		{"relu", func(s *SAE) {}},
		{"tanh-relu/bdec-to-input", func(s *SAE) { s.ActivationFn, s.ApplyBDecToInput = "tanh-relu", true }},
	} {
		modes := []bool{false} // AVX-512 off, and on where the CPU has it
		if useAVX512 {
			modes = append(modes, true)
		}
		for _, on := range modes {
			t.Run(fmt.Sprintf("%s/avx512=%v", tc.name, on), func(t *testing.T) {
				withAVX512(on, func() { gatedChunkedSame(t, tc.setup, x, B, D, S) })
			})
		}
	}
}

// gatedChunkedSame is TestGatedChunkedDots' comparison for one SAE set-up.
func gatedChunkedSame(t *testing.T, setup func(s *SAE), x []float32, B, D, S int) {
	t.Helper()
	s := noisySAE(t, ArchGated, D, S, rand.New(rand.NewPCG(8, 5)))
	setup(s)
	var L [2]StepLosses
	var g [2]grads
	var f [2][]float32
	for i, chunks := range []bool{false, true} {
		old := gatedChunks
		gatedChunks = chunks
		w := newWorkspace(B, D, S)
		g[i] = newGrads(s)
		o := stepOptions{coeff: 0.3, lp: 1}
		var err error
		L[i], err = s.forwardBackward(w, append([]float32(nil), x...), make([]bool, S), &o, g[i])
		gatedChunks = old
		if err != nil {
			t.Fatal(err)
		}
		if !w.denseActs {
			t.Fatal("the step ran sparse: not the dense gated step")
		}
		if chunks && w.gd.s3 != nil {
			t.Errorf("the chunked step allocated the %d-value s3 slab", len(w.gd.s3))
		}
		f[i] = make([]float32, B*S)
		w.features(f[i])
	}
	if L[0] != L[1] {
		t.Errorf("losses %+v chunked, %+v whole", L[1], L[0])
	}
	for k, nm := range s.paramNames() {
		for j := range g[0][k] {
			if math.Float32bits(g[0][k][j]) != math.Float32bits(g[1][k][j]) {
				t.Fatalf("grad %s[%d] = %v chunked, %v whole", nm, j, g[1][k][j], g[0][k][j])
			}
		}
	}
	for j := range f[0] {
		if math.Float32bits(f[0][j]) != math.Float32bits(f[1][j]) {
			t.Fatalf("feature %d = %v chunked, %v whole", j, f[1][j], f[0][j])
		}
	}
}
