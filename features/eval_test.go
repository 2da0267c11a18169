package features

import (
	"encoding/json"
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/glassbox-interp/glassbox/tensor"
)

func randT(r *rand.Rand, relu bool, shape ...int) *tensor.Tensor {
	t := tensor.New(shape...)
	for i := range t.Data {
		v := float32(r.NormFloat64())
		if relu && v < 0.3 {
			v = 0
		}
		t.Data[i] = v
	}
	return t
}

func close(a, b, tol float64) bool {
	return math.Abs(a-b) <= tol*math.Max(1, math.Abs(b))
}

// TestReconstructionVsReference recomputes every metric in float64 with
// different formulas (variance via E[x²]−E[x]², norms per row).
func TestReconstructionVsReference(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	n, din, dsae := 200, 7, 11
	x := randT(r, false, n, din)
	xh := x.Clone()
	for i := range xh.Data {
		xh.Data[i] = 0.9*xh.Data[i] + float32(0.1*r.NormFloat64())
	}
	f := randT(r, true, n, dsae)
	for i := 0; i < n; i++ { // feature 3 dead, feature 4 dense
		f.Data[i*dsae+3] = 0
		f.Data[i*dsae+4] = 1
	}
	for d := 0; d < din; d++ { // a zero input vector is skipped by ratios
		x.Data[17*din+d] = 0
	}
	got, err := Reconstruction(x, xh, f)
	if err != nil {
		t.Fatal(err)
	}
	// reference
	var sse, sx2 float64
	sx := make([]float64, din)
	for i := 0; i < n; i++ {
		for d := 0; d < din; d++ {
			a, b := float64(x.At(i, d)), float64(xh.At(i, d))
			sse += (a - b) * (a - b)
			sx2 += a * a
			sx[d] += a
		}
	}
	var meanSq float64
	for _, s := range sx {
		meanSq += s * s / float64(n)
	}
	ev := 1 - sse/(sx2-meanSq)
	var l0, l1, shr, cos float64
	cnt := 0
	dead, dense := 0, 0
	for j := 0; j < dsae; j++ {
		act := 0
		for i := 0; i < n; i++ {
			if f.At(i, j) > 0 {
				act++
			}
		}
		if act == 0 {
			dead++
		}
		if float64(act)/float64(n) > DenseDensity {
			dense++
		}
		l0 += float64(act) / float64(n)
	}
	for i := 0; i < n; i++ {
		for j := 0; j < dsae; j++ {
			l1 += math.Abs(float64(f.At(i, j))) / float64(n)
		}
		var nx, nh, dp float64
		for d := 0; d < din; d++ {
			nx += float64(x.At(i, d)) * float64(x.At(i, d))
			nh += float64(xh.At(i, d)) * float64(xh.At(i, d))
			dp += float64(x.At(i, d)) * float64(xh.At(i, d))
		}
		if nx == 0 {
			continue
		}
		cnt++
		shr += math.Sqrt(nh) / math.Sqrt(nx)
		cos += dp / (math.Sqrt(nx) * math.Sqrt(nh))
	}
	checks := []struct {
		name      string
		got, want float64
	}{
		{"explained_variance", float64(got.ExplainedVariance), ev},
		{"mse", float64(got.MSE), sse / float64(n*din)},
		{"l0", float64(got.L0), l0},
		{"l1", float64(got.L1), l1},
		{"shrinkage", float64(got.Shrinkage), shr / float64(cnt)},
		{"cosine", float64(got.Cosine), cos / float64(cnt)},
		{"dead", float64(got.Dead), float64(dead)},
		{"dense", float64(got.Dense), float64(dense)},
	}
	for _, c := range checks {
		if !close(c.got, c.want, 1e-10) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if got.Dead != 1 || got.Dense < 1 {
		t.Errorf("dead %d dense %d", got.Dead, got.Dense)
	}
	// Perfect reconstruction.
	p, err := Reconstruction(x, x, f)
	if err != nil {
		t.Fatal(err)
	}
	if p.ExplainedVariance != 1 || p.MSE != 0 || !close(float64(p.Shrinkage), 1, 1e-12) || !close(float64(p.Cosine), 1, 1e-12) {
		t.Errorf("perfect reconstruction: %+v", p)
	}
}

func TestReconstructionErrors(t *testing.T) {
	x := tensor.New(4, 3)
	tests := []struct {
		name     string
		x, xh, f *tensor.Tensor
	}{
		{"xhat-shape", x, tensor.New(4, 2), tensor.New(4, 5)},
		{"f-rows", x, tensor.New(4, 3), tensor.New(3, 5)},
		{"rank1", tensor.New(3), tensor.New(3), tensor.New(3)},
		{"nan", x, &tensor.Tensor{Shape: []int{4, 3}, Data: []float32{float32(math.NaN()), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}}, tensor.New(4, 5)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Reconstruction(tc.x, tc.xh, tc.f); err == nil {
				t.Fatal("expected an error")
			}
		})
	}
}

// refProbs is an independent softmax in float64 (probabilities, not logs).
func refProbs(row []float32) []float64 {
	p := make([]float64, len(row))
	var s float64
	for i, v := range row {
		p[i] = math.Exp(float64(v))
		s += p[i]
	}
	for i := range p {
		p[i] /= s
	}
	return p
}

