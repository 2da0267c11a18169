package grad

import (
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/glassbox-interp/glassbox/formats/safetensors"
	"github.com/glassbox-interp/glassbox/model"
	"github.com/glassbox-interp/glassbox/tensor"
)

// fixture is one file written by scripts/grad_fixtures.py.
type fixture struct {
	name    string
	cfg     model.Config
	t       map[string]*tensor.Tensor
	loss    string
	posFrom int
	nodes   map[string][]Node // "iit", "strict"
	B, T    int
}

func loadFixture(t *testing.T, name string) *fixture {
	t.Helper()
	ts, meta, err := safetensors.Load(filepath.Join("testdata", name+".safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, _, err := model.ParseConfig([]byte(meta["config"]))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{name: name, cfg: cfg, t: ts, loss: meta["loss"], nodes: map[string][]Node{}}
	if f.posFrom, err = strconv.Atoi(meta["pos_from"]); err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"iit", "strict"} {
		var ss []string
		if err := json.Unmarshal([]byte(meta["nodes."+kind]), &ss); err != nil {
			t.Fatal(err)
		}
		for _, s := range ss {
			nd, err := ParseNode(s)
			if err != nil {
				t.Fatal(err)
			}
			f.nodes[kind] = append(f.nodes[kind], nd)
		}
	}
	bt := ts["base_tokens"]
	f.B, f.T = bt.Shape[0], bt.Shape[1]
	return f
}

func (f *fixture) params(prefix string) map[string]*tensor.Tensor {
	p := map[string]*tensor.Tensor{}
	for k, v := range f.t {
		if name, ok := strings.CutPrefix(k, prefix); ok {
			p[name] = v
		}
	}
	return p
}

func (f *fixture) tokens(name string) []int32 {
	d := f.t[name].Data
	out := make([]int32, len(d))
	for i, v := range d {
		out[i] = int32(v)
	}
	return out
}

// step runs the fixture's loss kind on n: the source run, the patched base
// run, the loss and (into g) the gradient. It returns the loss.
func (f *fixture) step(t *testing.T, n *Net, ws, wsSrc *Workspace, kind string, g *Grads) (float64, []float32) {
	t.Helper()
	var patches []Patch
	if nodes := f.nodes[kind]; len(nodes) > 0 {
		src, err := n.Forward(wsSrc, f.tokens("source_tokens"), f.B, f.T, nil, false)
		if err != nil {
			t.Fatal(err)
		}
		for _, nd := range nodes {
			patches = append(patches, Patch{Node: nd, Values: src.Node(nd)})
		}
	}
	run, err := n.Forward(ws, f.tokens("base_tokens"), f.B, f.T, patches, true)
	if err != nil {
		t.Fatal(err)
	}
	V := f.cfg.DVocabOut
	var loss float64
	var dl []float32
	if f.loss == "mse" {
		loss, dl = MSE(run.Logits(), f.t[kind+".target"].Data, f.B, f.T, V, f.posFrom)
	} else {
		tgt := make([]int32, f.B*f.T)
		for i, v := range f.t[kind+".target"].Data {
			tgt[i] = int32(v)
		}
		loss, dl = CrossEntropy(run.Logits(), tgt, f.B, f.T, V, f.posFrom)
	}
	if dl == nil {
		t.Fatalf("%s: loss: bad sizes", kind)
	}
	logits := append([]float32(nil), run.Logits()...)
	if err := n.Backward(ws, run, dl, g); err != nil {
		t.Fatal(err)
	}
	return loss, logits
}

// Tolerance: |got-want| ≤ rtol·max(|want|, floor·max|want|), the max over
// the whole tensor. The floor is there because a float32 computation's
// rounding error is relative to the scale of the sums it adds, not to an
// entry that is small by cancellation: measured against float64, Go's and
// PyTorch's float32 gradients each stray by up to ~1.5e-6·max|tensor| (the
// worst: a b_Q entry a tenth of its tensor's largest, off by 2e-5 of
// itself; 2.7e-6 in a three-layer net, 2.7e-6 with -tags noasm, whose
// multiply-adds are not fused). So entries above 0.3·max are held to 1e-5
// relative and smaller ones to 3e-6·max absolute (about 25 float32 ulps of
// the largest entry), against both of PyTorch's runs.
const (
	rtol  = 1e-5
	floor = 0.3
)

// precisions are the fixture's two PyTorch runs: tensor-name prefix and
// floor.
var precisions = []struct {
	prefix string
	floor  float64
}{{"", floor}, {"f64.", floor}}

// closeTo reports the first element of got that is not within tolerance
// of want (see rtol).
func closeTo(got, want []float32, absFloor float64) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d values, want %d", len(got), len(want))
	}
	mx := 0.0
	for _, w := range want {
		mx = math.Max(mx, math.Abs(float64(w)))
	}
	for i := range got {
		g, w := float64(got[i]), float64(want[i])
		if !(math.Abs(g-w) <= rtol*math.Max(math.Abs(w), absFloor*mx)) {
			return fmt.Errorf("element %d = %.9g, want %.9g (|Δ| %.3g, max|want| %.3g)", i, g, w, math.Abs(g-w), mx)
		}
	}
	return nil
}

