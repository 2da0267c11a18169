package sae

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestDedupeTable(t *testing.T) {
	const B, D = 7, 3
	negZero := float32(math.Copysign(0, -1))
	x := []float32{
		1, 2, 3,
		4, 5, 6,
		1, 2, 3,
		0, 0, 0,
		negZero, 0, 0, // differs from the zero row in its bits: kept apart
		4, 5, 6,
		1, 2, 3,
	}
	w := newWorkspace(B, D, 8)
	u := w.dedupe(x)
	wantRows := []float32{1, 2, 3, 4, 5, 6, 0, 0, 0, negZero, 0, 0}
	if w.u != 4 || len(u) != 4*D {
		t.Fatalf("u = %d (%d values), want 4 distinct rows", w.u, len(u))
	}
	for i, v := range wantRows {
		if math.Float32bits(u[i]) != math.Float32bits(v) {
			t.Fatalf("distinct rows = %v, want %v", u, wantRows)
		}
	}
	wantMult := []float32{3, 2, 1, 1}
	wantRowOf := []int32{0, 1, 0, 2, 3, 1, 0}
	for r, m := range wantMult {
		if w.mult[r] != m {
			t.Errorf("mult[%d] = %v, want %v", r, w.mult[r], m)
		}
	}
	for k, r := range wantRowOf {
		if w.rowOf[k] != r {
			t.Errorf("rowOf[%d] = %d, want %d", k, w.rowOf[k], r)
		}
	}
	// A table collision (every row hashed to the same slot chain) still
	// separates the rows by full comparison: many distinct rows in one batch.
	// Odd and even widths (word-wise path), the distinguishing value in the
	// first or the last column.
	const B2 = 200
	for _, D2 := range []int{3, 4, 12, 13} {
		for _, col := range []int{0, D2 - 1} {
			x2 := make([]float32, B2*D2)
			for k := 0; k < B2; k++ {
				x2[k*D2+col] = float32(k % 50)
				if k%50 == 7 {
					x2[k*D2+col] = negZero // -0 is its own row, apart from +0
				}
			}
			w2 := newWorkspace(B2, D2, 8)
			w2.dedupe(x2)
			if w2.u != 50 {
				t.Fatalf("d %d col %d: u = %d, want 50", D2, col, w2.u)
			}
			for k := 0; k < B2; k++ {
				if w2.rowOf[k] != int32(k%50) || w2.mult[k%50] != 4 {
					t.Fatalf("d %d col %d row %d: rowOf %d mult %v, want %d and 4", D2, col, k, w2.rowOf[k], w2.mult[k%50], k%50)
				}
			}
		}
	}
}

// noisySAE returns an SAE of the architecture with random weights.
func noisySAE(t *testing.T, arch string, dIn, dSAE int, r *rand.Rand) *SAE {
	s, err := New(arch, dIn, dSAE)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range s.params() {
		for i := range p {
			p[i] = float32(r.NormFloat64() * 0.4)
		}
	}
	if s.LogThreshold != nil {
		for i := range s.LogThreshold {
			s.LogThreshold[i] = float32(math.Log(0.05 + 0.1*r.Float64()))
		}
	}
	s.K, s.KBatch = 5, 5
	return s
}

