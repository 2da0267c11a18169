package model_test

import (
	"fmt"

	"github.com/glassbox-interp/glassbox/model"
	"github.com/glassbox-interp/glassbox/tensor"
)

// A one-layer model whose MLP writes 1 into residual dimension 0 and whose
// unembedding reads that dimension: zero-ablating hook_mlp_out removes it.
func Example() {
	cfg := model.DefaultConfig()
	cfg.NLayers, cfg.DModel, cfg.NCtx, cfg.DHead, cfg.NHeads, cfg.DMLP = 1, 2, 3, 1, 1, 1
	cfg.DVocab, cfg.DVocabOut, cfg.ActFn, cfg.NormalizationType = 2, 1, "relu", ""
	names, shapes := model.ParamShapes(cfg)
	params := map[string]*tensor.Tensor{}
	for _, n := range names {
		params[n] = tensor.New(shapes[n]...) // zeros; absent biases would be zeros too
	}
	params["blocks.0.mlp.b_in"].Data[0] = 1  // hidden unit always 1 after relu
	params["blocks.0.mlp.W_out"].Data[0] = 1 // written to residual dim 0
	params["unembed.W_U"].Data[0] = 1        // logit = residual dim 0
	m, err := model.New(cfg, params)
	if err != nil {
		panic(err)
	}
	tokens := [][]int{{0, 1, 1}}
	logits, cache, _ := m.RunWithCache(tokens, "blocks.0.mlp.hook_post")
	fmt.Println("logits:", logits.Data, "post shape:", cache["blocks.0.mlp.hook_post"].Shape)

	ablate := model.Hook{Name: "blocks.0.hook_mlp_out", Fn: func(a *tensor.Tensor) error {
		clear(a.Data)
		return nil
	}}
	logits, _ = m.RunWithHooks(tokens, []model.Hook{ablate})
	fmt.Println("ablated:", logits.Data)
	// Output:
	// logits: [1 1 1] post shape: [1 3 1]
	// ablated: [0 0 0]
}
