package torchfile

import (
	"bytes"
	"fmt"
	"math/big"
	"os"
	"sort"

	"github.com/nlpodyssey/gopickle/pickle"
	"github.com/nlpodyssey/gopickle/types"
)

// Class is a Python class or function named in a pickle that this package
// does not model; calling or instantiating it yields an *Object.
type Class struct {
	Module, Name string
}

// Object is an instance of a class this package does not model. It keeps
// what the pickle said about it.
type Object struct {
	Class *Class
	Args  []any          // constructor / reduce arguments
	Dict  map[string]any // __dict__ entries set by BUILD
	State any            // non-dict state passed to __setstate__
}

// Call implements gopickle's Callable (REDUCE).
func (c *Class) Call(args ...any) (any, error) {
	return &Object{Class: c, Args: args, Dict: map[string]any{}}, nil
}

// PyNew implements gopickle's PyNewable (NEWOBJ, OBJ, INST).
func (c *Class) PyNew(args ...any) (any, error) { return c.Call(args...) }

// PyDictSet implements BUILD with a dict state.
func (o *Object) PyDictSet(key, value any) error {
	k, ok := key.(string)
	if !ok {
		return fmt.Errorf("%s.%s: __dict__ key %s is not a string", o.Class.Module, o.Class.Name, short(key))
	}
	o.Dict[k] = value
	return nil
}

// PySetAttr implements BUILD with slot state.
func (o *Object) PySetAttr(key string, value any) error {
	o.Dict[key] = value
	return nil
}

// DType is a torch dtype object such as torch.float32 (Name "float32").
type DType struct{ Name string }

// Device is a torch.device (Name such as "cpu" or "cuda:0").
type Device struct{ Name string }

type deviceClass struct{}

// Call builds a Device from torch.device's arguments.
func (deviceClass) Call(args ...any) (any, error) {
	name := ""
	for i, a := range args {
		if i > 0 {
			name += ":"
		}
		name += fmt.Sprint(a)
	}
	return &Device{Name: name}, nil
}

var torchDTypes = map[string]bool{
	"float64": true, "float32": true, "float16": true, "bfloat16": true, "int64": true, "int32": true,
	"int16": true, "int8": true, "uint8": true, "bool": true, "complex64": true, "complex128": true,
	"double": true, "float": true, "half": true, "long": true, "int": true, "short": true,
}

// findClass resolves globals: torch dtypes, devices, storages and rebuild
// functions, else a generic Class.
func (r *reader) findClass(module, name string) (any, error) {
	switch module {
	case "torch":
		if torchDTypes[name] {
			return &DType{Name: name}, nil
		}
		if name == "device" {
			return deviceClass{}, nil
		}
		if dt, ok := storageDTypes[name]; ok {
			return &storageClass{name: name, dtype: dt}, nil
		}
	case "numpy.core.multiarray", "numpy._core.multiarray":
		if name == "scalar" {
			return numpyScalarClass{}, nil
		}
	case "numpy":
		if name == "dtype" {
			return numpyDTypeClass{}, nil
		}
	case "_codecs":
		if name == "encode" {
			return codecsEncode{}, nil
		}
	case "torch._utils":
		switch name {
		case "_rebuild_tensor_v2", "_rebuild_tensor":
			return rebuildTensor{}, nil
		case "_rebuild_parameter", "_rebuild_parameter_with_state":
			return rebuildParameter{}, nil
		}
	}
	return &Class{Module: module, Name: name}, nil
}

type rebuildParameter struct{}

// Call unwraps _rebuild_parameter(data, requires_grad, hooks) to data.
func (rebuildParameter) Call(args ...any) (any, error) {
	if len(args) < 1 {
		return nil, fmt.Errorf("_rebuild_parameter: no arguments")
	}
	return args[0], nil
}

// unpickle decodes the pickle that starts at b[start:] and returns its value
// and the offset after it. The opcode stream is checked by scanPickle first;
// a panic inside the decoder is turned into an error.
func (r *reader) unpickle(b []byte, start int) (v any, end int, err error) {
	n, err := scanPickle(b[start:])
	if err != nil {
		return nil, 0, err
	}
	defer func() {
		if p := recover(); p != nil {
			v, err = nil, fmt.Errorf("corrupt pickle: %v", p)
		}
	}()
	u := pickle.NewUnpickler(bytes.NewReader(rewriteUnicode0(b[start : start+n])))
	u.FindClass = r.findClass
	u.PersistentLoad = r.persistentLoad
	v, err = u.Load()
	return v, start + n, err
}