// TestDedupeSameStep checks that a step on a batch with repeated rows gives
// the same losses, gradients and feature activations with and without
// de-duplication, for every architecture and the step options that change
// the per-row terms.
func TestDedupeSameStep(t *testing.T) {
	const B, D, S = 40, 12, 48
	type variant struct {
		name string
		mod  func(s *SAE, o *stepOptions)
	}
	variants := []variant{
		{"plain", func(s *SAE, o *stepOptions) {}},
		{"ghost", func(s *SAE, o *stepOptions) { o.ghost = true }},
		{"ghost_dense_mse", func(s *SAE, o *stepOptions) { o.ghost, o.denseMSE = true, true }},
		{"lp2_scaled", func(s *SAE, o *stepOptions) { o.lp, o.scaleByDec = 2, true }},
		{"tanh_bdec_layernorm", func(s *SAE, o *stepOptions) {
			s.ActivationFn, s.ApplyBDecToInput, s.NormalizeActivations = "tanh-relu", true, "layer_norm"
		}},
	}
	archs := []string{ArchStandard, ArchGated, ArchJumpReLU, ArchTopK, ArchBatchTopK}
	for _, arch := range archs {
		for _, v := range variants {
			t.Run(arch+"/"+v.name, func(t *testing.T) {
				r := rand.New(rand.NewPCG(3, 4))
				s := noisySAE(t, arch, D, S, r)
				o := &stepOptions{coeff: 0.3, lp: 1, bandwidth: 0.05, tanhScale: 4, auxCoeff: 1 / 32.0}
				v.mod(s, o)
				// 6 distinct rows, repeated unevenly.
				distinct := make([]float32, 6*D)
				for i := range distinct {
					distinct[i] = float32(r.NormFloat64())
				}
				x := make([]float32, B*D)
				for k := 0; k < B; k++ {
					j := [12]int{0, 0, 0, 1, 2, 2, 3, 4, 5, 5, 5, 5}[k%12]
					copy(x[k*D:k*D+D], distinct[j*D:j*D+D])
				}
				dead := make([]bool, S)
				for i := range dead {
					dead[i] = i%5 == 0
				}
				run := func(noDedupe bool) (StepLosses, grads, []float32, []float32, int) {
					w := newWorkspace(B, D, S)
					w.noDedupe = noDedupe
					g := newGrads(s)
					xc := append([]float32(nil), x...)
					L, err := s.forwardBackward(w, xc, dead, o, g)
					if err != nil {
						t.Fatal(err)
					}
					f := make([]float32, B*S)
					w.features(f)
					return L, g, f, append([]float32(nil), w.firingCounts()...), w.u
				}
				L0, g0, f0, c0, u0 := run(true)
				L1, g1, f1, c1, u1 := run(false)
				if u0 != B {
					t.Fatalf("without de-duplication the step saw %d rows, want %d", u0, B)
				}
				if dedupeOK(s, newWorkspace(B, D, S), o) {
					if u1 != 6 {
						t.Fatalf("de-duplicated step saw %d rows, want 6", u1)
					}
				} else {
					t.Logf("%s: not de-duplicated (dedupeOK false)", arch)
				}
				l0 := []float64{L0.MSE, L0.L1, L0.Ghost, L0.Aux, L0.Overall}
				l1 := []float64{L1.MSE, L1.L1, L1.Ghost, L1.Aux, L1.Overall}
				for i, nm := range []string{"mse", "l1", "ghost", "aux", "overall"} {
					if d := math.Abs(l1[i] - l0[i]); d > 1e-5*math.Max(math.Abs(l0[i]), 1e-3) {
						t.Errorf("loss %s = %.8g with de-duplication, %.8g without", nm, l1[i], l0[i])
					}
				}
				names := s.paramNames()
				for k := range g0 {
					closeTo(t, "grad "+names[k], g1[k], g0[k], 1e-4)
				}
				closeTo(t, "feature_acts", f1, f0, 1e-6)
				for i := range c0 {
					if c0[i] != c1[i] {
						t.Errorf("feature %d fired on %v rows with de-duplication, %v without", i, c1[i], c0[i])
					}
				}
			})
		}
	}
}

func TestTransposeTo(t *testing.T) {
	for _, sh := range [][2]int{{1, 1}, {3, 5}, {4, 4}, {9, 7}, {48, 12}, {13, 1}, {8, 8}, {17, 19}, {976, 244}, {40, 16}, {7, 30}} {
		rows, cols := sh[0], sh[1]
		src := make([]float32, rows*cols)
		for i := range src {
			src[i] = float32(i + 1)
		}
		ldd := rows + 2
		dst := make([]float32, cols*ldd)
		transposeTo(dst, ldd, src, rows, cols)
		// transposeCols of every other column writes just those.
		var which []int32
		for c := 0; c < cols; c += 2 {
			which = append(which, int32(c))
		}
		part := make([]float32, cols*ldd)
		transposeCols(part, ldd, src, rows, cols, which)
		for c := 0; c < cols; c++ {
			for r := 0; r < ldd; r++ {
				want := float32(0)
				if c%2 == 0 {
					want = dst[c*ldd+r]
				}
				if part[c*ldd+r] != want {
					t.Fatalf("%d×%d: transposeCols dst[%d,%d] = %v, want %v", rows, cols, c, r, part[c*ldd+r], want)
				}
			}
		}
		for r := 0; r < rows; r++ {
			for c := 0; c < cols; c++ {
				if got := dst[c*ldd+r]; got != src[r*cols+c] {
					t.Fatalf("%d×%d: dst[%d,%d] = %v, want %v", rows, cols, c, r, got, src[r*cols+c])
				}
			}
		}
		for c := 0; c < cols; c++ {
			for r := rows; r < ldd; r++ {
				if dst[c*ldd+r] != 0 {
					t.Fatalf("%d×%d: padding dst[%d,%d] written", rows, cols, c, r)
				}
			}
		}
	}
}

