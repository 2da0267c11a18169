package rundir

import (
	"fmt"
	"math"
	"sort"

	"github.com/glassbox-interp/glassbox/model"
	"github.com/glassbox-interp/glassbox/tensor"
	"github.com/glassbox-interp/glassbox/workload"
)

// MaxProbeInput bounds the length of a probe's token string (characters).
const MaxProbeInput = 2000

// ProbeRequest is one try-your-own-input run: a token string, and
// optionally a feature to zero (Mode "zero") or clamp to Value (Mode
// "clamp") in the SAE's activations before decoding.
type ProbeRequest struct {
	Input   string
	Feature int // -1: none
	Mode    string
	Value   float64
}

// FeatureAct is one feature's activation at a position.
type FeatureAct struct {
	Feature int
	Label   string
	Act     float64
}

// ProbePosition is what the probe shows at one position.
type ProbePosition struct {
	Token string
	// Top are the most active features (at most 6), Chosen the chosen
	// feature's activation (NaN when none is chosen).
	Top    []FeatureAct
	Chosen float64
	// Outputs of the model: clean, with the SAE's reconstruction spliced in
	// at the hook, and spliced with the chosen feature edited.
	Clean, Spliced, Edited string
}

// Probe is the result of a ProbeRequest.
type Probe struct {
	Request   ProbeRequest
	Hook      string
	Positions []ProbePosition
	// Changed counts positions whose edited output differs from the spliced one.
	Changed int
}

// Probe runs the model on one token string (the case's tokenizer; at most
// the model's context, batch 1) with the SAE spliced in at the hook, and
// with the chosen feature zeroed or clamped.
func (r *Result) Probe(req ProbeRequest) (*Probe, error) {
	if len(req.Input) > MaxProbeInput {
		return nil, fmt.Errorf("input has %d characters; at most %d are accepted", len(req.Input), MaxProbeInput)
	}
	s := r.SAE
	switch req.Mode {
	case "", "none":
		req.Mode = "none"
		req.Feature = -1
	case "zero", "clamp":
		if req.Feature < 0 || req.Feature >= s.DSAE {
			return nil, fmt.Errorf("feature %d: the SAE has %d features (0..%d)", req.Feature, s.DSAE, s.DSAE-1)
		}
		if math.IsNaN(req.Value) || math.IsInf(req.Value, 0) || math.Abs(req.Value) > 1e6 {
			return nil, fmt.Errorf("clamp value %v: expected a finite number of magnitude at most 1e6", req.Value)
		}
	default:
		return nil, fmt.Errorf("mode %q: expected none, zero or clamp", req.Mode)
	}
	ids, toks, err := r.Case.Tokenize(req.Input)
	if err != nil {
		return nil, err
	}
	if nctx := r.Model.Config().NCtx; len(ids) > nctx {
		return nil, fmt.Errorf("%d tokens; the model's context is %d", len(ids), nctx)
	}
	tokens := [][]int{ids}
	clean, cache, err := r.Model.RunWithCache(tokens, r.Hook)
	if err != nil {
		return nil, err
	}
	act := cache[r.Hook]
	T := len(ids)
	view, err := workload.NewView(r.Hook, act.Shape, 1, T, s.Meta.HookHeadIndex)
	if err != nil {
		return nil, err
	}
	if view.DIn != s.DIn {
		return nil, fmt.Errorf("SAE d_in %d does not match hook %s (width %d)", s.DIn, r.Hook, view.DIn)
	}
	x := view.Extract(act.Data, nil)
	f, xh, err := workload.Reconstruct(s, x)
	if err != nil {
		return nil, err
	}
	splice := func(v []float32) (*tensor.Tensor, error) {
		return r.Model.RunWithHooks(tokens, []model.Hook{{Name: r.Hook, Fn: func(a *tensor.Tensor) error {
			view.Replace(a.Data, v)
			return nil
		}}})
	}
	spliced, err := splice(xh)
	if err != nil {
		return nil, fmt.Errorf("spliced run: %w", err)
	}
	edited := spliced
	if req.Feature >= 0 {
		din := s.DIn
		xe := append([]float32(nil), xh...)
		for p := 0; p < T; p++ {
			old := f[p*s.DSAE+req.Feature]
			nv := float32(0)
			if req.Mode == "clamp" {
				nv = float32(req.Value)
			}
			for d := 0; d < din; d++ {
				xe[p*din+d] += (nv - old) * s.WDec[req.Feature*din+d]
			}
		}
		if edited, err = splice(xe); err != nil {
			return nil, fmt.Errorf("edited run: %w", err)
		}
	}
	var labels []string
	if r.Analysis != nil && r.Analysis.Labels != nil {
		for _, fl := range r.Analysis.Labels.Features {
			l := ""
			if fl.Best != nil {
				l = fl.Best.Label
			}
			labels = append(labels, l)
		}
	}
	out := &Probe{Request: req, Hook: r.Hook}
	for p := 0; p < T; p++ {
		pp := ProbePosition{Token: toks[p], Chosen: math.NaN()}
		row := f[p*s.DSAE : (p+1)*s.DSAE]
		var top []FeatureAct
		for j, v := range row {
			if v > 0 {
				fa := FeatureAct{Feature: j, Act: float64(v)}
				if j < len(labels) {
					fa.Label = labels[j]
				}
				top = append(top, fa)
			}
		}
		sort.SliceStable(top, func(a, b int) bool { return top[a].Act > top[b].Act })
		if len(top) > 6 {
			top = top[:6]
		}
		pp.Top = top
		if req.Feature >= 0 {
			pp.Chosen = float64(row[req.Feature])
		}
		pp.Clean, pp.Spliced, pp.Edited = r.decode(clean, p), r.decode(spliced, p), r.decode(edited, p)
		if pp.Edited != pp.Spliced {
			out.Changed++
		}
		out.Positions = append(out.Positions, pp)
	}
	return out, nil
}

// decode names the model's output at position p of the first sequence: the
// argmax output value for categorical programs, the number otherwise.
func (r *Result) decode(logits *tensor.Tensor, p int) string {
	V := logits.Shape[len(logits.Shape)-1]
	row := logits.Data[p*V : (p+1)*V]
	if !r.Case.Compiled.Categorical {
		return fmt.Sprintf("%.4g", row[0])
	}
	best := 0
	for k, v := range row {
		if v > row[best] {
			best = k
		}
	}
	names := r.Case.OutputNames()
	if best < len(names) {
		return names[best]
	}
	return fmt.Sprintf("output %d", best)
}
