// Package torchfile reads and writes PyTorch files without Python: state
// dicts as torch.save writes them and plain pickles such as InterpBench's
// ll_model_cfg.pkl.
//
// Reading:
//
//	sd, err := torchfile.ReadStateDict("ll_model.pth")      // zip or legacy format
//	cfg, err := torchfile.ReadConfig("ll_model_cfg.pkl")    // dict or config object
//	sd, err = torchfile.ReadStateDictLimits(path, torchfile.Limits{
//		MaxBytes: 64 << 20,                                 // bytes read in total
//		Check:    func(name string, dt safetensors.DType, shape []int) error { … },
//	})
//
// Writing (what the real torch.load and pickle.load read; checked by
// scripts/check_torchfile.py):
//
//	err = torchfile.WriteStateDict("out/ll_model.pth", []torchfile.NamedTensor{
//		{Name: "embed.W_E", Shape: []int{6, 12}, DType: "float32", F32: wE},
//		{Name: "blocks.0.attn.mask", Shape: []int{5, 5}, DType: "bool", Bool: mask},
//	})
//	cfg := &torchfile.Dict{}
//	cfg.Set("d_model", 12)
//	cfg.Set("dtype", torchfile.Global{Module: "torch", Name: "float32"})
//	err = torchfile.WritePickle("out/ll_model_cfg.pkl", cfg)
//
// The writer produces torch 1.13's zip layout: "<archive>/data.pkl" (a
// protocol-2 pickle of a collections.OrderedDict whose tensors are
// torch._utils._rebuild_tensor_v2 calls on persistent storage references),
// one uncompressed, 64-byte-aligned "<archive>/data/<i>" entry per tensor,
// and "<archive>/version". MarshalPickle writes nil, bools, integers,
// floats, strings, bytes, lists, Tuple, ordered Dict, string-keyed maps
// (sorted), Global and Reduce, deterministically.
//
// Unpickling uses github.com/nlpodyssey/gopickle with a class lookup that
// knows the few torch callables a state dict needs (_rebuild_tensor_v2,
// _rebuild_parameter, the *Storage classes, torch dtypes, torch.device) and
// turns every other class into a generic Object that keeps its constructor
// arguments and state, so unknown classes never make a load fail. Tensors
// are rebuilt from storage, offset, shape and strides into contiguous
// little-endian bytes (safetensors.Raw). Every error names the file and, where
// there is one, the state-dict key.
//
// Hostile files are bounded: Plain (and so ReadConfig) converts a shared
// reference once and refuses a value that contains itself or that expands to
// more than DefaultMaxNodes values; a state dict materialises at most
// Limits.MaxBytes (DefaultMaxBytes), reads a storage only up to the size its
// pickle declares however far a compressed entry would inflate, refuses
// stride-0 views larger than MaxExpandedBytes, and lets Limits.Check refuse
// a tensor by name and shape before any of its data is read
// (model.LoadTorch passes the shapes its config expects).
package torchfile
