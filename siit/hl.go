package siit

import (
	"fmt"

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
	return h.run(tokens, nil, n, T, -1)
}

// Patched runs base rows with HL node k replaced at every position by its
// value on the corresponding source rows, and returns [n, T] targets.
func (h *HL) Patched(base, source []int32, n, T, k int) ([]float32, error) {
	if k < 0 || k >= len(h.nodes) {
		return nil, fmt.Errorf("siit: HL node %d out of range (%d nodes)", k, len(h.nodes))
	}
	return h.run(base, source, n, T, k)
}

func (h *HL) run(base, source []int32, n, T, k int) ([]float32, error) {
	out := make([]float32, n*T)
	for lo := 0; lo < n; lo += hlChunk {
		hi := min(n, lo+hlChunk)
		rows := toRows(base[lo*T:hi*T], hi-lo, T)
		var opt model.RunOptions
		if k >= 0 {
			node := h.nodes[k]
			_, cache, err := h.m.Run(toRows(source[lo*T:hi*T], hi-lo, T), model.RunOptions{Cache: []string{node.Hook}})
			if err != nil {
				return nil, fmt.Errorf("siit: HL source run: %w", err)
			}
			src := cache[node.Hook]
			opt.Hooks = []model.Hook{{Name: node.Hook, Fn: func(act *tensor.Tensor) error {
				return patchInto(act, src, node.Head)
			}}}
		}
		logits, _, err := h.m.Run(rows, opt)
		if err != nil {
			return nil, fmt.Errorf("siit: HL run: %w", err)
		}
		decode(out[lo*T:hi*T], logits.Data, h.categorical, h.vocabOut)
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
