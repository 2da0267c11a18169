package siit

import (
	"fmt"
	"math"

	"github.com/glassbox-interp/glassbox/model/grad"
)

// Metrics are InterpBench's validation metrics over a set of pairs, at
// positions 1: (BOS excluded). Numerical outputs match when |LL − HL| <
// atol, categorical ones when the argmaxes agree.
type Metrics struct {
	// Accuracy: LL(base) against the HL output of the base ("val/accuracy").
	Accuracy float64 `json:"val/accuracy"`
	// IIA: mean over HL nodes of the interchange-intervention accuracy
	// ("val/IIA", InterpBench's val_iia_sampling "all").
	IIA float64 `json:"val/IIA"`
	// Strict: mean over non-circuit LL nodes of the accuracy of
	// LL(base | node ← source) against the base's HL output
	// ("val/strict_accuracy"; 1 when there are no such nodes).
	Strict float64 `json:"val/strict_accuracy"`
	// Per-node values, in Correspondence order.
	IIAPerNode    []float64 `json:"iia_per_node,omitempty"`
	StrictPerNode []float64 `json:"strict_per_node,omitempty"`
	// Effect is the resample-ablation effect of each LL node (circuit nodes
	// in Entries order, then the non-circuit ones): among positions where
	// the HL output of base and source differ, the fraction where patching
	// the node alone from the source moves the LL prediction away from the
	// base's HL output. Only Evaluate with effects set fills it.
	Effect []NodeEffect `json:"effect,omitempty"`
	Pairs  int          `json:"pairs"`
}

// NodeEffect is one LL node's resample-ablation effect.
type NodeEffect struct {
	Node    string  `json:"node"`
	Circuit bool    `json:"circuit"`
	Effect  float64 `json:"effect"`
	// Positions is how many positions had differing HL outputs.
	Positions int `json:"positions"`
}

// evalBatch is the number of pairs per evaluation pass: gen1's training
// batch, so that the validation's runs fit the training's workspaces
// (which the trainer's evaluator uses) and a workspace's buffers (about
// 40 KB per pair at case 21's shape) stay small.
const evalBatch = 512

// evaluator scores an LL network on a fixed pair list.
type evaluator struct {
	job    *Job
	pairs  []Pair
	y      []float32 // HL outputs per data row [rows*T]
	tgt    *targets
	wsSrc  *grad.Workspace
	wsBase *grad.Workspace
	// wsPatch holds the patched runs, which ForwardFrom starts from the
	// clean base run in wsBase at the lowest patched layer.
	wsPatch *grad.Workspace
	// values holds the source run's value of each node (circuit nodes,
	// then non-circuit ones), ps the patches of one patched run; both are
	// reused from batch to batch.
	values [][]float32
	ps     []grad.Patch
}

func newEvaluator(j *Job, pairs []Pair, y []float32) *evaluator {
	return &evaluator{job: j, pairs: pairs, y: y, tgt: newTargets(j.HL, j.Data, pairs),
		wsSrc: grad.NewWorkspace(), wsBase: grad.NewWorkspace(), wsPatch: grad.NewWorkspace()}
}

// match counts positions 1..T-1 of n rows where the LL logits agree with
// the targets; it also returns the compared count.
func match(logits, want []float32, n, T, V int, categorical bool, atol float64) (hits, total int) {
	for r := 0; r < n; r++ {
		for t := 1; t < T; t++ {
			i := r*T + t
			row := logits[i*V : (i+1)*V]
			if agree(row, want[i], categorical, atol) {
				hits++
			}
			total++
		}
	}
	return
}

func agree(row []float32, want float32, categorical bool, atol float64) bool {
	if !categorical {
		return math.Abs(float64(row[0])-float64(want)) < atol
	}
	best := 0
	for j, v := range row {
		if v > row[best] {
			best = j
		}
	}
	return best == int(want)
}

