package features

import (
	"fmt"
	"math"
	"math/rand"
	"reflect"
	"strings"
	"testing"

	"github.com/glassbox-interp/glassbox/tensor"
)

// labelActs makes activations for the synthetic ground truth: random
// sparse features plus features built to match candidates (a token
// indicator, the numerical variable, one value of a categorical variable,
// a feature constant at every position, one dead feature, one with
// negative values), so that F1, |r|, ties and verdicts are all exercised.
func labelActs(gt *GroundTruth, dsae int, seed int64) *tensor.Tensor {
	rows, pos := len(gt.Tokens), len(gt.Tokens[0])
	r := rand.New(rand.NewSource(seed))
	acts := sparseActs(rows, pos, dsae, seed)
	set := func(f, i int, v float32) { acts.Data[i*dsae+f] = v }
	for i := 0; i < rows*pos; i++ {
		row, p := i/pos, i%pos
		for f := 0; f < 8; f++ {
			set(f, i, 0)
		}
		if gt.Tokens[row][p] == "3" {
			set(0, i, 1+r.Float32())
		}
		if v, ok := gt.Variables[3].Values[row][p].(float64); ok {
			set(1, i, float32(v))
		}
		if v, ok := gt.Variables[0].Values[row][p].(int); ok && v == 2 {
			set(2, i, 0.5)
			if r.Intn(10) == 0 { // a noisy copy: partial match
				set(3, i, 0.5)
			}
		}
		set(4, i, 0.25) // constant everywhere
		// 5 stays dead
		set(6, i, float32(r.NormFloat64())) // signed, dense
		if p == 2 {
			set(7, i, 2)
		}
	}
	return acts
}

// sameLabelling compares two labellings: identical labels, verdicts,
// counts and duplicates; scores and correlations within tol (the Labeler
// sums over nonzero entries only, in another order).
func sameLabelling(t *testing.T, got, want *Labelling, tol float64) {
	t.Helper()
	if got.Hook != want.Hook || !reflect.DeepEqual(got.Expected, want.Expected) || !reflect.DeepEqual(got.Recovered, want.Recovered) {
		t.Fatalf("hook/expected/recovered differ:\n got %s %v %v\nwant %s %v %v", got.Hook, got.Expected, got.Recovered, want.Hook, want.Expected, want.Recovered)
	}
	if got.Coverage != want.Coverage && !(math.IsNaN(got.Coverage) && math.IsNaN(want.Coverage)) {
		t.Errorf("coverage %v, want %v", got.Coverage, want.Coverage)
	}
	if len(got.BestFor) != len(want.BestFor) {
		t.Errorf("best_for has %d labels, want %d", len(got.BestFor), len(want.BestFor))
	}
	for k, w := range want.BestFor {
		g := got.BestFor[k]
		if g.Feature != w.Feature || math.Abs(g.Score-w.Score) > tol {
			t.Errorf("best_for[%s] = %+v, want %+v", k, g, w)
		}
	}
	if len(got.Features) != len(want.Features) {
		t.Fatalf("%d features, want %d", len(got.Features), len(want.Features))
	}
	sameMatch := func(f int, what string, g, w *Match) {
		if (g == nil) != (w == nil) {
			t.Errorf("feature %d %s: %+v, want %+v", f, what, g, w)
			return
		}
		if g == nil {
			return
		}
		if g.Label != w.Label || !reflect.DeepEqual(g.Aliases, w.Aliases) || g.Numerical != w.Numerical ||
			math.Abs(g.Score-w.Score) > tol || math.Abs(g.Precision-w.Precision) > tol || math.Abs(g.Recall-w.Recall) > tol ||
			(g.R == nil) != (w.R == nil) || (g.R != nil && math.Abs(*g.R-*w.R) > tol) {
			t.Errorf("feature %d %s: %+v, want %+v", f, what, g, w)
		}
	}
	for f := range want.Features {
		g, w := got.Features[f], want.Features[f]
		if g.Index != w.Index || g.Verdict != w.Verdict || !reflect.DeepEqual(g.Duplicates, w.Duplicates) {
			t.Errorf("feature %d: index %d verdict %s dups %v, want %d %s %v", f, g.Index, g.Verdict, g.Duplicates, w.Index, w.Verdict, w.Duplicates)
		}
		sameMatch(f, "best", g.Best, w.Best)
		sameMatch(f, "runner-up", g.RunnerUp, w.RunnerUp)
	}
}

// distinct returns x's distinct rows ([n, d]) and each row's index among them.
func distinct(x []float32, d int) ([]float32, []int32) {
	seen := map[string]int32{}
	var uniq []float32
	rowOf := make([]int32, len(x)/d)
	for i := range rowOf {
		k := fmt.Sprint(x[i*d : (i+1)*d])
		j, ok := seen[k]
		if !ok {
			j = int32(len(seen))
			seen[k] = j
			uniq = append(uniq, x[i*d:(i+1)*d]...)
		}
		rowOf[i] = j
	}
	return uniq, rowOf
}

