package bench

import (
	"math"
	"math/rand"
	"slices"
	"testing"

	"github.com/glassbox-interp/glassbox/features"
	"github.com/glassbox-interp/glassbox/model"
	"github.com/glassbox-interp/glassbox/sae"
	"github.com/glassbox-interp/glassbox/tensor"
	"github.com/glassbox-interp/glassbox/workload"
)

func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s[%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}

// TestHookPassesMatchFullRuns checks the runner's shared passes against
// the plain full-model runs they replace, on every kind of hook of real
// compiled models: the activations (FromModel), the clean output
// (Forward), the zero-ablated and the spliced outputs (RunWithHooks from
// the embedding) must be bit-identical, and the distinct rows must expand
// back to the activations.
func TestHookPassesMatchFullRuns(t *testing.T) {
	for _, tc := range []struct {
		id    int
		hooks []string
	}{
		{3, []string{"blocks.0.hook_resid_pre", "blocks.0.hook_attn_out", "blocks.0.hook_mlp_out", "blocks.1.hook_resid_pre",
			"blocks.1.hook_resid_mid", "blocks.1.hook_mlp_out", "blocks.1.hook_resid_post", "blocks.0.mlp.hook_post"}},
		{18, []string{"blocks.1.hook_attn_out", "blocks.0.hook_mlp_out", "blocks.1.hook_mlp_out", "blocks.1.hook_resid_post"}},
	} {
		d, err := NewRunner(RunnerOptions{}).buildCaseData(Subject{Case: tc.id})
		if err != nil {
			t.Fatal(err)
		}
		planDefaultHooks(t, d)
		for _, name := range tc.hooks {
			hd, err := d.hook(name)
			if err != nil {
				t.Fatalf("case %d %s: %v", tc.id, name, err)
			}
			want, err := workload.Collect(d.model, d.tokens, name, workload.Select{})
			if err != nil {
				t.Fatal(err)
			}
			sameBits(t, name+" activations", hd.set.Data, want.Data)
			dIn := hd.set.DIn
			if hd.rowOf == nil {
				sameBits(t, name+" distinct rows (all)", hd.uniq, want.Data)
			}
			for i, k := range hd.rowOf {
				sameBits(t, name+" distinct row", hd.uniq[int(k)*dIn:int(k+1)*dIn], want.Data[i*dIn:(i+1)*dIn])
			}
			if n := len(hd.uniq) / dIn; hd.rowOf != nil && (n >= len(hd.rowOf) || n < 1) {
				t.Fatalf("%s: %d distinct rows of %d", name, n, len(hd.rowOf))
			}
			zero, err := d.model.RunWithHooks(d.tokens, []model.Hook{{Name: name, Fn: func(a *tensor.Tensor) error { clear(a.Data); return nil }}})
			if err != nil {
				t.Fatal(err)
			}
			sameBits(t, name+" zero-ablated output", hd.zero.Data, zero.Data)
			act := make([]float32, len(hd.set.Data))
			for i := range act {
				act[i] = float32(math.Cos(float64(i)*0.11)) * 1.5
			}
			spliced, err := d.spliceFrom(hd, act)
			if err != nil {
				t.Fatal(err)
			}
			full, err := d.model.RunWithHooks(d.tokens, []model.Hook{{Name: name, Fn: func(a *tensor.Tensor) error { copy(a.Data, act); return nil }}})
			if err != nil {
				t.Fatal(err)
			}
			sameBits(t, name+" spliced output", spliced.Data, full.Data)
		}
		// The planned hooks came from one shared pass, which keeps only
		// the splice bases once they are taken.
		hooks, bases := spliceHooks(d.model.Config(), d.planned)
		if len(hooks) != 2 || d.shared == nil {
			t.Errorf("case %d: default hooks %v, shared pass %v", tc.id, hooks, d.shared != nil)
		}
		for n := range d.shared {
			if !slices.Contains(bases, n) {
				t.Errorf("case %d: shared pass still holds %s", tc.id, n)
			}
		}
		clean, err := d.cleanOutput()
		if err != nil {
			t.Fatal(err)
		}
		fwd, err := d.model.Forward(d.tokens)
		if err != nil {
			t.Fatal(err)
		}
		sameBits(t, "clean output", clean.Data, fwd.Data)
	}
}

