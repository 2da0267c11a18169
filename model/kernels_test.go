package model

import (
	"math"
	"runtime"
	"testing"

	"github.com/glassbox-interp/glassbox/tensor"
)

// lcg fills a slice with reproducible values in [-1, 1).
func lcg(n int, seed uint32) []float32 {
	out := make([]float32, n)
	for i := range out {
		seed = seed*1664525 + 1013904223
		out[i] = float32(int32(seed>>8)-1<<23) / (1 << 23)
	}
	return out
}

// naiveRows is the reference: float64 sum in index order, plus bias.
func naiveRows(w, x, bias []float32, in, out, n, ldx, ldo int) []float64 {
	ref := make([]float64, n*ldo)
	for r := 0; r < n; r++ {
		for j := 0; j < out; j++ {
			s := 0.0
			for i := 0; i < in; i++ {
				s += float64(x[r*ldx+i]) * float64(w[i*out+j])
			}
			if bias != nil {
				s += float64(bias[j])
			}
			ref[r*ldo+j] = s
		}
	}
	return ref
}

func TestLinearKernels(t *testing.T) {
	cases := []struct {
		name            string
		in, out, n      int
		ldxPad, ldoPad  int
		bias, wantPanel bool
	}{
		{"small row kernel", 9, 8, 7, 0, 0, true, false},
		{"packed exact tiles", 64, 64, 64, 0, 0, true, true},
		{"packed ragged", 67, 45, 37, 0, 0, true, true},
		{"packed one row", 244, 90, 1, 0, 0, false, true},
		{"packed strided", 100, 45, 70, 13, 7, true, true},
		{"packed more rows than a block", 50, 41, 2*blockRows + 5, 3, 0, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := lcg(tc.in*tc.out, 1)
			ldx, ldo := tc.in+tc.ldxPad, tc.out+tc.ldoPad
			x := lcg(tc.n*ldx, 2)
			var bias []float32
			if tc.bias {
				bias = lcg(tc.out, 3)
			}
			l := newLinear(w, tc.in, tc.out)
			if (l.wp != nil) != (tc.wantPanel && useAVX2) {
				t.Fatalf("packed layout = %v, want %v", l.wp != nil, tc.wantPanel && useAVX2)
			}
			const sentinel = 12345
			got := make([]float32, tc.n*ldo)
			for i := range got {
				got[i] = sentinel
			}
			l.applyStrided(got, ldo, x, ldx, bias, tc.n, false)
			ref := naiveRows(w, x, bias, tc.in, tc.out, tc.n, ldx, ldo)
			for r := 0; r < tc.n; r++ {
				for j := 0; j < ldo; j++ {
					g := got[r*ldo+j]
					if j >= tc.out {
						if g != sentinel {
							t.Fatalf("row %d col %d (padding) overwritten: %v", r, j, g)
						}
						continue
					}
					want := ref[r*ldo+j]
					if math.Abs(float64(g)-want) > 1e-6*math.Max(1, math.Abs(want)) {
						t.Fatalf("row %d col %d: got %v, want %v", r, j, g, want)
					}
				}
			}
		})
	}
}

// TestTileKernel checks the assembly tile against a plain float64 sum.
func TestTileKernel(t *testing.T) {
	if !useAVX2 {
		t.Skip("no AVX2+FMA kernel in this build or on this CPU")
	}
	for _, in := range []int{1, 2, 7, 244, 910} {
		x64 := make([]float64, tileRows*in)
		w64 := make([]float64, in*panelCols)
		for i, v := range lcg(len(x64), 4) {
			x64[i] = float64(v)
		}
		for i, v := range lcg(len(w64), 5) {
			w64[i] = float64(v)
		}
		var got [tileRows * panelCols]float64
		dgemm4x8AVX2(&got, &x64[0], &w64[0], in, in)
		for r := 0; r < tileRows; r++ {
			for j := 0; j < panelCols; j++ {
				want := 0.0
				for k := 0; k < in; k++ {
					want += x64[r*in+k] * w64[k*panelCols+j]
				}
				if g := got[r*panelCols+j]; math.Abs(g-want) > 1e-12*math.Max(1, math.Abs(want)) {
					t.Fatalf("in=%d row %d col %d: got %v, want %v", in, r, j, g, want)
				}
			}
		}
	}
}

// packedModel is a random model whose projections all use the packed
// layout (per-head ones included) when the tile kernel is available, and a
// batch for it.
func packedModel(t *testing.T) (*Model, [][]int) {
	t.Helper()
	c := DefaultConfig()
	c.NLayers, c.DModel, c.NHeads, c.DHead, c.DMLP, c.NCtx, c.DVocab = 2, 64, 2, 36, 70, 6, 11
	c.ActFn, c.NormalizationType = "relu", ""
	names, shapes := ParamShapes(c.WithDefaults())
	params := map[string]*tensor.Tensor{}
	for i, n := range names {
		p := tensor.New(shapes[n]...)
		for j, v := range lcg(len(p.Data), uint32(i+10)) {
			p.Data[j] = v / 4
		}
		params[n] = p
	}
	m, err := New(c, params)
	if err != nil {
		t.Fatal(err)
	}
	if useAVX2 && (m.layers[0].qHead[0].wp == nil || m.layers[0].oHead[0].wp == nil || m.layers[0].mlpIn.wp == nil) {
		t.Fatal("test model does not use the packed layout")
	}
	tokens := make([][]int, 37)
	for i := range tokens {
		tokens[i] = []int{i % 11, (i * 3) % 11, (i * 5) % 11, (i + 2) % 11, 7, (i * 7) % 11}
	}
	return m, tokens
}

