package siit

import (
	"errors"
	"fmt"
	"sort"
	"strconv"

	"github.com/glassbox-interp/glassbox/model"
	"github.com/glassbox-interp/glassbox/tensor"
	"github.com/glassbox-interp/glassbox/tracr"
)

// HL is the high-level model: the compiled tracr model, run with
// interventions on its nodes. Its outputs are the SIIT targets: per
// position the value (numerical programs) or the argmax class id
// (categorical programs, stored as float32).
type HL struct {
	m           *model.Model
	nodes       []HLNode
	categorical bool
	vocabOut    int
}

// hlChunk bounds the rows of one HL forward pass.
const hlChunk = 2048

// NewHL wraps the compiled model of comp and its nodes.
func NewHL(comp *tracr.Compiled) (*HL, error) {
	m, err := comp.Model()
	if err != nil {
		return nil, err
	}
	nodes := HLNodes(comp)
	if len(nodes) == 0 {
		return nil, fmt.Errorf("siit: the compiled program has no attention head or MLP (nothing to train)")
	}
	return &HL{m: m, nodes: nodes, categorical: comp.Categorical, vocabOut: m.Config().DVocabOut}, nil
}

// Nodes returns the HL nodes in block order.
func (h *HL) Nodes() []HLNode { return h.nodes }

// Categorical reports whether outputs are class ids.
func (h *HL) Categorical() bool { return h.categorical }

// Outputs runs rows (row-major [n, T] token ids) and returns [n, T] targets.
func (h *HL) Outputs(tokens []int32, n, T int) ([]float32, error) {
	return h.run(tokens, n, T)
}

