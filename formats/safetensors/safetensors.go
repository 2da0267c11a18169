package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"sort"

	"github.com/glassbox-interp/glassbox/formats/atomicfile"
	"github.com/glassbox-interp/glassbox/tensor"
)

// DType is a safetensors element type name as it appears in the header.
type DType string

// The element types this package understands.
const (
	F64  DType = "F64"
	F32  DType = "F32"
	F16  DType = "F16"
	BF16 DType = "BF16"
	I64  DType = "I64"
	I32  DType = "I32"
	I16  DType = "I16"
	I8   DType = "I8"
	U8   DType = "U8"
	Bool DType = "BOOL"
)

// Size is the number of bytes of one element, or 0 for an unknown dtype.
func (d DType) Size() int {
	switch d {
	case F64, I64:
		return 8
	case F32, I32:
		return 4
	case F16, BF16, I16:
		return 2
	case I8, U8, Bool:
		return 1
	}
	return 0
}

// IsFloat reports whether d is one of the floating-point dtypes.
func (d DType) IsFloat() bool { return d == F64 || d == F32 || d == F16 || d == BF16 }

// MaxHeaderSize bounds the JSON header (the reference implementation uses the
// same 100 MB limit); a larger length field means a corrupt or hostile file.
const MaxHeaderSize = 100 << 20

// MetadataKey is the reserved header key holding the string metadata.
const MetadataKey = "__metadata__"

// Raw is one tensor as stored: dtype, shape and little-endian bytes.
type Raw struct {
	DType DType
	Shape []int
	Data  []byte
}

// File is the content of a safetensors file.
type File struct {
	// Metadata is the "__metadata__" map (nil when absent).
	Metadata map[string]string
	// Tensors maps names to stored tensors.
	Tensors map[string]*Raw
	// Source names the file in error messages ("" for in-memory data).
	Source string
}

