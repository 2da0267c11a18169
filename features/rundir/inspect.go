package rundir

import (
	"fmt"
	"math"
	"sort"

	"github.com/glassbox-interp/glassbox/features"
	"github.com/glassbox-interp/glassbox/model"
)

// Component is one coordinate of a feature's decoder row in a labelled
// basis (tracr's residual labels: "tokens:a", "indices:1", "is_x_3", …).
type Component struct {
	Label string
	Value float64
}

// Logit is the direct effect of one unit of a feature on one model output
// (W_dec[f] · W_U[:, k]).
type Logit struct {
	Output string
	Delta  float64
}

// Neighbour is another feature and the cosine of its decoder row with this
// feature's.
type Neighbour struct {
	Feature int
	Cosine  float64
}

// Predictor is a ground-truth candidate and how well it predicts where the
// feature fires: F1 of "fires" against the indicator, or |r| with a
// numerical variable.
type Predictor struct {
	Label     string
	ScoreName string
	Score     float64
}

// Detail is what a feature page shows beyond the feature statistics: the
// decoder row read in the residual basis, its direct output effect, the
// nearest decoder rows, the best-predicting ground-truth candidates, the
// ground-truth value at each top example and, for a numerical label, the
// activation-vs-value scatter.
type Detail struct {
	Feature int
	// Basis is the decoder row in the compiled model's residual basis,
	// largest |value| first (nil when the hook is not in the residual
	// stream or the model is not the case's compiled model).
	Basis     []Component
	BasisNote string
	// Raised and Lowered are the outputs the feature's decoder row pushes
	// up and down through the unembedding (categorical outputs: logits;
	// numerical: the value change per unit activation).
	Raised, Lowered []Logit
	LogitNote       string
	Neighbours      []Neighbour
	Predictors      []Predictor
	// GTLabel is the candidate whose value ExampleValues holds, per
	// (row, position) of the feature's top examples.
	GTLabel       string
	ExampleValues map[[2]int]string
	// Scatter holds (value, activation) pairs for a numerical label (at
	// most MaxScatter, evenly subsampled).
	Scatter [][2]float64
}

// MinLogit is the smallest direct output change listed.
const MinLogit = 1e-3

// MaxScatter bounds the points of a Detail's scatter.
const MaxScatter = 1500

// residualPoints are the hook points whose vectors live in the residual
// stream's basis.
var residualPoints = map[string]bool{"hook_embed": true, "hook_pos_embed": true, "hook_resid_pre": true,
	"hook_resid_mid": true, "hook_resid_post": true, "hook_attn_out": true, "hook_mlp_out": true, "attn.hook_result": true}

// inResidual reports whether the SAE's d_in vectors are residual-stream
// vectors of the run's model.
func (r *Result) inResidual() bool {
	hn, err := model.ParseHook(r.Hook)
	if err != nil || !residualPoints[hn.Point] {
		return false
	}
	return r.SAE.DIn == r.Model.Config().DModel
}