// TestForwardDistinctMatchesSAE checks the runner's SAE pass over distinct
// rows and its metrics against sae.SAE.Forward and Evaluate on all rows.
func TestForwardDistinctMatchesSAE(t *testing.T) {
	const dIn, S, n = 5, 12, 300
	x := make([]float32, n*dIn)
	for i := 0; i < n; i++ {
		for j := 0; j < dIn; j++ {
			x[i*dIn+j] = float32(i%7)*0.3 - float32(j)*0.2 // 7 distinct rows
		}
	}
	for _, arch := range []string{sae.ArchStandard, sae.ArchTopK, sae.ArchGated} {
		s, err := sae.New(arch, dIn, S)
		if err != nil {
			t.Fatal(err)
		}
		for i := range s.WEncT {
			s.WEncT[i] = float32(math.Sin(float64(i)))
			s.WDec[i] = float32(math.Cos(float64(i) * 0.7))
		}
		for _, b := range [][]float32{s.BEnc, s.BGate, s.BMag, s.RMag, s.BDec} {
			for i := range b {
				b[i] = float32(i%3) * 0.1
			}
		}
		s.K = 3
		uniq, rowOf, _ := distinctRows(x, dIn)
		if len(uniq) != 7*dIn || len(rowOf) != n {
			t.Fatalf("%d distinct rows, want 7", len(uniq)/dIn)
		}
		if u, r, _ := distinctRows(x[:7*dIn], dIn); &u[0] != &x[0] || r != nil {
			t.Fatal("distinctRows of distinct rows: want x itself and a nil map")
		}
		recon, feats, err := forwardDistinct(s, &hookData{uniq: uniq, rowOf: rowOf})
		if err != nil {
			t.Fatal(err)
		}
		wr, wf, err := s.Forward(x)
		if err != nil {
			t.Fatal(err)
		}
		sameBits(t, arch+" recon", recon, wr)
		sameBits(t, arch+" feats", feats, wf)
		want, err := s.Evaluate(x)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := s.Metrics(x, recon, feats); err != nil || got != want {
			t.Errorf("%s: metrics %+v, Evaluate %+v", arch, got, want)
		}
	}
}

// forwardDistinct is s.Forward over the hook's dataset, computed on its
// distinct rows and expanded (the SAE's output for a row depends on that
// row alone); the uncached scoring path of the tests.
func forwardDistinct(s *sae.SAE, hd *hookData) (recon, feats []float32, err error) {
	ru, fu, err := s.Forward(hd.uniq)
	if err != nil {
		return nil, nil, err
	}
	return expandRows(ru, hd.rowOf, s.DIn), expandRows(fu, hd.rowOf, s.DSAE), nil
}