// Names returns the tensor names in sorted order.
func (f *File) Names() []string {
	names := make([]string, 0, len(f.Tensors))
	for n := range f.Tensors {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

type headerEntry struct {
	DType       DType   `json:"dtype"`
	Shape       []int64 `json:"shape"`
	DataOffsets []int64 `json:"data_offsets"`
}

// ReadFile reads and validates the safetensors file at path.
func ReadFile(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	return Parse(b, path)
}

// Parse decodes and validates a safetensors file held in memory; source
// names it in errors. Tensor data aliases b.
func Parse(b []byte, source string) (*File, error) {
	name := source
	if name == "" {
		name = "<memory>"
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("safetensors %s: %s", name, fmt.Sprintf(format, args...))
	}
	if len(b) < 8 {
		return nil, fail("file is %d bytes, shorter than the 8-byte header length", len(b))
	}
	n := binary.LittleEndian.Uint64(b[:8])
	if n > MaxHeaderSize {
		return nil, fail("header length %d exceeds the %d-byte limit", n, MaxHeaderSize)
	}
	if n > uint64(len(b)-8) {
		return nil, fail("header length %d exceeds the %d bytes after the length field (truncated file?)", n, len(b)-8)
	}
	hdr := b[8 : 8+n]
	data := b[8+n:]
	if len(bytes.TrimSpace(hdr)) == 0 || bytes.TrimSpace(hdr)[0] != '{' {
		return nil, fail("header is not a JSON object")
	}
	var entries map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(hdr))
	dec.UseNumber()
	if err := dec.Decode(&entries); err != nil {
		return nil, fail("header JSON: %v", err)
	}
	if rest, _ := io.ReadAll(dec.Buffered()); len(bytes.TrimSpace(rest)) != 0 {
		return nil, fail("header has trailing data after the JSON object")
	}
	f := &File{Tensors: make(map[string]*Raw, len(entries)), Source: source}
	type span struct {
		name       string
		begin, end int64
	}
	spans := make([]span, 0, len(entries))
	for key, msg := range entries {
		if key == MetadataKey {
			var md map[string]string
			if err := json.Unmarshal(msg, &md); err != nil {
				return nil, fail("%s must be an object of string values: %v", MetadataKey, err)
			}
			f.Metadata = md
			continue
		}
		var e headerEntry
		d := json.NewDecoder(bytes.NewReader(msg))
		d.DisallowUnknownFields()
		if err := d.Decode(&e); err != nil {
			return nil, fail("tensor %q: header entry: %v", key, err)
		}
		size := e.DType.Size()
		if size == 0 {
			return nil, fail("tensor %q: unsupported dtype %q (want one of F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL)", key, e.DType)
		}
		if e.Shape == nil {
			return nil, fail("tensor %q: missing shape", key)
		}
		if len(e.DataOffsets) != 2 {
			return nil, fail("tensor %q: data_offsets must be [begin, end], have %d values", key, len(e.DataOffsets))
		}
		begin, end := e.DataOffsets[0], e.DataOffsets[1]
		if begin < 0 || end < begin || end > int64(len(data)) {
			return nil, fail("tensor %q: data_offsets [%d, %d] outside the %d-byte data section", key, begin, end, len(data))
		}
		shape := make([]int, len(e.Shape))
		numel := int64(1)
		for i, s := range e.Shape {
			if s < 0 {
				return nil, fail("tensor %q: negative dimension %d in shape %v", key, s, e.Shape)
			}
			shape[i] = int(s)
			if s != 0 && numel > int64(len(data))/s+1 {
				return nil, fail("tensor %q: shape %v is larger than the %d-byte data section", key, e.Shape, len(data))
			}
			numel *= s
		}
		if want := numel * int64(size); want != end-begin {
			return nil, fail("tensor %q: shape %v of %s needs %d bytes, data_offsets [%d, %d] give %d", key, e.Shape, e.DType, want, begin, end, end-begin)
		}
		f.Tensors[key] = &Raw{DType: e.DType, Shape: shape, Data: data[begin:end:end]}
		spans = append(spans, span{key, begin, end})
	}
	sort.Slice(spans, func(i, j int) bool {
		if spans[i].begin != spans[j].begin {
			return spans[i].begin < spans[j].begin
		}
		return spans[i].end < spans[j].end
	})
	var pos int64
	for i, s := range spans {
		if s.begin < pos {
			return nil, fail("tensor %q: data_offsets [%d, %d] overlap tensor %q", s.name, s.begin, s.end, spans[i-1].name)
		}
		if s.begin > pos {
			return nil, fail("tensor %q: data_offsets start at %d, leaving a hole after byte %d", s.name, s.begin, pos)
		}
		pos = s.end
	}
	if pos != int64(len(data)) {
		return nil, fail("data section is %d bytes but the tensors cover %d", len(data), pos)
	}
	return f, nil
}

// Encode serialises f: the header lists tensors with sorted keys, data is laid
// out in sorted name order, and the header is padded with spaces to a
// multiple of 8 bytes.
func Encode(f *File) ([]byte, error) {
	var buf bytes.Buffer
	if err := encode(&buf, f); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func encode(w io.Writer, f *File) error {
	names := f.Names()
	outs := make([]tensorOut, len(names))
	for i, n := range names {
		r := f.Tensors[n]
		if err := r.check(); err != nil {
			return fmt.Errorf("safetensors: tensor %q: %w", n, err)
		}
		outs[i] = tensorOut{dtype: r.DType, shape: r.Shape, size: int64(len(r.Data)),
			write: func(w io.Writer) error { _, err := w.Write(r.Data); return err }}
	}
	return encodeOuts(w, names, outs, f.Metadata)
}

// tensorOut is one tensor as encodeOuts writes it: its header entry and a
// function writing its size bytes.
type tensorOut struct {
	dtype DType
	shape []int
	size  int64
	write func(io.Writer) error
}

// encodeOuts writes the header of the tensors names (sorted) and then
// their data, in the same order.
func encodeOuts(w io.Writer, names []string, outs []tensorOut, metadata map[string]string) error {
	hdr := make(map[string]any, len(names)+1)
	var off int64
	for i, n := range names {
		if n == MetadataKey {
			return fmt.Errorf("safetensors: tensor name %q is reserved", n)
		}
		shape := outs[i].shape
		if shape == nil {
			shape = []int{}
		}
		hdr[n] = map[string]any{"dtype": outs[i].dtype, "shape": shape, "data_offsets": []int64{off, off + outs[i].size}}
		off += outs[i].size
	}
	if len(metadata) > 0 {
		hdr[MetadataKey] = metadata
	}
	js, err := json.Marshal(hdr)
	if err != nil {
		return fmt.Errorf("safetensors: header: %w", err)
	}
	for len(js)%8 != 0 {
		js = append(js, ' ')
	}
	var lenb [8]byte
	binary.LittleEndian.PutUint64(lenb[:], uint64(len(js)))
	if _, err := w.Write(lenb[:]); err != nil {
		return err
	}
	if _, err := w.Write(js); err != nil {
		return err
	}
	for i := range outs {
		if err := outs[i].write(w); err != nil {
			return err
		}
	}
	return nil
}

// writeF32 writes v as little-endian float32 bytes through a small buffer
// (no copy of the whole tensor).
func writeF32(w io.Writer, v []float32) error {
	var buf [1 << 14]byte
	for len(v) > 0 {
		n := min(len(v), len(buf)/4)
		for i, x := range v[:n] {
			binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(x))
		}
		if _, err := w.Write(buf[:4*n]); err != nil {
			return err
		}
		v = v[n:]
	}
	return nil
}

// WriteFile writes f to path atomically (temporary file + rename).
func WriteFile(path string, f *File) error {
	for _, n := range f.Names() {
		if err := f.Tensors[n].check(); err != nil {
			return fmt.Errorf("safetensors %s: tensor %q: %w", path, n, err)
		}
	}
	return atomicfile.Write(path, 0o644, func(w io.Writer) error { return encode(w, f) })
}

func (r *Raw) check() error {
	size := r.DType.Size()
	if size == 0 {
		return fmt.Errorf("unsupported dtype %q", r.DType)
	}
	for _, d := range r.Shape {
		if d < 0 {
			return fmt.Errorf("negative dimension in shape %v", r.Shape)
		}
	}
	if want := tensor.NumElements(r.Shape) * size; want != len(r.Data) {
		return fmt.Errorf("shape %v of %s needs %d bytes, have %d", r.Shape, r.DType, want, len(r.Data))
	}
	return nil
}

// Numel is the number of elements of r.
func (r *Raw) Numel() int { return tensor.NumElements(r.Shape) }

// Load reads path and converts every tensor to float32 (see Raw.Tensor).
func Load(path string) (map[string]*tensor.Tensor, map[string]string, error) {
	f, err := ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	out := make(map[string]*tensor.Tensor, len(f.Tensors))
	for _, n := range f.Names() {
		t, err := f.Tensors[n].Tensor()
		if err != nil {
			return nil, nil, fmt.Errorf("safetensors %s: tensor %q: %w", path, n, err)
		}
		out[n] = t
	}
	return out, f.Metadata, nil
}

// Tensor returns the tensor of the given name converted to float32, with an
// error naming the file when it is absent.
func (f *File) Tensor(name string) (*tensor.Tensor, error) {
	r, ok := f.Tensors[name]
	if !ok {
		return nil, fmt.Errorf("safetensors %s: no tensor %q", f.Source, name)
	}
	t, err := r.Tensor()
	if err != nil {
		return nil, fmt.Errorf("safetensors %s: tensor %q: %w", f.Source, name, err)
	}
	return t, nil
}

// Save writes float32 tensors (dtype F32) and metadata to path atomically.
func Save(path string, tensors map[string]*tensor.Tensor, metadata map[string]string) error {
	names := make([]string, 0, len(tensors))
	for n, t := range tensors {
		if t == nil {
			return fmt.Errorf("safetensors %s: tensor %q is nil", path, n)
		}
		if tensor.NumElements(t.Shape) != len(t.Data) {
			return fmt.Errorf("safetensors %s: tensor %q: shape %v needs %d elements, have %d", path, n, t.Shape, tensor.NumElements(t.Shape), len(t.Data))
		}
		for _, d := range t.Shape {
			if d < 0 {
				return fmt.Errorf("safetensors %s: tensor %q: negative dimension in shape %v", path, n, t.Shape)
			}
		}
		names = append(names, n)
	}
	sort.Strings(names)
	// The values are converted to bytes as they are written, so a large
	// tensor is never copied whole (FromTensor's bytes, the same file).
	outs := make([]tensorOut, len(names))
	for i, n := range names {
		t := tensors[n]
		outs[i] = tensorOut{dtype: F32, shape: t.Shape, size: int64(4 * len(t.Data)),
			write: func(w io.Writer) error { return writeF32(w, t.Data) }}
	}
	return atomicfile.Write(path, 0o644, func(w io.Writer) error { return encodeOuts(w, names, outs, metadata) })
}

// Tensor converts r to float32. Float dtypes convert exactly (F64 rounds to
// nearest); integer and BOOL values convert to the nearest float32.
func (r *Raw) Tensor() (*tensor.Tensor, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	n := r.Numel()
	out := make([]float32, n)
	b := r.Data
	switch r.DType {
	case F32:
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
	case F64:
		for i := range out {
			out[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:])))
		}
	case F16:
		for i := range out {
			out[i] = HalfToFloat32(binary.LittleEndian.Uint16(b[2*i:]))
		}
	case BF16:
		for i := range out {
			out[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(b[2*i:])) << 16)
		}
	default: // integers and BOOL
		ints, err := r.Int64s()
		if err != nil {
			return nil, err
		}
		for i, v := range ints {
			out[i] = float32(v)
		}
	}
	return &tensor.Tensor{Shape: append([]int{}, r.Shape...), Data: out}, nil
}