// Inspect computes feature f's Detail. It reads only what Load computed
// and the model's weights; the cost is O(d_sae·d_in + candidates·rows·positions).
func (r *Result) Inspect(f int) (*Detail, error) {
	s := r.SAE
	if f < 0 || f >= s.DSAE {
		return nil, fmt.Errorf("feature %d: the SAE has %d features (0..%d)", f, s.DSAE, s.DSAE-1)
	}
	din := s.DIn
	row := s.WDec[f*din : (f+1)*din]
	d := &Detail{Feature: f}

	if r.inResidual() {
		labels := r.Case.Compiled.ResidualLabels
		if r.w != nil && r.w.ModelDir == "" && len(labels) == din {
			for i, v := range row {
				if v != 0 {
					d.Basis = append(d.Basis, Component{Label: labels[i], Value: float64(v)})
				}
			}
			sort.SliceStable(d.Basis, func(a, b int) bool { return math.Abs(d.Basis[a].Value) > math.Abs(d.Basis[b].Value) })
			// Keep the components that matter: at least 1% of the largest.
			for i, c := range d.Basis {
				if i >= 16 || math.Abs(c.Value) < 0.01*math.Abs(d.Basis[0].Value) {
					d.Basis = d.Basis[:i]
					break
				}
			}
		} else {
			d.BasisNote = "The model is not the case's compiled model, so its residual dimensions have no labels; the ground-truth candidates that best predict the feature are listed instead."
		}
		if wu := r.Model.Params()["unembed.W_U"]; wu != nil && len(wu.Shape) == 2 && wu.Shape[0] == din {
			V := wu.Shape[1]
			names := r.Case.OutputNames()
			ls := make([]Logit, V)
			for k := 0; k < V; k++ {
				var sum float64
				for i := 0; i < din; i++ {
					sum += float64(row[i]) * float64(wu.Data[i*V+k])
				}
				name := fmt.Sprintf("output %d", k)
				if k < len(names) {
					name = names[k]
				}
				ls[k] = Logit{Output: name, Delta: sum}
			}
			sort.SliceStable(ls, func(a, b int) bool { return ls[a].Delta > ls[b].Delta })
			for _, l := range ls {
				if l.Delta > MinLogit && len(d.Raised) < 8 {
					d.Raised = append(d.Raised, l)
				}
			}
			for i := len(ls) - 1; i >= 0; i-- {
				if ls[i].Delta < -MinLogit && len(d.Lowered) < 8 {
					d.Lowered = append(d.Lowered, ls[i])
				}
			}
			d.LogitNote = "Direct path W_dec[f] · W_U per unit of activation (layers after the hook are skipped)."
			if !r.Case.Compiled.Categorical {
				d.LogitNote = "Direct change of the numerical output W_dec[f] · W_U per unit of activation (layers after the hook are skipped)."
			}
		}
	} else {
		d.BasisNote = fmt.Sprintf("The hook %s is not in the residual stream, so the decoder row has no residual labels.", r.Hook)
	}

	d.Neighbours = neighbours(s.WDec, s.DSAE, din, f, 8)
	if err := r.groundTruthDetail(d, f); err != nil {
		return nil, err
	}
	return d, nil
}

// neighbours returns the k features whose decoder rows have the largest
// cosine with row f.
func neighbours(w []float32, n, din, f, k int) []Neighbour {
	norm := func(i int) float64 {
		var s float64
		for _, v := range w[i*din : (i+1)*din] {
			s += float64(v) * float64(v)
		}
		return math.Sqrt(s)
	}
	nf := norm(f)
	if nf == 0 {
		return nil
	}
	var out []Neighbour
	for j := 0; j < n; j++ {
		if j == f {
			continue
		}
		nj := norm(j)
		if nj == 0 {
			continue
		}
		var dot float64
		for i := 0; i < din; i++ {
			dot += float64(w[f*din+i]) * float64(w[j*din+i])
		}
		out = append(out, Neighbour{Feature: j, Cosine: dot / (nf * nj)})
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Cosine > out[b].Cosine })
	if len(out) > k {
		out = out[:k]
	}
	return out
}

