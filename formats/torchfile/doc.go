// Package torchfile reads PyTorch files without Python: state dicts written
// by torch.save (the zip format — "<archive>/data.pkl" plus one raw storage
// per "<archive>/data/<key>" entry — and the legacy non-zip format), and
// plain pickles such as InterpBench's ll_model_cfg.pkl.
//
// Unpickling uses github.com/nlpodyssey/gopickle with a class lookup that
// knows the few torch callables a state dict needs (_rebuild_tensor_v2,
// _rebuild_parameter, the *Storage classes, torch dtypes, torch.device) and
// turns every other class into a generic Object that keeps its constructor
// arguments and state, so unknown classes never make a load fail. Tensors
// are rebuilt from storage, offset, shape and strides into contiguous
// little-endian bytes (safetensors.Raw). Every error names the file and, where
// there is one, the state-dict key.
package torchfile