// Float64s returns the values of a float or integer tensor as float64
// (exact for F64, F32, F16, BF16 and integers up to 2^53).
func (r *Raw) Float64s() ([]float64, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	if r.DType == F64 {
		out := make([]float64, r.Numel())
		for i := range out {
			out[i] = math.Float64frombits(binary.LittleEndian.Uint64(r.Data[8*i:]))
		}
		return out, nil
	}
	if !r.DType.IsFloat() {
		ints, err := r.Int64s()
		if err != nil {
			return nil, err
		}
		out := make([]float64, len(ints))
		for i, v := range ints {
			out[i] = float64(v)
		}
		return out, nil
	}
	t, err := r.Tensor()
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(t.Data))
	for i, v := range t.Data {
		out[i] = float64(v)
	}
	return out, nil
}

// Int64s returns the values of an integer or BOOL tensor as int64.
func (r *Raw) Int64s() ([]int64, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	out := make([]int64, r.Numel())
	b := r.Data
	switch r.DType {
	case I64:
		for i := range out {
			out[i] = int64(binary.LittleEndian.Uint64(b[8*i:]))
		}
	case I32:
		for i := range out {
			out[i] = int64(int32(binary.LittleEndian.Uint32(b[4*i:])))
		}
	case I16:
		for i := range out {
			out[i] = int64(int16(binary.LittleEndian.Uint16(b[2*i:])))
		}
	case I8:
		for i := range out {
			out[i] = int64(int8(b[i]))
		}
	case U8:
		for i := range out {
			out[i] = int64(b[i])
		}
	case Bool:
		for i := range out {
			if b[i] != 0 {
				out[i] = 1
			}
		}
	default:
		return nil, fmt.Errorf("dtype %s is not an integer type", r.DType)
	}
	return out, nil
}