// groundTruthDetail fills the predictors, the example values and the scatter.
func (r *Result) groundTruthDetail(d *Detail, f int) error {
	if r.GT == nil || r.Acts == nil || r.Analysis == nil {
		return nil
	}
	cands, _, err := r.GT.Candidates(r.Hook)
	if err != nil {
		return err
	}
	B, T, dsae := r.Acts.Shape[0], r.Acts.Shape[1], r.Acts.Shape[2]
	n := B * T
	act := make([]float64, n)
	fires := make([]bool, n)
	nf := 0
	for i := 0; i < n; i++ {
		act[i] = float64(r.Acts.Data[i*dsae+f])
		if act[i] > 0 {
			fires[i] = true
			nf++
		}
	}
	if nf > 0 {
		for _, c := range cands {
			if c.Values != nil {
				if rr, ok := pearson(act, c.Values); ok {
					d.Predictors = append(d.Predictors, Predictor{Label: c.Label, ScoreName: "|r|", Score: math.Abs(rr)})
				}
				continue
			}
			tp := 0
			for _, i := range c.Positive {
				if i < n && fires[i] {
					tp++
				}
			}
			if tp == 0 {
				continue
			}
			f1 := 2 * float64(tp) / float64(nf+len(c.Positive))
			d.Predictors = append(d.Predictors, Predictor{Label: c.Label, ScoreName: "F1", Score: f1})
		}
		sort.SliceStable(d.Predictors, func(a, b int) bool { return d.Predictors[a].Score > d.Predictors[b].Score })
		if len(d.Predictors) > 6 {
			d.Predictors = d.Predictors[:6]
		}
	}

	var best *features.Match
	if l := r.Analysis.Labels; l != nil && f < len(l.Features) {
		best = l.Features[f].Best
	}
	if best == nil {
		return nil
	}
	var cand *features.Candidate
	for i := range cands {
		if cands[i].Label == best.Label {
			cand = &cands[i]
			break
		}
	}
	if cand == nil {
		return nil
	}
	d.GTLabel = cand.Label
	var variable *features.Variable
	if cand.Var != "" {
		for i := range r.GT.Variables {
			if r.GT.Variables[i].Name == cand.Var {
				variable = &r.GT.Variables[i]
			}
		}
		d.GTLabel = cand.Var
	}
	holds := map[int]bool{}
	for _, i := range cand.Positive {
		holds[i] = true
	}
	d.ExampleValues = map[[2]int]string{}
	for _, e := range r.Analysis.Stats[f].Top {
		if e.Row >= B || e.Position >= T {
			continue
		}
		flat := e.Row*T + e.Position
		var v string
		switch {
		case variable != nil && e.Row < len(variable.Values) && e.Position < len(variable.Values[e.Row]):
			v = features.PyStr(variable.Values[e.Row][e.Position])
		case cand.Values != nil:
			v = features.PyStr(cand.Values[flat])
		case holds[flat]:
			v = "✓ " + cand.Label
		default:
			v = "✗ not " + cand.Label
		}
		d.ExampleValues[[2]int{e.Row, e.Position}] = v
	}
	if cand.Values != nil {
		var idx []int
		for i, v := range cand.Values {
			if i < n && !math.IsNaN(v) {
				idx = append(idx, i)
			}
		}
		step := 1
		if len(idx) > MaxScatter {
			step = (len(idx) + MaxScatter - 1) / MaxScatter
		}
		for k := 0; k < len(idx); k += step {
			i := idx[k]
			d.Scatter = append(d.Scatter, [2]float64{cand.Values[i], act[i]})
		}
	}
	return nil
}

// pearson is the correlation of x and y over the entries where y is defined.
func pearson(x, y []float64) (float64, bool) {
	var n, sx, sy float64
	for i := range x {
		if i < len(y) && !math.IsNaN(y[i]) {
			n++
			sx += x[i]
			sy += y[i]
		}
	}
	if n < 2 {
		return 0, false
	}
	mx, my := sx/n, sy/n
	var cxy, cxx, cyy float64
	for i := range x {
		if i < len(y) && !math.IsNaN(y[i]) {
			dx, dy := x[i]-mx, y[i]-my
			cxy += dx * dy
			cxx += dx * dx
			cyy += dy * dy
		}
	}
	if cxx == 0 || cyy == 0 {
		return 0, false
	}
	return cxy / math.Sqrt(cxx*cyy), true
}

// ModelDir is the model folder the run was analysed with ("" for the
// case's compiled model).
func (r *Result) ModelDir() string {
	if r.w == nil {
		return ""
	}
	return r.w.ModelDir
}