func TestDownstreamCategoricalVsReference(t *testing.T) {
	r := rand.New(rand.NewSource(9))
	P, V := 50, 4
	mk := func(scale float64) []float32 {
		out := make([]float32, P*V)
		for i := range out {
			out[i] = float32(scale * r.NormFloat64())
		}
		return out
	}
	clean := mk(3)
	spl := append([]float32(nil), clean...)
	for i := range spl {
		spl[i] += float32(0.3 * r.NormFloat64())
	}
	zero := mk(1)
	targets := make([]int, P)
	for i := range targets {
		targets[i] = argmax(clean[i*V : (i+1)*V])
		if i%7 == 0 {
			targets[i] = r.Intn(V)
		}
	}
	targets[3] = -1 // excluded
	got, err := Downstream(DownstreamInput{Categorical: true, V: V, Clean: clean, Spliced: spl, Zero: zero, Targets: targets})
	if err != nil {
		t.Fatal(err)
	}
	var ce, kl, acc [3]float64
	cnt := 0
	for i := 0; i < P; i++ {
		if targets[i] < 0 {
			continue
		}
		cnt++
		pc := refProbs(clean[i*V : (i+1)*V])
		for k, o := range [][]float32{clean, spl, zero} {
			po := refProbs(o[i*V : (i+1)*V])
			ce[k] += -math.Log(po[targets[i]])
			for j := range po {
				kl[k] += pc[j] * math.Log(pc[j]/po[j])
			}
			best := 0
			for j := range po {
				if po[j] > po[best] {
					best = j
				}
			}
			if best == targets[i] {
				acc[k]++
			}
		}
	}
	c := float64(cnt)
	checks := []struct {
		name      string
		got, want float64
	}{
		{"ce_clean", float64(*got.Clean.CE), ce[0] / c},
		{"ce_spliced", float64(*got.Spliced.CE), ce[1] / c},
		{"ce_zero", float64(*got.Zero.CE), ce[2] / c},
		{"kl_clean", float64(*got.Clean.KL), 0},
		{"kl_spliced", float64(*got.Spliced.KL), kl[1] / c},
		{"kl_zero", float64(*got.Zero.KL), kl[2] / c},
		{"acc_clean", float64(got.Clean.Accuracy), acc[0] / c},
		{"acc_spliced", float64(got.Spliced.Accuracy), acc[1] / c},
		{"acc_zero", float64(got.Zero.Accuracy), acc[2] / c},
		{"ce_loss_score", float64(*got.CEScore), (ce[2] - ce[1]) / (ce[2] - ce[0])},
		{"kl_div_score", float64(*got.KLScore), (kl[2] - kl[1]) / kl[2]},
	}
	for _, ch := range checks {
		if !close(ch.got, ch.want, 1e-9) {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
	if got.Positions != P-1 {
		t.Errorf("positions %d, want %d", got.Positions, P-1)
	}
}

func TestDownstreamNumerical(t *testing.T) {
	// Hand-computable: targets 0,1; clean exact; spliced off by 0.1; zero = 0.
	in := DownstreamInput{V: 1, Clean: []float32{0, 1, 0.5}, Spliced: []float32{0.1, 0.9, 0.5}, Zero: []float32{0, 0, 0},
		TargetValues: []float64{0, 1, math.NaN()}}
	got, err := Downstream(in)
	if err != nil {
		t.Fatal(err)
	}
	mseSpl := (0.01 + 0.01) / 2
	mseZero := (0 + 1) / 2.0
	checks := []struct {
		name      string
		got, want float64
	}{
		{"mse_clean", float64(*got.Clean.MSE), 0},
		{"mse_spliced", float64(*got.Spliced.MSE), mseSpl},
		{"mse_zero", float64(*got.Zero.MSE), mseZero},
		{"mse_score", float64(*got.MSEScore), (mseZero - mseSpl) / mseZero},
		{"mse_vs_clean_score", float64(*got.MSECleanSc), (mseZero - mseSpl) / mseZero},
		{"acc_clean", float64(got.Clean.Accuracy), 1},
		{"acc_spliced", float64(got.Spliced.Accuracy), 0},
		{"acc_zero", float64(got.Zero.Accuracy), 0.5},
	}
	for _, ch := range checks {
		if !close(ch.got, ch.want, 1e-6) {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
	// Undefined score encodes as null.
	same := DownstreamInput{V: 1, Clean: []float32{1}, Spliced: []float32{1}, Zero: []float32{1}, TargetValues: []float64{1}}
	m, err := Downstream(same)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"mse_score":null`) || strings.Contains(string(b), "kl_div") {
		t.Errorf("json %s", b)
	}
}

func TestDownstreamErrors(t *testing.T) {
	tests := []struct {
		name string
		in   DownstreamInput
	}{
		{"v0", DownstreamInput{V: 0}},
		{"lengths", DownstreamInput{V: 2, Clean: make([]float32, 4), Spliced: make([]float32, 2), Zero: make([]float32, 4), Categorical: true, Targets: []int{0, 0}}},
		{"targets", DownstreamInput{V: 2, Clean: make([]float32, 4), Spliced: make([]float32, 4), Zero: make([]float32, 4), Categorical: true, Targets: []int{0}}},
		{"target-range", DownstreamInput{V: 2, Clean: make([]float32, 4), Spliced: make([]float32, 4), Zero: make([]float32, 4), Categorical: true, Targets: []int{0, 5}}},
		{"num-targets", DownstreamInput{V: 1, Clean: make([]float32, 2), Spliced: make([]float32, 2), Zero: make([]float32, 2), TargetValues: []float64{1}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Downstream(tc.in); err == nil {
				t.Fatal("expected an error")
			}
		})
	}
}