// MaxPickleFile bounds the size of a file ReadPickle and ReadConfig read.
const MaxPickleFile = 256 << 20

// readPickleFile reads a file of at most MaxPickleFile bytes; a larger one
// is refused before reading (and named a state dict if it looks like one).
func readPickleFile(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.Size() > MaxPickleFile {
		if k, err := SniffFile(path); err == nil && k.IsStateDict() {
			return nil, fmt.Errorf("%s is %s, not a pickle", path, k)
		}
		return nil, fmt.Errorf("%s is %d bytes, more than the %d a pickle may have here", path, st.Size(), MaxPickleFile)
	}
	return os.ReadFile(path)
}

// ReadPickle unpickles the file at path into plain Go values (see Plain).
func ReadPickle(path string) (any, error) {
	b, err := readPickleFile(path)
	if err != nil {
		return nil, fmt.Errorf("read pickle: %w", err)
	}
	v, err := ParsePickle(b)
	if err != nil {
		return nil, fmt.Errorf("read pickle %s: %w", path, err)
	}
	return v, nil
}

// ParsePickle unpickles b into plain Go values (see Plain). Persistent
// references (tensor storages) are not allowed here.
func ParsePickle(b []byte) (any, error) {
	r := &reader{}
	v, _, err := r.unpickle(b, 0)
	if err != nil {
		if Sniff(b) == KindZip {
			return nil, fmt.Errorf("this is a zip archive (it looks like a torch.save state dict such as %s), not a pickle", "ll_model.pth")
		}
		return nil, err
	}
	if bi, ok := v.(*big.Int); ok && bi.Cmp(legacyMagic) == 0 {
		return nil, fmt.Errorf("this is a legacy torch.save file (a state dict such as %s), not a plain pickle", "ll_model.pth")
	}
	return Plain(v)
}

// ReadConfig reads a pickled TransformerLens config: a plain dict, or an
// object (any class; InterpBench uses
// transformer_lens.HookedTransformerConfig.HookedTransformerConfig) whose
// __dict__ holds the fields. Values come back as in Plain, so
// "dtype": torch.float32 reads as "float32". Values that are not JSON-like
// (objects) are returned as their Plain map.
func ReadConfig(path string) (map[string]any, error) {
	b, err := readPickleFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	m, err := ParseConfig(b)
	if err != nil {
		return nil, fmt.Errorf("read config %s: %w", path, err)
	}
	return m, nil
}

// ParseConfig is ReadConfig on bytes.
func ParseConfig(b []byte) (map[string]any, error) {
	v, err := ParsePickle(b)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("pickle holds %s, want a dict or a config object", plainKind(v))
	}
	if _, isObj := m["__class__"]; isObj {
		delete(m, "__class__")
		delete(m, "__args__")
		if st, ok := m["__state__"].(map[string]any); ok {
			for k, v := range st {
				m[k] = v
			}
		}
		delete(m, "__state__")
	}
	return m, nil
}

// SortedKeys returns m's keys in sorted order.
func SortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// PySetState implements BUILD: a dict state fills Dict, a (dict, slots)
// tuple fills Dict from both, anything else is kept in State.
func (o *Object) PySetState(state any) error {
	if t, ok := state.(*types.Tuple); ok && t.Len() == 2 {
		if d, ok := t.Get(0).(*types.Dict); ok || t.Get(0) == nil {
			if d != nil {
				o.setDict(d)
			}
			if s, ok := t.Get(1).(*types.Dict); ok {
				o.setDict(s)
			}
			return nil
		}
	}
	if d, ok := state.(*types.Dict); ok {
		o.setDict(d)
		return nil
	}
	o.State = state
	return nil
}

func (o *Object) setDict(d *types.Dict) {
	for _, e := range *d {
		o.Dict[keyString(e.Key)] = e.Value
	}
}

// plainKind names the kind of a Plain value for messages.
func plainKind(v any) string {
	switch v.(type) {
	case nil:
		return "None"
	case []any:
		return "a list"
	case string:
		return "a string"
	case int, *big.Int:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a bool"
	case []byte:
		return "bytes"
	}
	return fmt.Sprintf("%T", v)
}
