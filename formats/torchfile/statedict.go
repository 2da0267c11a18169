package torchfile

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math/big"
	"os"
	"sort"
	"strings"

	"github.com/glassbox-interp/glassbox/formats/safetensors"
	"github.com/nlpodyssey/gopickle/types"
)

// storageDTypes maps torch's legacy storage class names to dtypes.
var storageDTypes = map[string]safetensors.DType{
	"DoubleStorage": safetensors.F64, "FloatStorage": safetensors.F32, "HalfStorage": safetensors.F16,
	"BFloat16Storage": safetensors.BF16, "LongStorage": safetensors.I64, "IntStorage": safetensors.I32,
	"ShortStorage": safetensors.I16, "CharStorage": safetensors.I8, "ByteStorage": safetensors.U8,
	"BoolStorage": safetensors.Bool,
}

type storageClass struct {
	name  string
	dtype safetensors.DType
}

// Call lets a storage class appear in a REDUCE (it never builds anything).

// maxElements bounds a tensor's element count so corrupt sizes cannot
// overflow or exhaust memory.
const maxElements int64 = 1 << 40

func (s *storageClass) Call(args ...any) (any, error) {
	return nil, fmt.Errorf("torch.%s cannot be constructed directly", s.name)
}

// storage is one raw storage: dtype, element count and its bytes. In the
// zip format the bytes are read on first use (load), so that nothing is
// read for tensors a Limits.Check refuses; in the legacy format they are a
// slice of the input.
type storage struct {
	key   string
	dtype safetensors.DType
	numel int
	data  []byte
	load  func() ([]byte, error) // nil once data is set
}

// bytes is the storage's size as the pickle declares it.
func (s *storage) bytes() int64 { return int64(s.numel) * int64(s.dtype.Size()) }

// Tensor is a tensor rebuilt from a pickle: contiguous data, its dtype and
// shape (the Raw), plus the storage key it came from.
type Tensor struct {
	safetensors.Raw
	StorageKey string
	view       *view // set until the data is gathered
}

type view struct {
	st          *storage
	off         int
	size, stide []int
}

type rebuildTensor struct{}

// Call rebuilds a tensor from (storage, storage_offset, size, stride, ...).
func (rebuildTensor) Call(args ...any) (any, error) {
	if len(args) < 4 {
		return nil, fmt.Errorf("_rebuild_tensor_v2: %d arguments, want at least 4", len(args))
	}
	st, ok := args[0].(*storage)
	if !ok {
		return nil, fmt.Errorf("_rebuild_tensor_v2: first argument is %T, want a storage", args[0])
	}
	off, err := toInt(args[1])
	if err != nil {
		return nil, fmt.Errorf("_rebuild_tensor_v2: storage_offset: %w", err)
	}
	size, err := toInts(args[2])
	if err != nil {
		return nil, fmt.Errorf("_rebuild_tensor_v2: size: %w", err)
	}
	stride, err := toInts(args[3])
	if err != nil {
		return nil, fmt.Errorf("_rebuild_tensor_v2: stride: %w", err)
	}
	if _, err := checkView(st, off, size, stride); err != nil {
		return nil, fmt.Errorf("_rebuild_tensor_v2: %w", err)
	}
	return &Tensor{Raw: safetensors.Raw{DType: st.dtype, Shape: append([]int{}, size...)}, StorageKey: st.key, view: &view{st, off, size, stride}}, nil
}

