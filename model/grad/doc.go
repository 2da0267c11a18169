// Package grad is a trainable TransformerLens transformer with hand-written
// backward passes and activation patching, for training InterpBench-style
// low-level models with (strict) interchange intervention training.
//
//	net, err := grad.New(cfg)                   // zero parameters; or grad.FromParams(cfg, stateDict)
//	net.InitNormal(seed, 0.8/math.Sqrt(hlDModel))
//	ws, wsSrc := grad.NewWorkspace(), grad.NewWorkspace()
//	g, opt := net.NewGrads(), grad.NewAdam(net, 1e-2, 0.9, 0.999, 1e-8)
//
//	node, _ := grad.ParseNode("blocks.1.attn.hook_result[2]")
//	src, _ := net.Forward(wsSrc, srcTokens, B, T, nil, false)        // source run, no backward
//	run, _ := net.Forward(ws, baseTokens, B, T,
//		[]grad.Patch{{Node: node, Values: src.Node(node)}}, true)    // patched base run
//	loss, dlogits := grad.MSE(run.Logits(), target, B, T, V, 1)      // or grad.CrossEntropy
//	g.Zero()
//	err = net.Backward(ws, run, dlogits, g)
//	grad.ClipGradNorm(g, 0.1)
//	opt.Step(net, g)
//	m, _ := net.Model()                                              // inference model, same weights
//
// # Model
//
// The math is TransformerLens 1.19's HookedTransformer restricted to
// InterpBench's LL models: no LayerNorm, act_fn "gelu" (exact erf GELU) or
// "relu", learned positional embeddings, per-head W_Q/W_K/W_V [H,D,d_head]
// with biases, causal or bidirectional attention with scores divided by
// attn_scale (times layer+1 with scale_attn_by_inverse_layer_idx) and masked
// scores -inf, hook_result = z_h·W_O[h] (no b_O), attn_out = Σ_h result_h +
// b_O, MLP post = act(x·W_in + b_in), out = post·W_out + b_out, logits =
// x·W_U + b_U. d_model need not equal n_heads·d_head. New rejects anything
// else with an error naming the config key. Parameter names and shapes are
// TransformerLens'; Names is the state_dict order.
//
// # Nodes and patches
//
// A Node is an attention head's output (blocks.L.attn.hook_result with a
// head) or an MLP's hidden activation (blocks.L.mlp.hook_post, head -1),
// written "blocks.1.attn.hook_result[2]" / "blocks.0.mlp.hook_post". A
// Patch replaces a node at every position with given values [B,T,width];
// the patched value is a constant, so no gradient flows into the head's
// W_Q/W_K/W_V/W_O slices or the MLP's W_in/b_in through it (a patched
// head's attention is not even computed).
//
// # Runs and workspaces
//
// Forward's activations live in the Workspace passed to it: the Run is
// valid until the next Forward on that Workspace (Logits returns a view,
// Node a copy). Use a second Workspace for a source run whose values you
// still need, or copy them out with Node / NodeInto before the next
// Forward. Forward snapshots the weights it uses, and Backward and Node use
// that snapshot. After the first call of a given batch shape, Forward and
// Backward allocate only the small Run struct (plus, with GOMAXPROCS > 1,
// a small record per parallel pass). A Net may be run from several
// goroutines with one Workspace each, as long as nothing updates it
// meanwhile.
//
// ForwardFrom(ws, clean, patches, keep) is a patched Forward of a clean
// (unpatched) run's tokens that starts from the clean run's residual
// stream at the first patched node (resid_pre of its layer, or resid_mid
// for an MLP; a run that is not kept and patches a head also takes the
// layer's other heads' z from the clean run), bit-identical to the full
// Forward: an evaluation that patches one node at a time skips everything
// before it.
// clean must stay valid and the parameters unchanged (see its doc).
//
// ForwardNodes(ws, tokens, B, T, nodes) is an unpatched, not-kept Forward
// that stops once the given nodes are computed (a source run whose only
// use is their values): it skips the layers above them and the logits.
//
// # Gradients and the optimiser
//
// Grads mirrors torch's p.grad, including whether a parameter has one at
// all: one that only feeds patched nodes gets none, Zero keeps the flags
// (torch 1.x zero_grad) and Reset clears them (torch 2.x, set_to_none).
// ClipGradNorm and Adam skip parameters without a gradient, and Adam keeps
// a step count per parameter, exactly as torch.optim.Adam does.
//
// # Numerics and parallelism
//
// Activations, weights and gradients are float32 (as in PyTorch). The
// matrix products run on padded row-major buffers (widths rounded up to 8)
// through one kernel, sgemm: each output element is a chain of float32
// fused multiply-adds in a fixed order, in AVX2+FMA assembly on amd64 and
// in a pure-Go twin elsewhere (-tags noasm); the two are bit-identical
// where Go fuses float32 multiply-adds (arm64), and differ in last bits on
// amd64 without AVX2. How the kernel tiles C (16 columns six rows at a
// time in 12 registers, 24-column heads for widths 24 + 16·j, five-, four-
// and one-row blocks for the rest, A's panels packed when A is read down
// its columns) never changes an element's chain, so it never changes a
// result; on CPUs with AVX-512 the same chains run in zmm blocks of up to
// 64 columns, 8 or 6 rows at a time, the last zmm masked to the width
// (sgemmz.go), bit-identical to the AVX2 tiles. GELU is computed in float32 as Φ(-|x|) =
// e^(-x²/2)·M(|x|) with a degree-15 polynomial M on [-6, 6] (within one or
// two float32 ulps of the erf form) and closed forms in the tails, the
// softmax with a float32 polynomial exp (about 1 ulp). Attention runs with
// the batch in the SIMD lanes: eight sequences at a time, one head at a
// time, q, k, v laid out [position][feature][8 sequences] (attn.go), so
// that any d_head and T vectorise. These kernels run in AVX2 on amd64
// (GELU sixteen lanes at a time with AVX-512) with every operation
// rounded on its own, bit-identical to their pure-Go
// twins on every architecture. The amd64 kernels are generated with avo
// (internal/asmgen, see generate.go). A batch is split
// into a fixed number of chunks of rows (at most 16, never depending on
// GOMAXPROCS), run on up to GOMAXPROCS goroutines (the caller and helpers
// kept between passes, pool.go); each chunk's parameter
// gradients are summed in chunk order, so results are bit-identical
// whatever the number of cores. Against PyTorch (scripts/grad_fixtures.py,
// testdata/: float32 and float64 runs) losses, logits, gradients and the
// parameters after three rounds of IIT / strict / behaviour steps with
// clipping and Adam agree to 1e-5 relative for every entry above 0.3 of its
// tensor's largest, and to 3e-6 of that largest below it (float32
// rounding is relative to the scale of the sums, not to an entry that is
// small by cancellation).
package grad
