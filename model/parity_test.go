package model

import (
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/glassbox-interp/glassbox/formats/safetensors"
	"github.com/glassbox-interp/glassbox/tensor"
)

// Parity tolerance: every element must satisfy |got-want| <= tol·max(1,|want|)
// (absolute for small values, relative for large ones); infinities must match.
const tol = 1e-5

// maxSeen is the largest scaled error seen, logged by TestParityAllHooks.
var maxSeen float64

func closeTo(got float32, want float64) bool {
	if math.IsInf(want, 0) || math.IsNaN(want) {
		return float64(got) == want
	}
	return math.Abs(float64(got)-want) <= tol*math.Max(1, math.Abs(want))
}

type fixture struct {
	name     string
	model    *Model
	unknown  []string
	expected *safetensors.File
}

func loadFixtures(t *testing.T) []fixture {
	t.Helper()
	dirs, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	var out []fixture
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		dir := "testdata/" + d.Name() + "/"
		if _, err := os.Stat(dir + "expected.safetensors"); err != nil {
			continue
		}
		m, unknown, err := LoadTorch(dir+TorchWeightsFile, dir+TorchConfigFile)
		if err != nil {
			t.Fatalf("%s: %v", d.Name(), err)
		}
		exp, err := safetensors.ReadFile(dir + "expected.safetensors")
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fixture{d.Name(), m, unknown, exp})
	}
	if len(out) < 5 {
		t.Fatalf("found %d fixtures, want the 6 of scripts/model_fixtures.py", len(out))
	}
	return out
}

func fixtureTokens(t *testing.T, f *safetensors.File, batch string) [][]int {
	t.Helper()
	r := f.Tensors[batch+"/tokens"]
	ids, err := r.Int64s()
	if err != nil {
		t.Fatal(err)
	}
	B, T := r.Shape[0], r.Shape[1]
	tokens := make([][]int, B)
	for b := range tokens {
		tokens[b] = make([]int, T)
		for i := range tokens[b] {
			tokens[b][i] = int(ids[b*T+i])
		}
	}
	return tokens
}

func compare(t *testing.T, what string, got *tensor.Tensor, want *safetensors.Raw) {
	t.Helper()
	if !tensor.SameShape(got.Shape, want.Shape) {
		t.Errorf("%s: shape %v, want %v", what, got.Shape, want.Shape)
		return
	}
	w, err := want.Float64s()
	if err != nil {
		t.Fatal(err)
	}
	bad := 0
	worst := 0.0
	for i := range w {
		if e := math.Abs(float64(got.Data[i])-w[i]) / math.Max(1, math.Abs(w[i])); e > worst && !math.IsInf(w[i], 0) {
			worst = e
		}
		if !closeTo(got.Data[i], w[i]) {
			if bad < 3 {
				t.Errorf("%s[%d] = %v, want %v", what, i, got.Data[i], w[i])
			}
			bad++
		}
	}
	if bad > 3 {
		t.Errorf("%s: %d of %d elements differ", what, bad, len(w))
	}
	if worst > maxSeen {
		maxSeen = worst
	}
}