// checkView checks a strided view (offset, size, stride) against the
// storage's declared element count and returns its element count. Each
// dimension's reach (size-1)·|stride| is bounded by the storage before it
// is added up, so no sum can overflow.
func checkView(st *storage, off int, size, stride []int) (int, error) {
	if len(size) != len(stride) {
		return 0, fmt.Errorf("storage %q: size %v and stride %v differ in rank", st.key, size, stride)
	}
	n := 1
	for _, d := range size {
		if d < 0 {
			return 0, fmt.Errorf("storage %q: negative size %v", st.key, size)
		}
		if d > 0 && int64(n) > maxElements/int64(d) {
			return 0, fmt.Errorf("storage %q: size %v too large", st.key, size)
		}
		n *= d
	}
	if off < 0 {
		return 0, fmt.Errorf("storage %q: negative storage offset %d", st.key, off)
	}
	if n == 0 {
		return 0, nil
	}
	outside := func() error {
		return fmt.Errorf("storage %q: view offset %d size %v stride %v reaches outside the storage's %d elements", st.key, off, size, stride, st.numel)
	}
	if off >= st.numel {
		return 0, outside()
	}
	maxIdx, minIdx := off, off
	for i, d := range size {
		if d == 1 || stride[i] == 0 {
			continue
		}
		a := stride[i]
		if a < 0 {
			a = -a
		}
		if a < 0 || a > (st.numel-1)/(d-1) { // a < 0: -MinInt
			return 0, outside()
		}
		if stride[i] > 0 {
			maxIdx += (d - 1) * a
		} else {
			minIdx -= (d - 1) * a
		}
		if maxIdx >= st.numel || minIdx < 0 {
			return 0, outside()
		}
	}
	return n, nil
}

// gather copies the strided view (offset, size, stride) of st into a
// contiguous Tensor, checking every index against the storage length. The
// caller bounds the size (see Limits).
func gather(st *storage, off int, size, stride []int) (*Tensor, error) {
	es := st.dtype.Size()
	chk := *st
	chk.numel = len(st.data) / es
	n, err := checkView(&chk, off, size, stride)
	if err != nil {
		return nil, err
	}
	out := make([]byte, n*es)
	idx := make([]int, len(size))
	for k := 0; k < n; k++ {
		src := off
		for i, v := range idx {
			src += v * stride[i]
		}
		copy(out[k*es:(k+1)*es], st.data[src*es:(src+1)*es])
		for i := len(idx) - 1; i >= 0; i-- {
			idx[i]++
			if idx[i] < size[i] {
				break
			}
			idx[i] = 0
		}
	}
	return &Tensor{Raw: safetensors.Raw{DType: st.dtype, Shape: append([]int{}, size...), Data: out}, StorageKey: st.key}, nil
}

func toInt(v any) (int, error) {
	switch x := v.(type) {
	case int:
		return x, nil
	case *big.Int:
		if x.IsInt64() && x.Int64() >= -(1<<50) && x.Int64() <= 1<<50 {
			return int(x.Int64()), nil
		}
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	}
	return 0, fmt.Errorf("%s is not an integer", short(v))
}

