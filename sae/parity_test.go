package sae

import (
	"encoding/json"
	"math"
	"path/filepath"
	"testing"

	"github.com/glassbox-interp/glassbox/formats/safetensors"
)

// parityCfg is the "cfg" metadata written by scripts/sae_parity.py.
type parityCfg struct {
	Arch       string   `json:"arch"`
	Coeff      float64  `json:"coeff"`
	ApplyBDec  bool     `json:"apply_b_dec"`
	Ghost      bool     `json:"ghost"`
	Lp         float64  `json:"lp"`
	ScaleByDec bool     `json:"scale_by_dec"`
	Norm       string   `json:"norm"`
	DenseMSE   bool     `json:"dense_mse"`
	Mode       string   `json:"mode"`
	TanhScale  float64  `json:"tanh_scale"`
	Bandwidth  float64  `json:"bandwidth"`
	K          float64  `json:"k"`
	AuxCoeff   *float64 `json:"aux_coeff"`
	Steps      int      `json:"steps"`
	LR         float64  `json:"lr"`
	DeadWindow int      `json:"dead_window"`
}

type fixture struct {
	f   *safetensors.File
	cfg parityCfg
}

func loadFixture(t *testing.T, name string) fixture {
	t.Helper()
	f, err := safetensors.ReadFile(filepath.Join("testdata", "parity", name+".safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	var c parityCfg
	if s, ok := f.Metadata["cfg"]; ok {
		if err := json.Unmarshal([]byte(s), &c); err != nil {
			t.Fatal(err)
		}
	}
	if c.Lp == 0 {
		c.Lp = 1
	}
	if c.Norm == "" {
		c.Norm = "none"
	}
	return fixture{f, c}
}

func (fx fixture) get(t *testing.T, name string) ([]float32, []int) {
	t.Helper()
	tt, err := fx.f.Tensor(name)
	if err != nil {
		t.Fatal(err)
	}
	return tt.Data, tt.Shape
}

func (fx fixture) f64(t *testing.T, name string) []float64 {
	t.Helper()
	v, err := fx.f.Tensors[name].Float64s()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// buildSAE makes an SAE from the fixture's parameters with the given prefix.
func (fx fixture) buildSAE(t *testing.T, prefix string) *SAE {
	t.Helper()
	wenc, sh := fx.get(t, prefix+"W_enc")
	s, err := New(fx.cfg.Arch, sh[0], sh[1])
	if err != nil {
		t.Fatal(err)
	}
	s.SetWEnc(wenc)
	names := s.paramNames()
	for k, p := range s.params() {
		if names[k] == "W_enc" {
			continue
		}
		v, _ := fx.get(t, prefix+names[k])
		copy(p, v)
	}
	s.ApplyBDecToInput = fx.cfg.ApplyBDec
	s.NormalizeActivations = fx.cfg.Norm
	s.K = int(fx.cfg.K)
	s.KBatch = fx.cfg.K
	return s
}

func (fx fixture) options() *stepOptions {
	c := fx.cfg
	aux := 1.0
	if c.AuxCoeff != nil {
		aux = *c.AuxCoeff
	}
	return &stepOptions{coeff: float32(c.Coeff), lp: c.Lp, scaleByDec: c.ScaleByDec, ghost: c.Ghost,
		denseMSE: c.DenseMSE, bandwidth: float32(c.Bandwidth), tanhMode: c.Mode == "tanh",
		tanhScale: float32(c.TanhScale), auxCoeff: float32(aux)}
}

// closeTo compares got with want: every element within rel × max|want| (+ a
// tiny absolute floor for all-zero tensors).
func closeTo(t *testing.T, what string, got, want []float32, rel float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	var scale float64
	for _, v := range want {
		scale = math.Max(scale, math.Abs(float64(v)))
	}
	tol := rel*scale + 1e-9
	for i := range got {
		if d := math.Abs(float64(got[i]) - float64(want[i])); d > tol || math.IsNaN(float64(got[i])) {
			t.Errorf("%s[%d] = %g, want %g (|diff| %g > tol %g)", what, i, got[i], want[i], d, tol)
			return
		}
	}
}

// kernelModes runs f with the AVX2 dense path, the sparse path and pure Go.
func kernelModes(t *testing.T, f func(t *testing.T)) {
	avx, dense := useAVX2, denseMaxDSAE
	defer func() { useAVX2, denseMaxDSAE = avx, dense }()
	for _, m := range []struct {
		name  string
		avx   bool
		dense int
	}{{"default", avx, dense}, {"sparse", avx, 0}, {"purego", false, dense}} {
		useAVX2, denseMaxDSAE = m.avx, m.dense
		t.Run(m.name, f)
	}
}

func TestParityOneStep(t *testing.T) { kernelModes(t, testParityOneStep) }

func TestParityTrainerSteps(t *testing.T) { kernelModes(t, testParityTrainerSteps) }

func testParityOneStep(t *testing.T) {
	cases := []string{"standard", "standard_ghost", "standard_lp2_scaled", "standard_layernorm_dense",
		"standard_constnorm", "gated", "jumprelu_step", "jumprelu_tanh", "topk", "batchtopk"}
	for _, name := range cases {
		t.Run(name, func(t *testing.T) {
			fx := loadFixture(t, name)
			s := fx.buildSAE(t, "param.")
			x, xs := fx.get(t, "x")
			deadF, _ := fx.get(t, "dead")
			dead := make([]bool, len(deadF))
			for i, v := range deadF {
				dead[i] = v != 0
			}
			w := newWorkspace(xs[0], xs[1], s.DSAE)
			g := newGrads(s)
			L, err := s.forwardBackward(w, x, dead, fx.options(), g)
			if err != nil {
				t.Fatal(err)
			}
			want := fx.f64(t, "losses")
			got := []float64{L.MSE, L.L1, L.Ghost, L.Aux, L.Overall}
			for i, nm := range []string{"mse", "sparsity", "ghost", "aux", "overall"} {
				if d := math.Abs(got[i] - want[i]); d > 1e-5*math.Max(math.Abs(want[i]), 1e-3) {
					t.Errorf("loss %s = %.8g, want %.8g", nm, got[i], want[i])
				}
			}
			names := s.paramNames()
			for k := range s.params() {
				gv := g[k]
				if names[k] == "W_enc" {
					gv = make([]float32, len(g[k]))
					transpose(gv, g[k], s.DSAE, s.DIn)
				}
				wantG, _ := fx.get(t, "grad."+names[k])
				rel := 1e-5
				if fx.cfg.Ghost {
					// The ghost loss divides by (e² + 1e-6) per element: where the
					// ghost output nearly equals the residual, float32 rounding
					// differences (FMA kernels vs torch) are amplified ~1e6×.
					rel = 1e-4
				}
				closeTo(t, "grad "+names[k], gv, wantG, rel)
			}
			// Feature activations from the training pass.
			wantF, _ := fx.get(t, "feature_acts")
			gotF := make([]float32, len(wantF))
			w.features(gotF)
			closeTo(t, "feature_acts", gotF, wantF, 1e-5)
		})
	}
}

// sliceSource serves fixed batches in order (tests only).
type sliceSource struct {
	rows [][]float32
	pos  int
}

func (s *sliceSource) NextBatch(dst []float32) error {
	copy(dst, s.rows[s.pos%len(s.rows)])
	s.pos++
	return nil
}
func (s *sliceSource) MarshalState() ([]byte, error) { return json.Marshal(s.pos) }
func (s *sliceSource) UnmarshalState(b []byte) error { return json.Unmarshal(b, &s.pos) }

func testParityTrainerSteps(t *testing.T) {
	for _, name := range []string{"train_standard_ghost", "train_gated", "train_topk"} {
		t.Run(name, func(t *testing.T) {
			fx := loadFixture(t, name)
			c := fx.cfg
			s := fx.buildSAE(t, "param0.")
			cfg := DefaultConfig()
			cfg.Architecture = c.Arch
			cfg.DIn = s.DIn
			dsae := s.DSAE
			cfg.DSAE = &dsae
			cfg.L1Coefficient = c.Coeff
			cfg.UseGhostGrads = c.Ghost
			cfg.ApplyBDecToInput = c.ApplyBDec
			cfg.K = c.K
			cfg.LR = c.LR
			cfg.AdamBeta1 = 0.9
			cfg.DeadFeatureWindow = c.DeadWindow
			var rows [][]float32
			for k := 0; k < c.Steps; k++ {
				x, xs := fx.get(t, "x"+string(rune('0'+k)))
				cfg.TrainBatchSizeTokens = xs[0]
				rows = append(rows, x)
			}
			cfg.TrainingTokens = int64(c.Steps * cfg.TrainBatchSizeTokens)
			r, err := cfg.Resolve()
			if err != nil {
				t.Fatal(err)
			}
			tr := newTrainer(r, s, &sliceSource{rows: rows})
			for k := 0; k < c.Steps; k++ {
				if _, err := tr.Step(); err != nil {
					t.Fatal(err)
				}
			}
			names := s.paramNames()
			for k, p := range s.params() {
				gv := p
				if names[k] == "W_enc" {
					gv = s.WEnc()
				}
				want, _ := fx.get(t, "final."+names[k])
				closeTo(t, "param "+names[k], gv, want, 1e-5)
			}
		})
	}
}

func TestGeometricMedianParity(t *testing.T) {
	fx := loadFixture(t, "geometric_median")
	pts, sh := fx.get(t, "points")
	want := fx.f64(t, "median")
	got, err := GeometricMedian(pts, sh[1], 100, 1e-6, 1e-20)
	if err != nil {
		t.Fatal(err)
	}
	for j := range want {
		if d := math.Abs(got[j] - want[j]); d > 1e-7*math.Max(1, math.Abs(want[j])) {
			t.Errorf("median[%d] = %.12g, want %.12g", j, got[j], want[j])
		}
	}
	// The median is not the mean for these skewed points.
	mean := weightedAverage(pts, sh[1], ones(sh[0]))
	var diff float64
	for j := range mean {
		diff += math.Abs(mean[j] - got[j])
	}
	if diff < 1e-3 {
		t.Errorf("geometric median equals the mean (diff %g): the iteration did nothing", diff)
	}
}

func ones(n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = 1
	}
	return v
}
