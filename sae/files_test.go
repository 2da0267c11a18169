package sae

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glassbox-interp/glassbox/formats/safetensors"
	"github.com/glassbox-interp/glassbox/tensor"
)

func randomSAE(t *testing.T, arch string, dIn, dSAE int, seed uint64) *SAE {
	t.Helper()
	s, err := New(arch, dIn, dSAE)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(seed, 3))
	for _, p := range s.params() {
		for i := range p {
			p[i] = float32(r.NormFloat64())
		}
	}
	if arch == ArchJumpReLU {
		for i := range s.LogThreshold {
			s.LogThreshold[i] = -2 + 0.1*float32(i%5)
		}
	}
	s.K = 3
	s.KBatch = 2
	s.TopKThreshold = 0.25
	s.ApplyBDecToInput = true
	hi := 2
	s.Meta = Metadata{ModelName: "case3", HookName: "blocks.1.attn.hook_z", HookLayer: 1, HookHeadIndex: &hi, ContextSize: 5}
	return s
}

func TestSaveLoadRoundTrip(t *testing.T) {
	x := make([]float32, 7*6)
	r := rand.New(rand.NewPCG(1, 1))
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	for _, arch := range []string{ArchStandard, ArchGated, ArchJumpReLU, ArchTopK, ArchBatchTopK} {
		t.Run(arch, func(t *testing.T) {
			s := randomSAE(t, arch, 6, 10, 7)
			dir := t.TempDir()
			sp := make([]float32, 10)
			for i := range sp {
				sp[i] = -float32(i)
			}
			if err := Save(dir, s, sp); err != nil {
				t.Fatal(err)
			}
			got, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			wantArch := arch
			if arch == ArchBatchTopK {
				wantArch = ArchJumpReLU
			}
			if got.Arch != wantArch || got.DIn != 6 || got.DSAE != 10 || got.Meta.HookName != "blocks.1.attn.hook_z" ||
				got.Meta.HookHeadIndex == nil || *got.Meta.HookHeadIndex != 2 || !got.ApplyBDecToInput {
				t.Fatalf("loaded %s %d×%d meta %+v", got.Arch, got.DIn, got.DSAE, got.Meta)
			}
			// Same function: identical encodings of random inputs.
			a, _ := s.Encode(x)
			b, _ := got.Encode(x)
			closeTo(t, "features", b, a, 1e-6)
			sp2, err := LoadSparsity(dir)
			if err != nil {
				t.Fatal(err)
			}
			closeTo(t, "sparsity", sp2, sp, 0)
			raw, _ := os.ReadFile(filepath.Join(dir, CfgFile))
			var cfg map[string]any
			if err := json.Unmarshal(raw, &cfg); err != nil {
				t.Fatal(err)
			}
			if _, ok := cfg["metadata"]; !ok || cfg["reshape_activations"] != "hook_z" {
				t.Errorf("cfg.json is not the v6 layout: %s", raw)
			}
		})
	}
}

func TestLoadPre6Config(t *testing.T) {
	// A SAELens 3.12 checkpoint cfg.json is the whole runner config (this is
	// the notebook's); SAE.save_model wrote activation_fn_str instead.
	raw, err := os.ReadFile("testdata/notebook_config.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, variant := range []string{"runner", "save_model"} {
		t.Run(variant, func(t *testing.T) {
			b := raw
			if variant == "save_model" {
				b = []byte(strings.Replace(string(raw), `"activation_fn": "relu"`, `"activation_fn_str": "relu"`, 1))
				b = []byte(strings.Replace(string(b), `"d_sae": null`, `"d_sae": 48`, 1))
				b = []byte(strings.Replace(string(b), `"hook_name": "blocks.0.hook_resid_pre"`, `"hook_point": "blocks.0.hook_resid_pre"`, 1))
			} else {
				b = []byte(strings.Replace(string(raw), `"d_sae": null`, `"d_sae": 48`, 1))
			}
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, CfgFile), b, 0o644)
			s := randomSAE(t, ArchStandard, 12, 48, 2)
			if err := safetensors.Save(filepath.Join(dir, WeightsFile), s.weightTensors(), nil); err != nil {
				t.Fatal(err)
			}
			got, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			if got.Meta.HookName != "blocks.0.hook_resid_pre" || got.Meta.ContextSize != 5 || got.ApplyBDecToInput ||
				got.Meta.ModelName != "case3" || got.Meta.SAELensVersion != "3.12.0" {
				t.Errorf("pre-6 fields: %+v apply_b_dec %v", got.Meta, got.ApplyBDecToInput)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	good := t.TempDir()
	s := randomSAE(t, ArchStandard, 4, 8, 1)
	if err := Save(good, s, nil); err != nil {
		t.Fatal(err)
	}
	wbytes, _ := os.ReadFile(filepath.Join(good, WeightsFile))
	cfgBytes, _ := os.ReadFile(filepath.Join(good, CfgFile))
	cases := []struct {
		name    string
		cfg     string
		weights []byte
		want    string
	}{
		{"truncated weights", string(cfgBytes), wbytes[:len(wbytes)-7], WeightsFile},
		{"missing d_in", `{"d_sae": 8}`, wbytes, "d_in: missing"},
		{"d_sae zero", `{"d_in": 4, "d_sae": 0}`, wbytes, "d_sae must be >= 1"},
		{"wrong shape", strings.Replace(string(cfgBytes), `"d_sae": 8`, `"d_sae": 9`, 1), wbytes, "expected [9 4]"},
		{"other architecture", strings.Replace(string(cfgBytes), `"architecture": "standard"`, `"architecture": "gated"`, 1), wbytes, "gated"},
		{"bad json", `{"d_in": 4,`, wbytes, CfgFile},
		{"string d_in", `{"d_in": "4", "d_sae": 8}`, wbytes, `d_in: expected an integer, got "4"`},
		{"string architecture", `{"d_in": 4, "d_sae": 8, "architecture": 7}`, wbytes, `architecture: expected a string, got 7`},
		{"topk k too big", `{"d_in": 4, "d_sae": 8, "architecture": "topk", "k": 9}`, wbytes, "k"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, CfgFile), []byte(c.cfg), 0o644)
			os.WriteFile(filepath.Join(dir, WeightsFile), c.weights, 0o644)
			_, err := Load(dir)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to mention %q", err, c.want)
			}
		})
	}
}