// Bools returns the values of a BOOL tensor.
func (r *Raw) Bools() ([]bool, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	if r.DType != Bool {
		return nil, fmt.Errorf("dtype %s is not BOOL", r.DType)
	}
	out := make([]bool, len(r.Data))
	for i, v := range r.Data {
		out[i] = v != 0
	}
	return out, nil
}

// FromTensor encodes t with the given float dtype (F32, F64, F16 or BF16;
// narrowing rounds to nearest even).
func FromTensor(t *tensor.Tensor, dt DType) *Raw {
	r := &Raw{DType: dt, Shape: append([]int{}, t.Shape...), Data: make([]byte, len(t.Data)*dt.Size())}
	b := r.Data
	switch dt {
	case F32:
		for i, v := range t.Data {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
		}
	case F64:
		for i, v := range t.Data {
			binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(float64(v)))
		}
	case F16:
		for i, v := range t.Data {
			binary.LittleEndian.PutUint16(b[2*i:], Float32ToHalf(v))
		}
	case BF16:
		for i, v := range t.Data {
			binary.LittleEndian.PutUint16(b[2*i:], Float32ToBFloat16(v))
		}
	default:
		panic(fmt.Sprintf("safetensors.FromTensor: dtype %q is not a float dtype", dt))
	}
	return r
}

// FromFloat64s encodes float64 values with dtype F64.
func FromFloat64s(v []float64, shape ...int) (*Raw, error) {
	if tensor.NumElements(shape) != len(v) {
		return nil, fmt.Errorf("safetensors: shape %v needs %d elements, have %d", shape, tensor.NumElements(shape), len(v))
	}
	r := &Raw{DType: F64, Shape: append([]int{}, shape...), Data: make([]byte, 8*len(v))}
	for i, x := range v {
		binary.LittleEndian.PutUint64(r.Data[8*i:], math.Float64bits(x))
	}
	return r, nil
}

// FromInt64s encodes integer values with dtype I64 or I32 (I32 fails on
// values out of range).
func FromInt64s(v []int64, dt DType, shape ...int) (*Raw, error) {
	if tensor.NumElements(shape) != len(v) {
		return nil, fmt.Errorf("safetensors: shape %v needs %d elements, have %d", shape, tensor.NumElements(shape), len(v))
	}
	r := &Raw{DType: dt, Shape: append([]int{}, shape...), Data: make([]byte, dt.Size()*len(v))}
	switch dt {
	case I64:
		for i, x := range v {
			binary.LittleEndian.PutUint64(r.Data[8*i:], uint64(x))
		}
	case I32:
		for i, x := range v {
			if x < math.MinInt32 || x > math.MaxInt32 {
				return nil, fmt.Errorf("safetensors: value %d at %d does not fit I32", x, i)
			}
			binary.LittleEndian.PutUint32(r.Data[4*i:], uint32(int32(x)))
		}
	default:
		return nil, fmt.Errorf("safetensors: FromInt64s wants I64 or I32, got %q", dt)
	}
	return r, nil
}

// FromBools encodes booleans with dtype BOOL.
func FromBools(v []bool, shape ...int) (*Raw, error) {
	if tensor.NumElements(shape) != len(v) {
		return nil, fmt.Errorf("safetensors: shape %v needs %d elements, have %d", shape, tensor.NumElements(shape), len(v))
	}
	r := &Raw{DType: Bool, Shape: append([]int{}, shape...), Data: make([]byte, len(v))}
	for i, x := range v {
		if x {
			r.Data[i] = 1
		}
	}
	return r, nil
}