// TestSplitInputsMatchShared checks the per-head projection path (taken when
// a hook is attached to hook_q/k/v_input) against the shared one: identity
// hooks must not change the logits, and caching hook_result (per-head W_O)
// must agree with the fused W_O product.
func TestSplitInputsMatchShared(t *testing.T) {
	m, tokens := packedModel(t)
	want, err := m.Forward(tokens)
	if err != nil {
		t.Fatal(err)
	}
	var hooks []Hook
	for l := 0; l < 2; l++ {
		for _, n := range []string{"hook_q_input", "hook_k_input", "hook_v_input"} {
			hooks = append(hooks, Hook{Name: "blocks." + itoa(l) + "." + n, Fn: func(*tensor.Tensor) error { return nil }})
		}
	}
	got, err := m.RunWithHooks(tokens, hooks)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want.Data {
		if got.Data[i] != want.Data[i] {
			t.Fatalf("split inputs: logit %d is %v, shared path %v", i, got.Data[i], want.Data[i])
		}
	}
	got, _, err = m.RunWithCache(tokens, "blocks.0.attn.hook_result", "blocks.1.attn.hook_result")
	if err != nil {
		t.Fatal(err)
	}
	for i := range want.Data {
		if d := math.Abs(float64(got.Data[i] - want.Data[i])); d > 1e-5*math.Max(1, math.Abs(float64(want.Data[i]))) {
			t.Fatalf("hook_result path: logit %d is %v, fused path %v", i, got.Data[i], want.Data[i])
		}
	}
}

// TestForwardDeterministic checks that logits and cached activations are
// bit-identical whatever GOMAXPROCS is.
func TestForwardDeterministic(t *testing.T) {
	m, tokens := packedModel(t)
	run := func(procs int) ([]float32, Cache) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		logits, cache, err := m.RunWithCache(tokens)
		if err != nil {
			t.Fatal(err)
		}
		return logits.Data, cache
	}
	l1, c1 := run(1)
	l3, c3 := run(3)
	for i := range l1 {
		if math.Float32bits(l1[i]) != math.Float32bits(l3[i]) {
			t.Fatalf("logit %d: %v with GOMAXPROCS=1, %v with 3", i, l1[i], l3[i])
		}
	}
	for name, a := range c1 {
		b := c3[name]
		for i := range a.Data {
			if math.Float32bits(a.Data[i]) != math.Float32bits(b.Data[i]) {
				t.Fatalf("%s[%d]: %v with GOMAXPROCS=1, %v with 3", name, i, a.Data[i], b.Data[i])
			}
		}
	}
}

// TestAttnMixSkipsZeroWeights pins attnMix (which skips zero pattern
// weights when v is finite) to the plain sum over every key, bit for bit,
// with zero and -0 weights, and keeps NaN when v has an infinity under a
// zero weight.
func TestAttnMixSkipsZeroWeights(t *testing.T) {
	const B, T, H, dh = 3, 5, 2, 7
	pattern := lcg(B*H*T*T, 13)
	for i := range pattern {
		switch i % 3 {
		case 0:
			pattern[i] = 0
		case 1:
			if i%2 == 0 {
				pattern[i] = float32(math.Copysign(0, -1))
			}
		}
	}
	v := lcg(B*T*H*dh, 17)
	ref := func(v []float32) []float32 {
		z := make([]float32, B*T*H*dh)
		for b := 0; b < B; b++ {
			for h := 0; h < H; h++ {
				for i := 0; i < T; i++ {
					for e := 0; e < dh; e++ {
						acc := 0.0
						for j := 0; j < T; j++ {
							acc += float64(pattern[((b*H+h)*T+i)*T+j]) * float64(v[((b*T+j)*H+h)*dh+e])
						}
						z[((b*T+i)*H+h)*dh+e] = float32(acc)
					}
				}
			}
		}
		return z
	}
	for _, tc := range []struct {
		name string
		at   int
		val  float32
	}{{"finite", -1, 0}, {"inf", 0, float32(math.Inf(1))}, {"nan", 3, float32(math.NaN())}} {
		vv := append([]float32(nil), v...)
		if tc.at >= 0 {
			vv[tc.at] = tc.val
		}
		want := ref(vv)
		got := make([]float32, len(want))
		attnMix(got, pattern, vv, B, T, H, dh)
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(got[i] != got[i] && want[i] != want[i]) {
				t.Fatalf("%s: z[%d] = %v, want %v", tc.name, i, got[i], want[i])
			}
		}
	}
}