func TestFineTuningScalingFactorIsFolded(t *testing.T) {
	s := randomSAE(t, ArchStandard, 4, 6, 3)
	dir := t.TempDir()
	if err := Save(dir, s, nil); err != nil {
		t.Fatal(err)
	}
	w := s.weightTensors()
	w["finetuning_scaling_factor"] = &tensor.Tensor{Shape: []int{6}, Data: []float32{1, 2, 1, 1, 0.5, 1}}
	if err := safetensors.Save(filepath.Join(dir, WeightsFile), w, nil); err != nil {
		t.Fatal(err)
	}
	got, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.WDec[1*4] != 2*s.WDec[1*4] || got.WDec[4*4+3] != 0.5*s.WDec[4*4+3] || got.WDec[0] != s.WDec[0] {
		t.Error("scaling factor not folded into W_dec rows")
	}
}

// FuzzParseCfg: arbitrary cfg.json bytes give an SAE or an error, never a panic.
func FuzzParseCfg(f *testing.F) {
	raw, _ := os.ReadFile("testdata/notebook_config.json")
	f.Add(raw)
	f.Add([]byte(`{"d_in": 4, "d_sae": 8, "architecture": "jumprelu", "metadata": {"hook_name": "x"}}`))
	f.Add([]byte(`{"d_in": 4, "d_sae": 8, "activation_fn_str": "topk", "activation_fn_kwargs": {"k": 2}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseCfg(b, "fuzz")
		if err == nil && (s.DIn < 1 || s.DSAE < 1) {
			t.Fatalf("accepted d_in %d d_sae %d", s.DIn, s.DSAE)
		}
	})
}

// FuzzLoadDir: a fuzzed weights file next to a valid cfg.json is loaded or
// rejected with an error.
func FuzzLoadDir(f *testing.F) {
	dir := f.TempDir()
	s, _ := New(ArchGated, 3, 4)
	if err := Save(dir, s, nil); err != nil {
		f.Fatal(err)
	}
	w, _ := os.ReadFile(filepath.Join(dir, WeightsFile))
	cfg, _ := os.ReadFile(filepath.Join(dir, CfgFile))
	f.Add(cfg, w)
	f.Add(cfg, w[:20])
	f.Fuzz(func(t *testing.T, cfgB, wB []byte) {
		d := t.TempDir()
		os.WriteFile(filepath.Join(d, CfgFile), cfgB, 0o644)
		os.WriteFile(filepath.Join(d, WeightsFile), wB, 0o644)
		s, err := Load(d)
		if err == nil && len(s.WDec) != s.DIn*s.DSAE {
			t.Fatal("inconsistent SAE accepted")
		}
	})
}

func TestFuzzSeedsCommitted(t *testing.T) {
	for _, name := range []string{"FuzzParseCfg", "FuzzLoadDir"} {
		entries, err := os.ReadDir(filepath.Join("testdata", "fuzz", name))
		if err != nil || len(entries) == 0 {
			t.Errorf("no committed seed corpus for %s: %v", name, err)
		}
	}
}

func TestCfgDictReshape(t *testing.T) {
	for hook, want := range map[string]string{
		"blocks.1.attn.hook_z":      "hook_z",
		"blocks.0.hook_resid_pre":   "none",
		"blocks.0.attn.hook_result": "none",
		"not_hook_z":                "none",
		"":                          "none",
	} {
		s, err := New(ArchStandard, 4, 8)
		if err != nil {
			t.Fatal(err)
		}
		s.Meta.HookName = hook
		if got := s.CfgDict()["reshape_activations"]; got != want {
			t.Errorf("hook %q: reshape_activations %v, want %s", hook, got, want)
		}
	}
}