// Patched runs base rows with HL node k replaced at every position by its
// value on the corresponding source rows, and returns [n, T] targets.
func (h *HL) Patched(base, source []int32, n, T, k int) ([]float32, error) {
	out, err := h.PatchedNodes(base, source, n, T, []int{k})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// PatchedNodes is Patched for several HL nodes at once: out[i] are the
// targets of node ks[i]. The runs share their work (see patchedChunk), and
// every target is bit-identical to a full run of the base rows with that
// node patched.
func (h *HL) PatchedNodes(base, source []int32, n, T int, ks []int) ([][]float32, error) {
	for _, k := range ks {
		if k < 0 || k >= len(h.nodes) {
			return nil, fmt.Errorf("siit: HL node %d out of range (%d nodes)", k, len(h.nodes))
		}
	}
	out := make([][]float32, len(ks))
	for i := range out {
		out[i] = make([]float32, n*T)
	}
	for lo := 0; lo < n; lo += hlChunk {
		hi := min(n, lo+hlChunk)
		logits, err := h.patchedChunk(toRows(base[lo*T:hi*T], hi-lo, T), toRows(source[lo*T:hi*T], hi-lo, T), ks)
		if err != nil {
			return nil, err
		}
		for i, lg := range logits {
			decode(out[i][lo*T:hi*T], lg.Data, h.categorical, h.vocabOut)
		}
	}
	return out, nil
}

func (h *HL) run(base []int32, n, T int) ([]float32, error) {
	out := make([]float32, n*T)
	for lo := 0; lo < n; lo += hlChunk {
		hi := min(n, lo+hlChunk)
		logits, _, err := h.m.Run(toRows(base[lo*T:hi*T], hi-lo, T), model.RunOptions{})
		if err != nil {
			return nil, fmt.Errorf("siit: HL run: %w", err)
		}
		decode(out[lo*T:hi*T], logits.Data, h.categorical, h.vocabOut)
	}
	return out, nil
}

// errStop ends an HL run once its hooks have read what they need: the
// layers above are not computed.
var errStop = errors.New("siit: HL run stopped early")

// nodeStage places an HL node in the forward pass: stage 2·L for an
// attention head of layer L (the pass resumes at blocks.L.hook_resid_pre
// to recompute it), 2·L+1 for its MLP (blocks.L.hook_resid_mid).
func nodeStage(n HLNode) (stage int, resume string, err error) {
	hn, err := model.ParseHook(n.Hook)
	if err != nil || hn.Layer < 0 {
		return 0, "", fmt.Errorf("siit: HL node %s: not a block's hook", n.Hook)
	}
	p := "blocks." + strconv.Itoa(hn.Layer) + "."
	switch hn.Point {
	case "attn.hook_result":
		return 2 * hn.Layer, p + "hook_resid_pre", nil
	case "mlp.hook_post":
		return 2*hn.Layer + 1, p + "hook_resid_mid", nil
	}
	return 0, "", fmt.Errorf("siit: HL node %s: want an attn.hook_result or mlp.hook_post", n.Hook)
}

// patchedChunk returns the logits of the base rows with each node of ks
// patched from the source rows, sharing work between the nodes while
// keeping every result bit-identical to its own full hooked runs:
//
//   - the source values come from runs that stop at the last node they
//     read. Reading a head's hook_result changes how its layer sums the
//     heads (model computes attn_out from the rounded results then), so a
//     run ends at the first layer whose head it reads, and the nodes above
//     it are read by a run resumed (RunFrom) from that layer's
//     hook_resid_pre, saved on the way;
//   - the base rows run once, unhooked, up to the last node's resume point,
//     saving the residual stream at every node's resume point; each node's
//     patched run resumes there.
func (h *HL) patchedChunk(base, source [][]int, ks []int) ([]*tensor.Tensor, error) {
	stage := make([]int, len(ks))
	resume := make([]string, len(ks))
	order := make([]int, len(ks)) // indices into ks in forward order
	for i, k := range ks {
		var err error
		if stage[i], resume[i], err = nodeStage(h.nodes[k]); err != nil {
			return nil, err
		}
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return stage[order[a]] < stage[order[b]] })

	src := make([]*tensor.Tensor, len(ks))
	from, resid := "", (*tensor.Tensor)(nil)
	for a := 0; a < len(order); {
		// This run reads order[a:b]: up to and including the first
		// attention layer it meets (all of that layer's nodes).
		b := a
		for b < len(order) {
			st := stage[order[b]]
			b++
			if st%2 == 0 {
				for b < len(order) && stage[order[b]] == st {
					b++
				}
				break
			}
		}
		var hooks []model.Hook
		want, got := b-a, 0
		var next *tensor.Tensor
		if b < len(order) && stage[order[b-1]]%2 == 0 {
			want++
			hooks = append(hooks, model.Hook{Name: resume[order[b-1]], Fn: func(act *tensor.Tensor) error {
				next = act.Clone()
				got++
				return nil
			}})
		}
		for _, i := range order[a:b] {
			hooks = append(hooks, model.Hook{Name: h.nodes[ks[i]].Hook, Fn: func(act *tensor.Tensor) error {
				src[i] = act.Clone()
				if got++; got == want {
					return errStop
				}
				return nil
			}})
		}
		var err error
		if from == "" {
			_, _, err = h.m.Run(source, model.RunOptions{Hooks: hooks})
		} else {
			_, _, err = h.m.RunFrom(from, resid, model.RunOptions{Hooks: hooks})
		}
		if !errors.Is(err, errStop) {
			return nil, fmt.Errorf("siit: HL source run: %w", err)
		}
		if next != nil {
			from, resid = resume[order[b-1]], next
		}
		a = b
	}

	// The base rows' residual stream at each distinct resume point.
	at := map[string]*tensor.Tensor{}
	var hooks []model.Hook
	got := 0
	for _, i := range order {
		p := resume[i]
		if _, ok := at[p]; ok {
			continue
		}
		at[p] = nil
		hooks = append(hooks, model.Hook{Name: p, Fn: func(act *tensor.Tensor) error {
			at[p] = act.Clone()
			if got++; got == len(at) {
				return errStop
			}
			return nil
		}})
	}
	if _, _, err := h.m.Run(base, model.RunOptions{Hooks: hooks}); !errors.Is(err, errStop) {
		return nil, fmt.Errorf("siit: HL base run: %w", err)
	}
	out := make([]*tensor.Tensor, len(ks))
	for i, k := range ks {
		node, v := h.nodes[k], src[i]
		patch := model.Hook{Name: node.Hook, Fn: func(act *tensor.Tensor) error { return patchInto(act, v, node.Head) }}
		logits, _, err := h.m.RunFrom(resume[i], at[resume[i]], model.RunOptions{Hooks: []model.Hook{patch}})
		if err != nil {
			return nil, fmt.Errorf("siit: HL run: %w", err)
		}
		out[i] = logits
	}
	return out, nil
}

// patchInto copies src into dst: the whole tensor (head nil) or head *head
// of a [B,T,H,d] activation.
func patchInto(dst, src *tensor.Tensor, head *int) error {
	if !tensor.SameShape(dst.Shape, src.Shape) {
		return fmt.Errorf("siit: patch shape %v into %v", src.Shape, dst.Shape)
	}
	if head == nil {
		copy(dst.Data, src.Data)
		return nil
	}
	if len(dst.Shape) != 4 || *head >= dst.Shape[2] {
		return fmt.Errorf("siit: head %d of activation %v", *head, dst.Shape)
	}
	H, d := dst.Shape[2], dst.Shape[3]
	for r := 0; r < dst.Shape[0]*dst.Shape[1]; r++ {
		o := (r*H + *head) * d
		copy(dst.Data[o:o+d], src.Data[o:o+d])
	}
	return nil
}

// decode turns logits [n, V] into targets: the value of column 0
// (numerical) or the argmax (categorical; the first maximum, as torch).
func decode(dst, logits []float32, categorical bool, V int) {
	for i := range dst {
		row := logits[i*V : (i+1)*V]
		if !categorical {
			dst[i] = row[0]
			continue
		}
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		dst[i] = float32(best)
	}
}

func toRows(tokens []int32, n, T int) [][]int {
	rows := make([][]int, n)
	flat := make([]int, n*T)
	for i, v := range tokens[:n*T] {
		flat[i] = int(v)
	}
	for i := range rows {
		rows[i] = flat[i*T : (i+1)*T]
	}
	return rows
}
