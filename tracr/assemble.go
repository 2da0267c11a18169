package tracr

import (
	"fmt"
	"math"
	"sort"

	"github.com/glassbox-interp/glassbox/model"
	"github.com/glassbox-interp/glassbox/rasp"
	"github.com/glassbox-interp/glassbox/tensor"
	"github.com/glassbox-interp/glassbox/tracr/bases"
	"github.com/glassbox-interp/glassbox/tracr/craft"
)

// assemble is craft_model_to_transformer + assemble.assemble_craft_model,
// writing TransformerLens parameter names as circuits-benchmark's
// HookedTracrTransformer does.
func (cp *compiler) assemble(hls []*halfLayer) (*Compiled, error) {
	// Model blocks: heads stay separate, MLPs of one layer are combined.
	type mblock struct {
		hl    *halfLayer
		mlp   *craft.MLP
		layer int
	}
	blocks := make([]*mblock, len(hls))
	var spaces []*bases.Space
	for i, h := range hls {
		b := &mblock{hl: h}
		if h.attn {
			for _, hd := range h.heads {
				spaces = append(spaces, hd.ResidualSpace())
			}
		} else {
			for _, m := range h.mlps {
				spaces = append(spaces, m.ResidualSpace())
			}
			b.mlp = craft.CombineMLPs(h.mlps)
		}
		blocks[i] = b
	}
	// Module names: the next layer_L/attn or layer_L/mlp of the right kind.
	cand := 0
	for _, b := range blocks {
		want := 1
		if b.hl.attn {
			want = 0
		}
		for cand%2 != want {
			cand++
		}
		b.layer = cand / 2
		cand++
	}
	nLayers := blocks[len(blocks)-1].layer + 1

	tokVals := newPySetOf(cp.vocab.values()...)
	if tn, ok := cp.byLabel["tokens"]; ok && tn.values != nil {
		tokVals = newPySetOf(tn.values.values()...)
	}
	tokVals.add(cp.opts.CompilerBOS)
	tokVals.add(cp.opts.CompilerPAD)
	tokensSpace := bases.FromValues("tokens", tokVals.values())
	var idx []rasp.Value
	for i := 0; i < cp.maxSeqLen; i++ {
		idx = append(idx, i)
	}
	indicesSpace := bases.FromValues("indices", idx)
	outSpace := cp.sink.space
	residual := bases.Join(append(spaces, tokensSpace, indicesSpace, outSpace)...)
	D := residual.NumDims()

	nHeads, keySize, hidden := 1, 1, 1
	anyAttn, anyMLP := false, false
	for _, b := range blocks {
		if b.hl.attn {
			if !anyAttn {
				nHeads, keySize = 0, 0
				anyAttn = true
			}
			nHeads = max(nHeads, len(b.hl.heads))
			for _, h := range b.hl.heads {
				keySize = max(keySize, h.QK.Left.NumDims(), h.QK.Right.NumDims())
			}
		} else {
			if !anyMLP {
				hidden = 0
				anyMLP = true
			}
			hidden = max(hidden, b.mlp.Hidden().NumDims())
		}
	}

	if err := cp.checkModel(nLayers, D, nHeads, keySize, hidden, tokensSpace.NumDims(), cp.maxSeqLen+1, outSpace.NumDims()); err != nil {
		return nil, err
	}
	params := map[string]*tensor.Tensor{}
	for l := 0; l < nLayers; l++ {
		p := fmt.Sprintf("blocks.%d.", l)
		params[p+"attn.W_Q"] = tensor.New(nHeads, D, keySize)
		params[p+"attn.W_K"] = tensor.New(nHeads, D, keySize)
		params[p+"attn.W_V"] = tensor.New(nHeads, D, keySize)
		params[p+"attn.W_O"] = tensor.New(nHeads, keySize, D)
		params[p+"mlp.W_in"] = tensor.New(D, hidden)
		params[p+"mlp.W_out"] = tensor.New(hidden, D)
	}
	// resIndex maps a space's directions to residual indices.
	resIndex := func(s *bases.Space) []int {
		out := make([]int, s.NumDims())
		for i, d := range s.Basis() {
			j, ok := residual.Index(d)
			if !ok {
				panic(fmt.Sprintf("direction %s not in the residual stream", d))
			}
			out[i] = j
		}
		return out
	}
	for _, b := range blocks {
		p := fmt.Sprintf("blocks.%d.", b.layer)
		if !b.hl.attn {
			m := b.mlp
			h := m.Hidden().NumDims()
			win, wout := params[p+"mlp.W_in"], params[p+"mlp.W_out"]
			for i, r := range resIndex(m.Fst.In) {
				for j := 0; j < h; j++ {
					win.Data[r*hidden+j] = float32(m.Fst.At(i, j))
				}
			}
			for j, r := range resIndex(m.Snd.Out) {
				for i := 0; i < h; i++ {
					wout.Data[i*D+r] = float32(m.Snd.At(i, j))
				}
			}
			continue
		}
		wq, wk, wv, wo := params[p+"attn.W_Q"], params[p+"attn.W_K"], params[p+"attn.W_V"], params[p+"attn.W_O"]
		for hi, hd := range b.hl.heads {
			ks := hd.QK.Right.NumDims()
			vs := hd.OV.Out.NumDims()
			if vs > keySize {
				return nil, &Error{Label: b.hl.writers[hi], Err: fmt.Errorf("value size %d exceeds the key size %d (tracr cannot assemble this head)", vs, keySize)}
			}
			base := hi * D * keySize
			for i, r := range resIndex(hd.QK.Left) {
				for j := 0; j < ks; j++ {
					wq.Data[base+r*keySize+j] = float32(hd.QK.At(i, j))
				}
			}
			for j, r := range resIndex(hd.QK.Right) {
				wk.Data[base+r*keySize+j] = 1
			}
			for i, r := range resIndex(hd.OV.In) {
				for j := 0; j < vs; j++ {
					wv.Data[base+r*keySize+j] = float32(hd.OV.At(i, j))
				}
			}
			obase := hi * keySize * D
			for j, r := range resIndex(hd.OV.Out) {
				wo.Data[obase+j*D+r] = 1
			}
		}
	}
	// Embeddings.
	nTok := tokensSpace.NumDims()
	we := tensor.New(nTok, D)
	oneIdx, hasOne := residual.Index(cp.one)
	tokIdx := resIndex(tokensSpace)
	for i, r := range tokIdx {
		we.Data[i*D+r] = 1
		if hasOne {
			we.Data[i*D+oneIdx] += 1
		}
	}
	params["embed.W_E"] = we
	wpos := tensor.New(cp.maxSeqLen+1, D)
	for i, r := range resIndex(indicesSpace) {
		wpos.Data[(i+1)*D+r] = 1
	}
	params["pos_embed.W_pos"] = wpos
	nOut := outSpace.NumDims()
	wu := tensor.New(D, nOut)
	for j, r := range resIndex(outSpace) {
		wu.Data[r*nOut+j] = 1
	}
	params["unembed.W_U"] = wu

	attnDir := "bidirectional"
	if cp.opts.Causal {
		attnDir = "causal"
	}
	cfg := model.Config{
		NLayers: nLayers, DModel: D, NCtx: cp.maxSeqLen + 1, DHead: keySize, NHeads: nHeads, DMLP: hidden,
		ActFn: "relu", DVocab: nTok, DVocabOut: nOut, NormalizationType: "", AttentionDir: attnDir,
		PositionalEmbeddingType: "standard", UseAttnScale: true, AttnScale: math.Sqrt(float64(keySize)),
		UseAttnResult: true, UseSplitQKVInput: true, UseHookMLPIn: true, Eps: 1e-5,
		ModelName: "tracr-" + cp.sink.label, Dtype: "float32",
	}

	c := &Compiled{
		Config: cfg, Params: params, Residual: residual, ResidualLabels: residual.Labels(),
		Categorical: !cp.sink.numerical(), OutputLabel: cp.sink.label, Graph: cp.graph,
		MaxSeqLen: cp.maxSeqLen, Options: cp.opts,
	}
	for _, d := range tokensSpace.Basis() {
		c.Tokens = append(c.Tokens, d.Value)
	}
	if c.Categorical {
		for _, d := range outSpace.Basis() {
			c.OutputValues = append(c.OutputValues, d.Value)
		}
	}
	for _, b := range blocks {
		blk := Block{Layer: b.layer, Nodes: append([]string(nil), b.hl.writers...)}
		if b.hl.attn {
			blk.Kind = "attn"
			blk.heads = b.hl.heads
			for _, hd := range b.hl.heads {
				det := HeadDetail{
					Output:  joinNames(hd.OV.Out),
					QInputs: varNames(hd.QK.Left, cp.bos),
					KInputs: varNames(hd.QK.Right, cp.bos),
					VInputs: varNames(hd.OV.In, cp.bos),
					QKShape: [2]int{hd.QK.Left.NumDims(), hd.QK.Right.NumDims()},
					OVShape: [2]int{hd.OV.In.NumDims(), hd.OV.Out.NumDims()},
				}
				blk.Heads = append(blk.Heads, det.Output)
				blk.HeadDetail = append(blk.HeadDetail, det)
			}
		} else {
			blk.Kind = "mlp"
			blk.mlp = b.mlp
			blk.Outputs = varNames(b.mlp.Snd.Out, cp.bos)
			blk.Inputs = varNames(b.mlp.Fst.In, cp.bos)
			blk.DHidden = b.mlp.Hidden().NumDims()
		}
		c.Blocks = append(c.Blocks, blk)
	}
	c.Alignment = buildAlignment(cp, c)
	return c, nil
}

// varNames are the sorted variable names of a space, without `one` and the
// BOS token direction (circuits-benchmark's get_labels_from_vector_space).
func varNames(s *bases.Space, bos bases.Direction) []string {
	set := map[string]bool{}
	for _, d := range s.Basis() {
		if d.Name == "one" && d.Value == nil {
			continue
		}
		if d.Equal(bos) {
			continue
		}
		set[d.Name] = true
	}
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func joinNames(s *bases.Space) string {
	names := s.Names()
	if len(names) == 1 {
		return names[0]
	}
	out := ""
	for i, n := range names {
		if i > 0 {
			out += ","
		}
		out += n
	}
	return out
}

// TokenID returns the token id of v (its index in the sorted tokens basis).
func (c *Compiled) TokenID(v rasp.Value) (int, bool) {
	for i, t := range c.Tokens {
		if rasp.Equal(t, v) {
			return i, true
		}
	}
	return 0, false
}