// TestParityAllHooks compares every hook and the logits with the float64
// TransformerLens-math reference of scripts/model_fixtures.py.
func TestParityAllHooks(t *testing.T) {
	for _, fx := range loadFixtures(t) {
		t.Run(fx.name, func(t *testing.T) {
			for _, batch := range []string{"full", "short"} {
				tokens := fixtureTokens(t, fx.expected, batch)
				logits, cache, err := fx.model.RunWithCache(tokens)
				if err != nil {
					t.Fatal(err)
				}
				// With a (pass-through) hook function on every hook point, the
				// per-head paths (split q/k/v inputs, per-head results, mlp_in
				// copy) are taken; they must agree with the reference too.
				var hooks []Hook
				for _, n := range HookNames(fx.model.Config()) {
					hooks = append(hooks, Hook{n, func(*tensor.Tensor) error { return nil }})
				}
				logits2, cache2, err := fx.model.Run(tokens, RunOptions{Hooks: hooks, CacheAll: true})
				if err != nil {
					t.Fatal(err)
				}
				compare(t, batch+"/logits (hooked)", logits2, fx.expected.Tensors[batch+"/logits"])
				for h, got := range cache2 {
					compare(t, batch+"/"+h+" (hooked)", got, fx.expected.Tensors[batch+"/"+h])
				}
				compare(t, batch+"/logits", logits, fx.expected.Tensors[batch+"/logits"])
				var refHooks []string
				for _, n := range fx.expected.Names() {
					if h, ok := strings.CutPrefix(n, batch+"/"); ok && h != "tokens" && h != "logits" {
						refHooks = append(refHooks, h)
					}
				}
				names := HookNames(fx.model.Config())
				if a, b := sortedCopy(names), sortedCopy(refHooks); strings.Join(a, ",") != strings.Join(b, ",") {
					t.Errorf("HookNames = %v\nreference has %v", a, b)
				}
				if len(cache) != len(names) {
					t.Errorf("cache has %d entries, HookNames %d", len(cache), len(names))
				}
				for _, h := range refHooks {
					got := cache[h]
					if got == nil {
						t.Errorf("cache lacks %s", h)
						continue
					}
					compare(t, batch+"/"+h, got, fx.expected.Tensors[batch+"/"+h])
					shape, err := HookShape(fx.model.Config(), h, len(tokens), len(tokens[0]))
					if err != nil || !tensor.SameShape(shape, got.Shape) {
						t.Errorf("HookShape(%s) = %v, %v; cache has %v", h, shape, err, got.Shape)
					}
				}
			}
			t.Logf("largest |got-want|/max(1,|want|) so far: %.2g", maxSeen)
		})
	}
}

// TestParityFastPath runs without the on-demand hooks (per-head inputs,
// per-head results, mlp_in), which takes the fused code path.
func TestParityFastPath(t *testing.T) {
	for _, fx := range loadFixtures(t) {
		t.Run(fx.name, func(t *testing.T) {
			tokens := fixtureTokens(t, fx.expected, "full")
			logits, err := fx.model.Forward(tokens)
			if err != nil {
				t.Fatal(err)
			}
			compare(t, "logits", logits, fx.expected.Tensors["full/logits"])
			last := "blocks." + itoa(fx.model.Config().NLayers-1) + ".hook_resid_post"
			_, cache, err := fx.model.RunWithCache(tokens, "blocks.0.attn.hook_z", last)
			if err != nil {
				t.Fatal(err)
			}
			if len(cache) != 2 {
				t.Fatalf("cache has %d entries, want 2", len(cache))
			}
			compare(t, "z", cache["blocks.0.attn.hook_z"], fx.expected.Tensors["full/blocks.0.attn.hook_z"])
			compare(t, last, cache[last], fx.expected.Tensors["full/"+last])
		})
	}
}

func TestFixtureConfigs(t *testing.T) {
	for _, fx := range loadFixtures(t) {
		c := fx.model.Config()
		switch fx.name {
		case "ib_causal", "ib_bidir":
			if c.NHeads != 4 || c.DHead != 2 || c.DModel != 9 || c.ActFn != "gelu" || c.NormalizationType != "" {
				t.Errorf("%s: config %+v", fx.name, c)
			}
			if math.Abs(c.AttnScale-math.Sqrt2) > 1e-12 {
				t.Errorf("%s: attn_scale %v, want sqrt(2)", fx.name, c.AttnScale)
			}
			want := map[string]string{"ib_causal": "causal", "ib_bidir": "bidirectional"}[fx.name]
			if c.AttentionDir != want {
				t.Errorf("%s: attention_dir %q", fx.name, c.AttentionDir)
			}
			if c.Dtype != "float32" {
				t.Errorf("%s: dtype %q, want float32 (from torch.float32)", fx.name, c.Dtype)
			}
			// Keys TransformerLens has and glassbox ignores are reported.
			if !contains(fx.unknown, "init_mode") || contains(fx.unknown, "d_model") {
				t.Errorf("%s: unknown keys %v", fx.name, fx.unknown)
			}
		case "attn_only":
			if !c.AttnOnly || c.NormalizationType != "LNPre" {
				t.Errorf("attn_only config %+v", c)
			}
		}
	}
}

func sortedCopy(s []string) []string {
	c := append([]string(nil), s...)
	sort.Strings(c)
	return c
}

func itoa(i int) string { return strconv.Itoa(i) }