func TestPyTorchGradients(t *testing.T) {
	for _, name := range []string{"numerical", "categorical"} {
		f := loadFixture(t, name)
		for _, kind := range []string{"iit", "strict", "behaviour"} {
			for _, pr := range precisions {
				t.Run(name+"/"+pr.prefix+kind, func(t *testing.T) {
					n, err := FromParams(f.cfg, f.params("param."))
					if err != nil {
						t.Fatal(err)
					}
					g := n.NewGrads()
					loss, logits := f.step(t, n, NewWorkspace(), NewWorkspace(), kind, g)
					w := pr.prefix + kind
					if err := closeTo(logits, f.t[w+".logits"].Data, pr.floor); err != nil {
						t.Errorf("logits: %v", err)
					}
					if err := closeTo([]float32{float32(loss)}, f.t[w+".loss"].Data, pr.floor); err != nil {
						t.Errorf("loss: %v", err)
					}
					for _, p := range n.Names() {
						want := f.t[w+".grad."+p].Data
						if strings.HasSuffix(p, ".b_K") {
							// Exactly zero in exact arithmetic (see
							// TestPyTorchTraining): both sides hold rounding
							// noise, which must be tiny next to b_Q's gradient.
							bq := f.t[w+".grad."+strings.TrimSuffix(p, "b_K")+"b_Q"].Data
							if err := noiseOnly(g.Get(p), want, bq); err != nil {
								t.Errorf("grad %s: %v", p, err)
							}
							continue
						}
						if err := closeTo(g.Get(p), want, pr.floor); err != nil {
							t.Errorf("grad %s: %v", p, err)
						}
					}
				})
			}
		}
	}
}

// TestPyTorchTraining replays three rounds of IIT, strict and behaviour
// steps (clip 0.1, Adam lr 1e-2) and compares every loss, clip norm and
// the final parameters. b_K is left out of the parameter comparison: its
// exact gradient is zero (a key bias shifts every score of a query row
// equally), so the float32 rounding noise PyTorch and Go leave in it differ,
// and Adam's normalisation turns that noise into steps of up to lr.
func TestPyTorchTraining(t *testing.T) {
	for _, name := range []string{"numerical", "categorical"} {
		for _, pr := range precisions {
			t.Run(pr.prefix+name, func(t *testing.T) {
				f := loadFixture(t, name)
				n, err := FromParams(f.cfg, f.params("param."))
				if err != nil {
					t.Fatal(err)
				}
				g := n.NewGrads()
				opt := NewAdam(n, 1e-2, 0.9, 0.999, 1e-8)
				ws, wsSrc := NewWorkspace(), NewWorkspace()
				losses, norms := f.t[pr.prefix+"seq.losses"].Data, f.t[pr.prefix+"seq.clip_norms"].Data
				for r := 0; r < 3; r++ {
					for i, kind := range []string{"iit", "strict", "behaviour"} {
						g.Zero()
						loss, _ := f.step(t, n, ws, wsSrc, kind, g)
						norm := ClipGradNorm(g, 0.1)
						opt.Step(n, g)
						if err := closeTo([]float32{float32(loss)}, losses[r*3+i:r*3+i+1], pr.floor); err != nil {
							t.Errorf("round %d %s loss: %v", r, kind, err)
						}
						if err := closeTo([]float32{float32(norm)}, norms[r*3+i:r*3+i+1], pr.floor); err != nil {
							t.Errorf("round %d %s clip norm: %v", r, kind, err)
						}
					}
				}
				want := f.params(pr.prefix + "seq.param.")
				for name, p := range n.Params() {
					if strings.HasSuffix(name, ".b_K") {
						continue
					}
					if err := closeTo(p.Data, want[name].Data, pr.floor); err != nil {
						t.Errorf("final %s: %v", name, err)
					}
				}
			})
		}
	}
}

// noiseOnly checks a gradient that is zero in exact arithmetic: got and
// want may differ by rounding noise no larger than 1e-5 of the scale
// tensor's largest entry.
func noiseOnly(got, want, scale []float32) error {
	mx := 0.0
	for _, v := range scale {
		mx = math.Max(mx, math.Abs(float64(v)))
	}
	for i := range got {
		if d := math.Abs(float64(got[i]) - float64(want[i])); !(d <= 1e-5*mx) {
			return fmt.Errorf("element %d = %.3g, want %.3g: more than noise (scale %.3g)", i, got[i], want[i], mx)
		}
	}
	return nil
}
