package siit

import (
	"math"
	"strings"
	"testing"

	"github.com/glassbox-interp/glassbox/cases"
	"github.com/glassbox-interp/glassbox/tracr"
)

func compileCase(t testing.TB, id int) *tracr.Compiled {
	t.Helper()
	c, err := cases.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	comp, err := tracr.CompileCase(c, MLPExactness)
	if err != nil {
		t.Fatal(err)
	}
	return comp
}

func TestLLConfigCase3(t *testing.T) {
	comp := compileCase(t, 3)
	ll, std, err := LLConfig(comp.Config, 3, Shape{})
	if err != nil {
		t.Fatal(err)
	}
	if ll.NLayers != 2 || ll.NHeads != 4 || ll.DHead != 3 || ll.DModel != 12 || ll.DMLP != 48 ||
		ll.NCtx != 5 || ll.DVocab != 6 || ll.DVocabOut != 1 || ll.ActFn != "gelu" || ll.AttentionDir != "causal" ||
		ll.NormalizationType != "" {
		t.Fatalf("case 3 LL config %+v, want L2 H4 dh3 d12 mlp48 n_ctx 5 d_vocab 6 d_vocab_out 1 gelu causal no LN", ll)
	}
	if math.Abs(std-0.8/math.Sqrt(13)) > 1e-12 || math.Abs(std-0.2219) > 1e-4 {
		t.Errorf("init σ %v, want 0.8/√13 ≈ 0.2219", std)
	}
	// The HL's attn_scale (√6) is inherited, as HookedTransformerConfig keeps it.
	if math.Abs(ll.AttnScale-math.Sqrt(6)) > 1e-12 {
		t.Errorf("attn_scale %v, want √6 (the HL's)", ll.AttnScale)
	}
	if ll.Seed == nil || *ll.Seed != 0 {
		t.Errorf("seed %v, want 0", ll.Seed)
	}
}

func TestLLConfigRules(t *testing.T) {
	hl := compileCase(t, 3).Config // d_model 13, d_head 6, 1 head, 2 layers
	for _, tc := range []struct {
		name                  string
		caseID                int
		s                     Shape
		layers, heads, dh, dm int
	}{
		{"default ratio 2", 0, Shape{}, 2, 4, 3, 12},
		{"ratio 1.2 (case 24): 6 // 1.2 = 5", 24, Shape{}, 2, 4, 5, 20},
		{"resid compression (case 18, 1.6): 13 // 1.6 = 8", 18, Shape{}, 2, 4, 2, 8},
		{"same size keeps heads, compresses the residual", 0, Shape{SameSize: true}, 2, 1, 6, 6},
		{"same size ratio 1", 0, Shape{SameSize: true, Ratio: 1}, 2, 1, 13, 13},
		{"explicit ratio", 0, Shape{Ratio: 3}, 2, 4, 2, 8},
		{"explicit heads", 0, Shape{NHeads: 6}, 2, 6, 3, 18},
		{"explicit all", 0, Shape{DModel: 10, NHeads: 2, DHead: 4}, 2, 2, 4, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ll, _, err := LLConfig(hl, tc.caseID, tc.s)
			if err != nil {
				t.Fatal(err)
			}
			if ll.NLayers != tc.layers || ll.NHeads != tc.heads || ll.DHead != tc.dh || ll.DModel != tc.dm || ll.DMLP != 4*tc.dm {
				t.Errorf("got L%d H%d dh%d d%d mlp%d, want L%d H%d dh%d d%d mlp%d", ll.NLayers, ll.NHeads, ll.DHead,
					ll.DModel, ll.DMLP, tc.layers, tc.heads, tc.dh, tc.dm, 4*tc.dm)
			}
		})
	}
}

func TestLLConfigErrors(t *testing.T) {
	hl := compileCase(t, 3).Config
	for _, tc := range []struct {
		s    Shape
		want string
	}{
		{Shape{Ratio: -1}, "ratio"},
		{Shape{Ratio: math.NaN()}, "ratio"},
		{Shape{DModel: -3}, "positive"},
		{Shape{DModel: 1 << 20}, "too large"},
	} {
		_, _, err := LLConfig(hl, 0, tc.s)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want one mentioning %q", tc.s, err, tc.want)
		}
	}
}

func TestPyFloorDiv(t *testing.T) {
	for _, tc := range []struct{ a, b, want float64 }{
		{6, 2, 3}, {6, 1.2, 5}, {13, 1.6, 8}, {30, 1.3, 23}, {1, 0.1, 9}, {7, 2.5, 2}, {5, 3, 1}, {-7, 2, -4},
	} {
		if got := pyFloorDiv(tc.a, tc.b); got != tc.want {
			t.Errorf("%v // %v = %v, want %v (Python)", tc.a, tc.b, got, tc.want)
		}
	}
}