// run evaluates net; with effects it also measures every LL node's
// resample-ablation effect.
func (e *evaluator) run(net *grad.Net, effects bool) (Metrics, error) {
	j := e.job
	T, V := j.Data.T, j.LL.DVocabOut
	cat := j.HL.Categorical()
	atol := j.Recipe.Atol
	K, S := len(j.Corr.Entries), len(j.Corr.NonCircuit)
	all := append([]LLNode(nil), circuitNodes(j.Corr)...)
	nCirc := len(all)
	all = append(all, j.Corr.NonCircuit...)
	pos := make(map[string]int, len(all)) // a node's index in all
	allNodes := make([]grad.Node, len(all))
	for a, nd := range all {
		allNodes[a] = nd.Node()
		if _, ok := pos[nd.String()]; !ok {
			pos[nd.String()] = a
		}
	}
	if len(e.values) < len(all) {
		e.values = make([][]float32, len(all))
	}
	var acc, accN int
	iia, iiaN := make([]int, K), make([]int, K)
	strict, strictN := make([]int, S), make([]int, S)
	eff, effN := make([]int, len(all)), make([]int, len(all))
	base := make([]int32, evalBatch*T)
	src := make([]int32, evalBatch*T)
	yb := make([]float32, evalBatch*T)
	ys := make([]float32, evalBatch*T)
	tg := make([]float32, evalBatch*T)
	idx := make([]int, 0, evalBatch)
	for lo := 0; lo < len(e.pairs); lo += evalBatch {
		hi := min(len(e.pairs), lo+evalBatch)
		n := hi - lo
		idx = idx[:0]
		for i := lo; i < hi; i++ {
			p := e.pairs[i]
			r := i - lo
			copy(base[r*T:(r+1)*T], j.Data.Row(int(p.Base)))
			copy(src[r*T:(r+1)*T], j.Data.Row(int(p.Source)))
			copy(yb[r*T:(r+1)*T], e.y[int(p.Base)*T:(int(p.Base)+1)*T])
			copy(ys[r*T:(r+1)*T], e.y[int(p.Source)*T:(int(p.Source)+1)*T])
			idx = append(idx, i)
		}
		clean, err := net.Forward(e.wsBase, base[:n*T], n, T, nil, false)
		if err != nil {
			return Metrics{}, err
		}
		h, t := match(clean.Logits(), yb, n, T, V, cat, atol)
		acc, accN = acc+h, accN+t
		var srcRun *grad.Run
		if len(allNodes) > 0 { // only the nodes' values are used
			if srcRun, err = net.ForwardNodes(e.wsSrc, src[:n*T], n, T, allNodes); err != nil {
				return Metrics{}, err
			}
		}
		for a, nd := range all { // copies: valid after the next forward
			g := nd.Node()
			w := n * T * g.Width(j.LL)
			if cap(e.values[a]) < w {
				e.values[a] = make([]float32, w)
			}
			e.values[a] = e.values[a][:w]
			if err := srcRun.NodeInto(e.values[a], g); err != nil {
				return Metrics{}, err
			}
		}
		patched := func(nodes []LLNode) ([]float32, error) {
			e.ps = e.ps[:0]
			for _, nd := range nodes {
				e.ps = append(e.ps, grad.Patch{Node: nd.Node(), Values: e.values[pos[nd.String()]]})
			}
			r, err := net.ForwardFrom(e.wsPatch, clean, e.ps, false)
			if err != nil {
				return nil, err
			}
			return r.Logits(), nil
		}
		if err := e.tgt.fill(idx); err != nil {
			return Metrics{}, err
		}
		for k, ent := range j.Corr.Entries {
			if err := e.tgt.get(k, idx, tg); err != nil {
				return Metrics{}, err
			}
			lg, err := patched(ent.LL)
			if err != nil {
				return Metrics{}, err
			}
			h, t := match(lg, tg, n, T, V, cat, atol)
			iia[k], iiaN[k] = iia[k]+h, iiaN[k]+t
		}
		for s, nd := range j.Corr.NonCircuit {
			lg, err := patched([]LLNode{nd})
			if err != nil {
				return Metrics{}, err
			}
			h, t := match(lg, yb, n, T, V, cat, atol)
			strict[s], strictN[s] = strict[s]+h, strictN[s]+t
		}
		if effects {
			for a, nd := range all {
				lg, err := patched([]LLNode{nd})
				if err != nil {
					return Metrics{}, err
				}
				for r := 0; r < n; r++ {
					for t := 1; t < T; t++ {
						i := r*T + t
						if sameOutput(yb[i], ys[i], cat, atol) {
							continue
						}
						effN[a]++
						if !agree(lg[i*V:(i+1)*V], yb[i], cat, atol) {
							eff[a]++
						}
					}
				}
			}
		}
	}
	m := Metrics{Pairs: len(e.pairs), Accuracy: frac(acc, accN), Strict: 1, IIAPerNode: make([]float64, K), StrictPerNode: make([]float64, S)}
	for k := range iia {
		m.IIAPerNode[k] = frac(iia[k], iiaN[k])
		m.IIA += m.IIAPerNode[k] / float64(K)
	}
	if S > 0 {
		m.Strict = 0
		for s := range strict {
			m.StrictPerNode[s] = frac(strict[s], strictN[s])
			m.Strict += m.StrictPerNode[s] / float64(S)
		}
	}
	if effects {
		for a, nd := range all {
			m.Effect = append(m.Effect, NodeEffect{Node: nd.String(), Circuit: a < nCirc, Effect: frac(eff[a], effN[a]), Positions: effN[a]})
		}
	}
	return m, nil
}

// sameOutput reports whether two HL outputs are the same label.
func sameOutput(a, b float32, categorical bool, atol float64) bool {
	if categorical {
		return a == b
	}
	return math.Abs(float64(a)-float64(b)) < atol
}

func frac(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// circuitNodes lists the distinct LL nodes of the correspondence in entry
// order.
func circuitNodes(c *Correspondence) []LLNode {
	seen := map[string]bool{}
	var out []LLNode
	for _, e := range c.Entries {
		for _, n := range e.LL {
			if !seen[n.String()] {
				seen[n.String()] = true
				out = append(out, n)
			}
		}
	}
	return out
}

// String is a one-line summary.
func (m Metrics) String() string {
	return fmt.Sprintf("accuracy %.2f%%, IIA %.2f%%, strict accuracy %.2f%% (%d pairs)", 100*m.Accuracy, 100*m.IIA, 100*m.Strict, m.Pairs)
}