// scoreUncached is how Run measured a trained SAE before the per-hook
// caches: SAE pass expanded to every row, sae.SAE.Metrics, features.Label
// with the decoder, features.Downstream on freshly gathered outputs.
func scoreUncached(d *caseData, hd *hookData, s *sae.SAE) (map[string]float64, error) {
	B, T, dIn := len(d.tokens), len(d.tokens[0]), hd.set.DIn
	recon, feats, err := forwardDistinct(s, hd)
	if err != nil {
		return nil, err
	}
	ev, err := s.Metrics(hd.set.Data, recon, feats)
	if err != nil {
		return nil, err
	}
	m := map[string]float64{MetricL0: ev.L0, MetricDeadFraction: float64(ev.DeadFeatures) / float64(s.DSAE), "input_variance": hd.variance}
	if hd.variance > 0 {
		m[MetricExplainedVariance] = ev.ExplainedVariance
	}
	fa := &tensor.Tensor{Shape: []int{B, T, s.DSAE}, Data: feats}
	dec := &tensor.Tensor{Shape: []int{s.DSAE, dIn}, Data: s.WDec}
	lab, err := features.Label(fa, d.gt, hd.set.HookName, dec, features.LabelOptions{})
	if err != nil {
		return nil, err
	}
	if !math.IsNaN(lab.Coverage) {
		m[MetricCoverage] = lab.Coverage
	}
	for _, e := range lab.Expected {
		m[bestF1Prefix+e] = min(max(lab.BestFor[e].Score, 0), 1)
	}
	sum, n := 0.0, 0
	for _, fl := range lab.Features {
		if fl.Best != nil {
			sum += fl.Best.Score
			n++
		}
	}
	if n > 0 {
		m[MetricMeanF1] = sum / float64(n)
	}
	clean, err := d.cleanOutput()
	if err != nil {
		return nil, err
	}
	spliced, err := d.spliceFrom(hd, recon)
	if err != nil {
		return nil, err
	}
	V := clean.Shape[len(clean.Shape)-1]
	in := features.DownstreamInput{Categorical: d.categorical, V: V, ATol: d.atol}
	for i := 0; i < B*T; i++ {
		if d.categorical {
			if d.targets[i] < 0 {
				continue
			}
			in.Targets = append(in.Targets, d.targets[i])
		} else {
			if math.IsNaN(d.targetValues[i]) {
				continue
			}
			in.TargetValues = append(in.TargetValues, d.targetValues[i])
		}
		in.Clean = append(in.Clean, clean.Data[i*V:(i+1)*V]...)
		in.Spliced = append(in.Spliced, spliced.Data[i*V:(i+1)*V]...)
		in.Zero = append(in.Zero, hd.zero.Data[i*V:(i+1)*V]...)
	}
	if len(in.Clean) > 0 {
		ds, err := features.Downstream(in)
		if err != nil {
			return nil, err
		}
		m[MetricSplicedAccuracy] = float64(ds.Spliced.Accuracy)
		m["clean_accuracy"] = float64(ds.Clean.Accuracy)
		m["zero_accuracy"] = float64(ds.Zero.Accuracy)
		if ds.Retained != nil {
			m[MetricAccuracyRetained] = float64(*ds.Retained)
		}
		if ds.ATol != 0 {
			m[MetricATol] = ds.ATol
		}
		for name, v := range map[string]*features.Num{"ce_loss_score": ds.CEScore, "kl_div_score": ds.KLScore, "mse_score": ds.MSEScore} {
			if v != nil && !math.IsNaN(float64(*v)) && !math.IsInf(float64(*v), 0) {
				m[name] = float64(*v)
			}
		}
	}
	return m, nil
}

// TestScoreMatchesUncached checks the cached per-cell scoring (SAE on the
// distinct rows, per-hook labeller and downstream reference) against the
// uncached path on real hooks of a numerical (3) and a categorical (18)
// case, with SAEs of every architecture: every metric equal, mean_f1 (a
// sum of Pearson |r| computed in another order) within 1e-12.
func TestScoreMatchesUncached(t *testing.T) {
	positionwise := 0 // hooks whose spliced pass runs on the evaluated positions only
	for _, tc := range []struct {
		id    int
		hooks []string
	}{
		{3, []string{"blocks.0.hook_resid_pre", "blocks.0.hook_mlp_out", "blocks.1.hook_resid_post", "blocks.0.mlp.hook_post"}},
		{18, []string{"blocks.1.hook_resid_post", "blocks.1.hook_mlp_out"}},
	} {
		d, err := NewRunner(RunnerOptions{}).buildCaseData(Subject{Case: tc.id})
		if err != nil {
			t.Fatal(err)
		}
		planDefaultHooks(t, d)
		for _, name := range tc.hooks {
			hd, err := d.hook(name)
			if err != nil {
				t.Fatalf("case %d %s: %v", tc.id, name, err)
			}
			dIn := hd.set.DIn
			if d.positionwise(hd) {
				positionwise++
			}
			for ai, arch := range []string{sae.ArchStandard, sae.ArchTopK, sae.ArchGated} {
				s, err := sae.New(arch, dIn, 4*dIn)
				if err != nil {
					t.Fatal(err)
				}
				r := rand.New(rand.NewSource(int64(tc.id*100 + ai)))
				for i := range s.WEncT {
					s.WEncT[i] = float32(r.NormFloat64())
					s.WDec[i] = float32(r.NormFloat64() * 0.3)
				}
				for _, b := range [][]float32{s.BEnc, s.BGate, s.BMag, s.RMag} {
					for i := range b {
						b[i] = float32(r.NormFloat64() * 0.5)
					}
				}
				s.K = 3
				want, err := scoreUncached(d, hd, s)
				if err != nil {
					t.Fatal(err)
				}
				got, err := d.score(hd, s)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != len(want) {
					t.Errorf("case %d %s %s: metrics %v, want %v", tc.id, name, arch, got, want)
				}
				for k, w := range want {
					g, ok := got[k]
					if !ok || (g != w && !(k == MetricMeanF1 && math.Abs(g-w) <= 1e-12)) {
						t.Errorf("case %d %s %s: %s = %v, want %v", tc.id, name, arch, k, g, w)
					}
				}
				if _, ok := want[MetricSplicedAccuracy]; !ok {
					t.Errorf("case %d %s %s: no downstream metrics: %v", tc.id, name, arch, want)
				}
			}
		}
	}
	if positionwise != 3 {
		t.Errorf("%d hooks spliced position by position, want 3 (the last resid_post and mlp_out)", positionwise)
	}
}