// TestEncodeReusedWorkspace checks that a workspace reused across steps with
// sparse inputs (the encoder copy is refreshed only for the columns a step
// uses) gives the same step as a fresh workspace, after the weights moved.
func TestEncodeReusedWorkspace(t *testing.T) {
	const B, D, S = 12, 40, 80 // few input columns used: the partial encoder refresh
	r := rand.New(rand.NewPCG(8, 8))
	s := noisySAE(t, ArchStandard, D, S, r)
	o := &stepOptions{coeff: 0.1, lp: 1, ghost: true}
	batch := func(cols []int) []float32 {
		x := make([]float32, B*D)
		for k := 0; k < B; k++ {
			x[k*D+cols[k%len(cols)]] = float32(1 + r.Float64())
		}
		return x
	}
	dead := make([]bool, S)
	dead[3] = true
	reused := newWorkspace(B, D, S)
	if _, err := s.forwardBackward(reused, batch([]int{0, 1, 2, 3, 19}), dead, o, newGrads(s)); err != nil {
		t.Fatal(err)
	}
	for i := range s.WEncT {
		s.WEncT[i] += float32(r.NormFloat64() * 0.1)
	}
	x := batch([]int{2, 3, 4, 5, 6, 7, 8})
	g0, g1 := newGrads(s), newGrads(s)
	// Reference: the pure-Go encoder (dot products on W_enc as stored).
	avx := useAVX2
	useAVX2 = false
	L0, err := s.forwardBackward(newWorkspace(B, D, S), append([]float32(nil), x...), dead, o, g0)
	useAVX2 = avx
	if err != nil {
		t.Fatal(err)
	}
	L1, err := s.forwardBackward(reused, x, dead, o, g1)
	if err != nil {
		t.Fatal(err)
	}
	l0 := []float64{L0.MSE, L0.L1, L0.Ghost, L0.Overall}
	l1 := []float64{L1.MSE, L1.L1, L1.Ghost, L1.Overall}
	for i := range l0 {
		if d := math.Abs(l1[i] - l0[i]); d > 1e-5*math.Max(math.Abs(l0[i]), 1e-3) {
			t.Errorf("reused workspace: losses %+v, want %+v", L1, L0)
			break
		}
	}
	for k := range g0 {
		closeTo(t, "grad", g1[k], g0[k], 1e-4)
	}
}

// TestDedupeTrainerMetrics trains on repeated rows with and without
// de-duplication and compares the logged per-step metrics (explained
// variance and L0 are computed per batch row from the step rows).
func TestDedupeTrainerMetrics(t *testing.T) {
	data := case3Activations(t, "0_hook_mlp_out", 12)
	run := func(noDedupe bool) []Record {
		cfg, _, err := LoadConfig("testdata/notebook_config.json")
		if err != nil {
			t.Fatal(err)
		}
		cfg.TrainingTokens = 80 * 40
		r, err := cfg.Resolve()
		if err != nil {
			t.Fatal(err)
		}
		tr, err := NewTrainer(r, newCycleSource(data, 12, 1))
		if err != nil {
			t.Fatal(err)
		}
		tr.ws.noDedupe = noDedupe
		for i := 0; i < 40; i++ {
			L, err := tr.Step()
			if err != nil {
				t.Fatal(err)
			}
			tr.logTrainStep(tr.StepN-1, L)
		}
		if !noDedupe && tr.ws.u >= tr.ws.b {
			t.Fatalf("batch was not de-duplicated (%d of %d rows)", tr.ws.u, tr.ws.b)
		}
		return tr.metrics
	}
	m0, m1 := run(true), run(false)
	if len(m0) != len(m1) || len(m0) == 0 {
		t.Fatalf("%d and %d records", len(m0), len(m1))
	}
	for i := range m0 {
		for _, k := range m0[i].Order {
			a, b := m0[i].Values[k], m1[i].Values[k]
			if math.Abs(a-b) > 1e-4*math.Max(math.Abs(a), 1) {
				t.Errorf("step %d %s: %v with de-duplication, %v without", m0[i].Step, k, b, a)
			}
		}
	}
}