// TestLabelerMatchesReference checks the Labeler (sparse columns,
// per-position candidate index, one Labeler reused for several SAEs, and
// activations given as distinct rows) against the dense implementation
// it replaced, on the synthetic ground truth and on case 3.
func TestLabelerMatchesReference(t *testing.T) {
	const tol = 1e-12
	synth := syntheticGT(300, 6)
	c3 := loadCase3(t)
	c3gt := c3.groundTruth()
	c3acts := tokenPosSAE(c3).encode(c3.residPre0())
	// Distinct rows: the activations of a function of the token and position only.
	quant := func(a *tensor.Tensor) *tensor.Tensor {
		b := a.Clone()
		for i := range b.Data {
			b.Data[i] = float32(math.Round(float64(b.Data[i])*2) / 2)
		}
		return b
	}
	dec := func(dsae, din int, seed int64) *tensor.Tensor {
		r := rand.New(rand.NewSource(seed))
		d := tensor.New(dsae, din)
		for i := range d.Data {
			d.Data[i] = float32(r.NormFloat64())
		}
		copy(d.Data[din:2*din], d.Data[:din]) // features 0 and 1 are duplicates
		return d
	}
	type run struct {
		acts *tensor.Tensor
		dec  *tensor.Tensor
		opts LabelOptions
	}
	for _, tc := range []struct {
		name string
		gt   *GroundTruth
		hook string
		runs []run
	}{
		{"synthetic-resid_post", synth, "blocks.0.hook_resid_post", []run{
			{labelActs(synth, 40, 1), nil, LabelOptions{}},
			{labelActs(synth, 40, 2), dec(40, 7, 1), LabelOptions{}},
			{labelActs(synth, 24, 3), nil, LabelOptions{Threshold: 0.4}},
			{labelActs(synth, 24, 4), nil, LabelOptions{RelThreshold: 0.3}},
			{labelActs(synth, 24, 5), nil, LabelOptions{Threshold: -0.5}},
			{quant(labelActs(synth, 24, 6)), nil, LabelOptions{}},
		}},
		{"synthetic-resid_pre", synth, "blocks.0.hook_resid_pre", []run{
			{labelActs(synth, 16, 7), nil, LabelOptions{}},
		}},
		{"case3-resid_pre", c3gt, "blocks.0.hook_resid_pre", []run{
			{c3acts, nil, LabelOptions{}},
			{c3acts, dec(c3acts.Shape[2], 13, 2), LabelOptions{RelThreshold: 0.5}},
		}},
		{"case3-resid_post", c3gt, "blocks.1.hook_resid_post", []run{
			{c3acts, nil, LabelOptions{}},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, pos := len(tc.gt.Tokens), len(tc.gt.Tokens[0])
			lab, err := NewLabeler(tc.gt, tc.hook, rows, pos)
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range tc.runs {
				want, err := labelReference(r.acts, tc.gt, tc.hook, r.dec, r.opts)
				if err != nil {
					t.Fatal(err)
				}
				got, err := lab.Label(r.acts, r.dec, r.opts)
				if err != nil {
					t.Fatal(err)
				}
				t.Run(fmt.Sprint("cached-", i), func(t *testing.T) { sameLabelling(t, got, want, tol) })
				fresh, err := Label(r.acts, tc.gt, tc.hook, r.dec, r.opts)
				if err != nil {
					t.Fatal(err)
				}
				t.Run(fmt.Sprint("fresh-", i), func(t *testing.T) { sameLabelling(t, fresh, want, tol) })
				dsae := r.acts.Shape[2]
				uniq, rowOf := distinct(r.acts.Data, dsae)
				if len(uniq) == len(r.acts.Data) && tc.name != "synthetic-resid_pre" && i == len(tc.runs)-1 && strings.HasPrefix(tc.name, "synthetic") {
					t.Fatalf("run %d has no repeated rows; the distinct-rows path is not exercised", i)
				}
				rowsGot, err := lab.LabelRows(uniq, rowOf, dsae, r.dec, r.opts)
				if err != nil {
					t.Fatal(err)
				}
				t.Run(fmt.Sprint("rows-", i), func(t *testing.T) { sameLabelling(t, rowsGot, got, 0) })
			}
		})
	}
}

// TestLabelerErrors checks the Labeler's input checks and that its NaN
// error names the same activation as before.
func TestLabelerErrors(t *testing.T) {
	gt := syntheticGT(20, 6)
	lab, err := NewLabeler(gt, "blocks.0.hook_resid_post", 20, 6)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewLabeler(gt, "blocks.0.hook_resid_post", 19, 6); err == nil {
		t.Error("NewLabeler with the wrong row count: no error")
	}
	acts := labelActs(gt, 10, 1)
	acts.Data[(3*6+4)*10+7] = float32(math.NaN())
	acts.Data[(9*6+1)*10+5] = float32(math.NaN())
	_, want := labelReference(acts, gt, "blocks.0.hook_resid_post", nil, LabelOptions{})
	_, got := lab.Label(acts, nil, LabelOptions{})
	if want == nil || got == nil || got.Error() != want.Error() {
		t.Errorf("NaN error %v, want %v", got, want)
	}
	for _, tc := range []struct {
		name  string
		uniq  []float32
		rowOf []int32
		dsae  int
	}{
		{"short", make([]float32, 10*119), nil, 10},
		{"ragged", make([]float32, 25), nil, 10},
		{"rowOf-length", make([]float32, 20), make([]int32, 119), 10},
		{"rowOf-range", make([]float32, 20), append(make([]int32, 119), 2), 10},
		{"rowOf-negative", make([]float32, 20), append(make([]int32, 119), -1), 10},
	} {
		if _, err := lab.LabelRows(tc.uniq, tc.rowOf, tc.dsae, nil, LabelOptions{}); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
	if _, err := lab.Label(tensor.New(20, 5, 3), nil, LabelOptions{}); err == nil {
		t.Error("Label with the wrong positions: no error")
	}
}
