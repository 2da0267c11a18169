package grad_test

import (
	"fmt"

	"github.com/glassbox-interp/glassbox/model"
	"github.com/glassbox-interp/glassbox/model/grad"
)

// One IIT step: run the source, patch one head of the base run with the
// source's values, take the MSE from position 1, back-propagate, clip and
// step Adam.
func Example() {
	cfg := model.DefaultConfig()
	cfg.NLayers, cfg.DModel, cfg.NHeads, cfg.DHead, cfg.DMLP = 2, 12, 4, 3, 48
	cfg.NCtx, cfg.DVocab, cfg.DVocabOut = 5, 6, 1
	cfg.ActFn, cfg.NormalizationType = "gelu", ""
	net, err := grad.New(cfg)
	if err != nil {
		panic(err)
	}
	net.InitNormal(1, 0.2)

	B, T := 2, 5
	base := []int32{0, 1, 2, 3, 4, 5, 4, 3, 2, 1}
	source := []int32{0, 5, 5, 1, 1, 0, 2, 2, 3, 3}
	target := make([]float32, B*T)
	node, _ := grad.ParseNode("blocks.1.attn.hook_result[2]")

	ws, wsSrc := grad.NewWorkspace(), grad.NewWorkspace()
	g := net.NewGrads()
	opt := grad.NewAdam(net, 1e-2, 0.9, 0.999, 1e-8)

	src, err := net.Forward(wsSrc, source, B, T, nil, false)
	if err != nil {
		panic(err)
	}
	run, err := net.Forward(ws, base, B, T, []grad.Patch{{Node: node, Values: src.Node(node)}}, true)
	if err != nil {
		panic(err)
	}
	loss, dlogits := grad.MSE(run.Logits(), target, B, T, 1, 1)
	g.Zero()
	if err := net.Backward(ws, run, dlogits, g); err != nil {
		panic(err)
	}
	grad.ClipGradNorm(g, 0.1)
	opt.Step(net, g)
	fmt.Println(loss > 0, len(g.Get("blocks.1.attn.W_O")))
	// Output: true 144
}