// TestTotalVarianceRowMajor checks the one-pass totalVariance against the
// column-by-column loop it replaced, bit for bit, on real activations.
func TestTotalVarianceRowMajor(t *testing.T) {
	d, err := NewRunner(RunnerOptions{}).buildCaseData(Subject{Case: 18})
	if err != nil {
		t.Fatal(err)
	}
	columnwise := func(x []float32, d int) float64 {
		n := len(x) / d
		total := 0.0
		for j := 0; j < d; j++ {
			var sum, sq float64
			for i := 0; i < n; i++ {
				v := float64(x[i*d+j])
				sum += v
				sq += v * v
			}
			mean := sum / float64(n)
			if v := sq/float64(n) - mean*mean; v > 0 {
				total += v
			}
		}
		return total
	}
	for _, name := range []string{"blocks.1.hook_resid_post", "blocks.0.hook_mlp_out"} {
		hd, err := d.hook(name)
		if err != nil {
			t.Fatal(err)
		}
		got, want := totalVariance(hd.set.Data, hd.set.DIn), columnwise(hd.set.Data, hd.set.DIn)
		if got != want || got <= 0 {
			t.Errorf("%s: totalVariance %v, column by column %v", name, got, want)
		}
	}
}

// TestPlanReachesCaseData: Runner.Plan's hooks (cells without an expansion
// error, each hook once) are the planned hooks of the case's data.
func TestPlanReachesCaseData(t *testing.T) {
	r := NewRunner(RunnerOptions{})
	r.Plan([]Cell{
		{Case: 3, Hook: "blocks.1.hook_resid_post", Arch: "topk"},
		{Case: 3, Hook: "blocks.1.hook_resid_post", Arch: "gated"},
		{Case: 3, Hook: "blocks.1.hook_mlp_out", Arch: "topk"},
		{Case: 3, Hook: "mlp:last", ExpandErr: "case 3: no"},
		{Case: 18, Hook: "blocks.0.hook_mlp_out"},
	})
	d, err := r.dataset(Subject{Case: 3})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"blocks.1.hook_resid_post", "blocks.1.hook_mlp_out"}; !slices.Equal(d.planned, want) {
		t.Errorf("planned hooks of case 3: %v, want %v", d.planned, want)
	}
}

// planDefaultHooks plans the default sweep's hooks of d (as Runner.Plan
// does for a default sweep): they share one full pass; other hooks get a
// pass each.
func planDefaultHooks(t *testing.T, d *caseData) {
	t.Helper()
	for _, sel := range DefaultHooks {
		hs, err := SelectHooks(sel, model.HookNames(d.model.Config()))
		if err != nil {
			t.Fatal(err)
		}
		d.planned = append(d.planned, hs...)
	}
}