func toInts(v any) ([]int, error) {
	var s []any
	switch x := v.(type) {
	case *types.Tuple:
		s = *x
	case *types.List:
		s = *x
	case []any:
		s = x
	default:
		if x, ok := v.(*Object); ok && x.Class.Name == "Size" && len(x.Args) == 1 {
			return toInts(x.Args[0])
		}
		return nil, fmt.Errorf("%s is not a tuple of integers", short(v))
	}
	out := make([]int, len(s))
	for i, e := range s {
		n, err := toInt(e)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

// reader resolves persistent storage references while unpickling.
type reader struct {
	// openStorage checks that storage key can provide need bytes and returns
	// a loader for them (zip format), or nil when the bytes are filled in
	// after unpickling (legacy format). Nil in a plain pickle.
	openStorage func(key string, need int64) (func() ([]byte, error), error)
	storages    map[string]*storage
}

// persistentLoad handles ('storage', storage_class, key, location, numel).
func (r *reader) persistentLoad(pid any) (any, error) {
	if r.openStorage == nil {
		return nil, fmt.Errorf("persistent reference %s in a plain pickle", short(pid))
	}
	t, ok := pid.(*types.Tuple)
	if !ok || t.Len() < 5 {
		return nil, fmt.Errorf("persistent id %s, want ('storage', class, key, location, numel)", short(pid))
	}
	if tag, _ := t.Get(0).(string); tag != "storage" {
		return nil, fmt.Errorf("persistent id kind %s, want 'storage'", short(t.Get(0)))
	}
	sc, ok := t.Get(1).(*storageClass)
	if !ok {
		return nil, fmt.Errorf("storage type %s not supported (want one of the torch.*Storage classes for float64/32/16, bfloat16, int64/32/16/8, uint8, bool)", describe(t.Get(1)))
	}
	key, ok := t.Get(2).(string)
	if !ok {
		return nil, fmt.Errorf("storage key %s is not a string", short(t.Get(2)))
	}
	numel, err := toInt(t.Get(4))
	if err != nil || numel < 0 {
		return nil, fmt.Errorf("storage %q: numel %s is not a non-negative integer", key, short(t.Get(4)))
	}
	if s, ok := r.storages[key]; ok {
		if s.dtype != sc.dtype {
			return nil, fmt.Errorf("storage %q is used as %s and as %s", key, s.dtype, sc.dtype)
		}
		return s, nil
	}
	if int64(numel) > maxElements {
		return nil, fmt.Errorf("storage %q: numel %d is implausibly large", key, numel)
	}
	s := &storage{key: key, dtype: sc.dtype, numel: numel}
	if s.load, err = r.openStorage(key, s.bytes()); err != nil {
		return nil, err
	}
	r.storages[key] = s
	return s, nil
}

func describe(v any) string {
	switch x := v.(type) {
	case *Class:
		return x.Module + "." + x.Name
	case *DType:
		return "torch." + x.Name
	}
	return short(v)
}

// StateDict is a loaded state dict: tensors by key, plus the keys whose
// values were not tensors (such as nested dicts), which are skipped.
type StateDict struct {
	Tensors map[string]*Tensor
	Skipped []string
}

// Names returns the tensor keys in sorted order.
func (s *StateDict) Names() []string {
	names := make([]string, 0, len(s.Tensors))
	for n := range s.Tensors {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ReadStateDict reads a torch.save'd state dict (zip or legacy format)
// within the default Limits.
func ReadStateDict(path string) (*StateDict, error) {
	return ReadStateDictLimits(path, Limits{})
}

// ReadStateDictLimits reads a torch.save'd state dict, materialising no
// more than lim allows. A zip file is read from disk entry by entry; a
// legacy file is read whole.
func ReadStateDictLimits(path string, lim Limits) (*StateDict, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read state dict: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read state dict: %w", err)
	}
	var head [4]byte
	n, _ := io.ReadFull(f, head[:])
	var sd *StateDict
	if n == 4 && string(head[:]) == zipMagic {
		sd, err = parseStateDict(f, st.Size(), nil, lim)
	} else {
		if max := lim.maxBytes() + maxLegacyOverhead; st.Size() > max {
			return nil, fmt.Errorf("read state dict %s: %d bytes is more than the limit of %d for a legacy (non-zip) torch file (Limits.MaxBytes)", path, st.Size(), max)
		}
		var b []byte
		if b, err = os.ReadFile(path); err != nil {
			return nil, fmt.Errorf("read state dict: %w", err)
		}
		sd, err = parseStateDict(nil, 0, b, lim)
	}
	if err != nil {
		return nil, fmt.Errorf("read state dict %s: %w", path, err)
	}
	return sd, nil
}

// ParseStateDict decodes a torch.save'd state dict held in memory, within
// the default Limits.
func ParseStateDict(b []byte) (*StateDict, error) {
	return ParseStateDictLimits(b, Limits{})
}

// ParseStateDictLimits decodes a torch.save'd state dict held in memory,
// materialising no more than lim allows.
func ParseStateDictLimits(b []byte, lim Limits) (*StateDict, error) {
	if len(b) >= 4 && string(b[:4]) == zipMagic {
		return parseStateDict(bytes.NewReader(b), int64(len(b)), nil, lim)
	}
	return parseStateDict(nil, 0, b, lim)
}

const zipMagic = "PK\x03\x04"

// maxLegacyOverhead is what a legacy file may hold beyond its tensor bytes
// (pickles, headers) before ReadStateDictLimits refuses to read it whole.
const maxLegacyOverhead = 256 << 20

// parseStateDict decodes a zip archive (za, size) or legacy bytes.
func parseStateDict(za io.ReaderAt, size int64, legacy []byte, lim Limits) (*StateDict, error) {
	var v any
	var err error
	if za != nil {
		v, err = parseZip(za, size, lim)
	} else {
		v, err = parseLegacy(legacy)
	}
	if err != nil {
		return nil, err
	}
	return toStateDict(v, lim)
}

func toStateDict(v any, lim Limits) (*StateDict, error) {
	sd := &StateDict{Tensors: map[string]*Tensor{}}
	b := &budget{max: lim.maxBytes()}
	add := func(k, val any) error {
		key, ok := k.(string)
		if !ok {
			return fmt.Errorf("state dict key %s is not a string", short(k))
		}
		if t, ok := val.(*Tensor); ok {
			if err := t.materialize(key, lim, b); err != nil {
				return fmt.Errorf("state dict key %q: %w", key, err)
			}
			sd.Tensors[key] = t
		} else {
			sd.Skipped = append(sd.Skipped, key)
		}
		return nil
	}
	switch d := v.(type) {
	case *types.OrderedDict:
		for el := d.List.Front(); el != nil; el = el.Next() {
			e := el.Value.(*types.OrderedDictEntry)
			if err := add(e.Key, e.Value); err != nil {
				return nil, err
			}
		}
	case *types.Dict:
		for _, e := range *d {
			if err := add(e.Key, e.Value); err != nil {
				return nil, err
			}
		}
	default:
		return nil, fmt.Errorf("pickle holds %s, want a state dict (dict of tensors)", describeType(v))
	}
	sort.Strings(sd.Skipped)
	return sd, nil
}

func describeType(v any) string {
	switch x := v.(type) {
	case *Object:
		return "an object of class " + x.Class.Module + "." + x.Class.Name
	case *Tensor:
		return "a single tensor of shape " + fmt.Sprint(x.Shape)
	case *types.List, *types.Tuple:
		return "a list"
	case *types.Dict, *types.OrderedDict:
		return "a dict"
	case string:
		return "a string"
	case int, *big.Int:
		return "an integer"
	case nil:
		return "None"
	}
	return fmt.Sprintf("%T", v)
}

// maxPickleEntry bounds the zip entry data.pkl (and other non-storage
// entries): a state dict's pickle holds ~100 bytes per tensor.
const maxPickleEntry = 256 << 20

func parseZip(za io.ReaderAt, size int64, lim Limits) (any, error) {
	zr, err := zip.NewReader(za, size)
	if err != nil {
		return nil, fmt.Errorf("zip: %w (truncated or corrupt file?)", err)
	}
	var pkl *zip.File
	prefix := ""
	files := map[string]*zip.File{}
	for _, f := range zr.File {
		files[f.Name] = f
		if pkl == nil && (strings.HasSuffix(f.Name, "/data.pkl") || f.Name == "data.pkl") && strings.Count(f.Name, "/") <= 1 {
			pkl = f
			prefix = strings.TrimSuffix(f.Name, "data.pkl")
		}
	}
	if pkl == nil {
		return nil, fmt.Errorf("zip has no <archive>/data.pkl entry: not a torch.save file")
	}
	if bo, ok := files[prefix+"byteorder"]; ok {
		v, err := readEntry(bo, 64)
		if err != nil {
			return nil, err
		}
		if s := strings.TrimSpace(string(v)); s != "little" {
			return nil, fmt.Errorf("byteorder %q not supported (want little)", s)
		}
	}
	pb, err := readEntry(pkl, min(maxPickleEntry, lim.maxBytes()))
	if err != nil {
		return nil, err
	}
	r := &reader{storages: map[string]*storage{}}
	r.openStorage = func(key string, need int64) (func() ([]byte, error), error) {
		f, ok := files[prefix+"data/"+key]
		if !ok {
			return nil, fmt.Errorf("storage %q: zip has no entry %sdata/%s", key, prefix, key)
		}
		if f.UncompressedSize64 < uint64(need) {
			return nil, fmt.Errorf("storage %q: zip entry %s holds %d bytes, the pickle declares %d", key, f.Name, f.UncompressedSize64, need)
		}
		return func() ([]byte, error) { return readStorage(f, need) }, nil
	}
	v, _, err := r.unpickle(pb, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", pkl.Name, err)
	}
	return v, nil
}

// readEntry reads a whole zip entry of at most max bytes. The zip reader
// refuses data that inflates past the entry's declared size.
func readEntry(f *zip.File, max int64) ([]byte, error) {
	if f.UncompressedSize64 > uint64(max) {
		return nil, fmt.Errorf("zip entry %s: %d bytes is more than the %d allowed", f.Name, f.UncompressedSize64, max)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("zip entry %s: %w", f.Name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, max))
	if err != nil {
		return nil, fmt.Errorf("zip entry %s: %w (truncated or corrupt file?)", f.Name, err)
	}
	return b, nil
}

// readStorage reads the first need bytes of a storage entry: what the pickle
// declares, however far the entry would inflate.
func readStorage(f *zip.File, need int64) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("zip entry %s: %w", f.Name, err)
	}
	defer rc.Close()
	b := make([]byte, need)
	if _, err := io.ReadFull(rc, b); err != nil {
		return nil, fmt.Errorf("zip entry %s: %w (truncated or corrupt file?)", f.Name, err)
	}
	return b, nil
}

// Legacy (pre-1.6, _use_new_zipfile_serialization=False) layout: pickles of
// the magic number, the protocol version and sys_info, the object pickle,
// a pickled list of storage keys, then per key an int64 element count and
// the raw bytes.
var legacyMagic = new(big.Int).SetBytes([]byte{0x19, 0x50, 0xa8, 0x6a, 0x20, 0xf9, 0x46, 0x9c, 0xfc, 0x6c})

func parseLegacy(b []byte) (any, error) {
	pos := 0
	plainPickle := func(what string) (any, error) {
		v, end, err := (&reader{}).unpickle(b, pos)
		if err != nil {
			return nil, fmt.Errorf("legacy torch file: %s: %w", what, err)
		}
		pos = end
		return v, nil
	}
	magic, err := plainPickle("magic number")
	if err != nil {
		return nil, fmt.Errorf("not a torch file (neither a zip archive nor a legacy pickle): %w", err)
	}
	if bi, ok := magic.(*big.Int); !ok || bi.Cmp(legacyMagic) != 0 {
		return nil, fmt.Errorf("not a torch file: it holds a plain pickle of %s (a pickled config such as ll_model_cfg.pkl?), not a torch.save zip archive or legacy file", describeType(magic))
	}
	if _, err := plainPickle("protocol version"); err != nil {
		return nil, err
	}
	if _, err := plainPickle("sys_info"); err != nil {
		return nil, err
	}
	// Storages are only known after their blobs are read: record them now,
	// fill their data below, and gather tensors in toStateDict.
	r := &reader{storages: map[string]*storage{}}
	r.openStorage = func(string, int64) (func() ([]byte, error), error) { return nil, nil }
	v, end, err := r.unpickle(b, pos)
	if err != nil {
		return nil, fmt.Errorf("legacy torch file: object pickle: %w", err)
	}
	pos = end
	keysV, err := plainPickle("storage keys")
	if err != nil {
		return nil, err
	}
	keys, ok := keysV.(*types.List)
	if !ok {
		return nil, fmt.Errorf("legacy torch file: storage keys are %s, want a list", describeType(keysV))
	}
	rd := bytes.NewReader(b[pos:])
	for _, k := range *keys {
		key, ok := k.(string)
		if !ok {
			return nil, fmt.Errorf("legacy torch file: storage key %s is not a string", short(k))
		}
		st := r.storages[key]
		if st == nil {
			return nil, fmt.Errorf("legacy torch file: storage %q is listed but not used by the pickle", key)
		}
		var n int64
		if err := binary.Read(rd, binary.LittleEndian, &n); err != nil {
			return nil, fmt.Errorf("legacy torch file: storage %q: element count: %w (truncated?)", key, err)
		}
		es := int64(st.dtype.Size())
		if n < 0 || n*es > int64(rd.Len()) || n > int64(rd.Len()) {
			return nil, fmt.Errorf("legacy torch file: storage %q: %d elements of %s, only %d bytes left (truncated?)", key, n, st.dtype, rd.Len())
		}
		if int(n) < st.numel {
			return nil, fmt.Errorf("legacy torch file: storage %q has %d elements, the pickle says %d", key, n, st.numel)
		}
		at := len(b) - rd.Len()
		st.data = b[at : at+int(n*es)]
		rd.Seek(n*es, io.SeekCurrent)
	}
	for key, st := range r.storages {
		if st.data == nil && st.numel > 0 {
			return nil, fmt.Errorf("legacy torch file: storage %q has no data", key)
		}
	}
	return v, nil
}
