package torchfile

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/glassbox-interp/glassbox/formats/atomicfile"
)

// Tuple is a Python tuple for MarshalPickle.
type Tuple []any

// Dict is a Python dict for MarshalPickle whose entries keep their insertion
// order: Keys[i] maps to Values[i]. Keys must be hashable in Python (None,
// bool, int, float, string, Tuple of hashables, Global). The zero Dict is
// empty and ready to use.
type Dict struct {
	Keys   []any
	Values []any
}

// Set adds key → value, replacing the value of an equal key already present
// (its position is kept).
func (d *Dict) Set(key, value any) {
	for i, k := range d.Keys {
		if reflect.DeepEqual(k, key) {
			d.Values[i] = value
			return
		}
	}
	d.Keys = append(d.Keys, key)
	d.Values = append(d.Values, value)
}

// Get returns the value of key and whether it is present.
func (d *Dict) Get(key any) (any, bool) {
	for i, k := range d.Keys {
		if reflect.DeepEqual(k, key) {
			return d.Values[i], true
		}
	}
	return nil, false
}

// Len is the number of entries.
func (d *Dict) Len() int { return len(d.Keys) }

// Global is a reference to a module-level Python object, written as a pickle
// GLOBAL: Global{"torch", "float32"} unpickles as torch.float32.
type Global struct{ Module, Name string }

// Reduce is a call written as a pickle REDUCE: Func(*Args) when unpickled,
// e.g. Reduce{Global{"torch", "device"}, Tuple{"cpu"}}.
type Reduce struct {
	Func Global
	Args Tuple
}

// persistentID is a BINPERSID reference (torch storages in data.pkl).
type persistentID Tuple

// maxMarshalDepth bounds nesting so that a Go value containing itself (a
// slice holding its own header) is an error, not a stack overflow.
const maxMarshalDepth = 500

// MarshalPickle encodes v as a protocol-2 pickle that Python's pickle.load
// reads. The bytes are deterministic: no memo is used, Go maps are written
// with their keys sorted. Supported: nil, bool, every Go integer kind and
// *big.Int, float32/float64, string (valid UTF-8), []byte (as Python bytes),
// Tuple, *Dict or Dict, map[string]T (sorted keys), other slices and arrays
// (as lists), Global and Reduce. Anything else is an error that names where
// in v it sits.
func MarshalPickle(v any) ([]byte, error) {
	var e pickleEncoder
	e.buf.Write([]byte{0x80, 2}) // PROTO 2
	if err := e.encode(v, "value", 0); err != nil {
		return nil, fmt.Errorf("pickle: %w", err)
	}
	e.buf.WriteByte('.') // STOP
	return e.buf.Bytes(), nil
}

// WritePickle writes MarshalPickle(v) to path atomically.
func WritePickle(path string, v any) error {
	b, err := MarshalPickle(v)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return atomicfile.WriteFile(path, b, 0o644)
}

type pickleEncoder struct {
	buf bytes.Buffer
}

func (e *pickleEncoder) encode(v any, at string, depth int) error {
	if depth > maxMarshalDepth {
		return fmt.Errorf("%s: nested deeper than %d levels (does the value contain itself?)", at, maxMarshalDepth)
	}
	switch x := v.(type) {
	case nil:
		e.buf.WriteByte('N')
	case bool:
		if x {
			e.buf.WriteByte(0x88) // NEWTRUE
		} else {
			e.buf.WriteByte(0x89) // NEWFALSE
		}
	case int:
		e.int(int64(x))
	case int8:
		e.int(int64(x))
	case int16:
		e.int(int64(x))
	case int32:
		e.int(int64(x))
	case int64:
		e.int(x)
	case uint:
		e.bigInt(new(big.Int).SetUint64(uint64(x)))
	case uint8:
		e.int(int64(x))
	case uint16:
		e.int(int64(x))
	case uint32:
		e.int(int64(x))
	case uint64:
		e.bigInt(new(big.Int).SetUint64(x))
	case *big.Int:
		if x == nil {
			return fmt.Errorf("%s: nil *big.Int", at)
		}
		e.bigInt(x)
	case float32:
		e.float(float64(x))
	case float64:
		e.float(x)
	case string:
		if !utf8.ValidString(x) {
			return fmt.Errorf("%s: string %q is not valid UTF-8", at, x)
		}
		e.unicode(x)
	case []byte:
		e.bytes(x)
	case Global:
		return e.global(x, at)
	case *Global:
		if x == nil {
			return fmt.Errorf("%s: nil *Global", at)
		}
		return e.global(*x, at)
	case Reduce:
		return e.reduce(x, at, depth)
	case *Reduce:
		if x == nil {
			return fmt.Errorf("%s: nil *Reduce", at)
		}
		return e.reduce(*x, at, depth)
	case Tuple:
		return e.tuple(x, at, depth)
	case persistentID:
		if err := e.tuple(Tuple(x), at, depth); err != nil {
			return err
		}
		e.buf.WriteByte('Q') // BINPERSID
	case orderedDict:
		if err := e.reduce(Reduce{Func: Global{"collections", "OrderedDict"}}, at, depth); err != nil {
			return err
		}
		return e.items(x.d, at, depth)
	case *Dict:
		if x == nil {
			return fmt.Errorf("%s: nil *Dict", at)
		}
		return e.dict(x, at, depth)
	case Dict:
		return e.dict(&x, at, depth)
	case []any:
		return e.list(len(x), func(i int) any { return x[i] }, at, depth)
	default:
		return e.reflected(v, at, depth)
	}
	return nil
}

// reflected handles slices, arrays and string-keyed maps of any element type.
func (e *pickleEncoder) reflected(v any, at string, depth int) error {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			return e.list(0, nil, at, depth)
		}
		return e.list(rv.Len(), func(i int) any { return rv.Index(i).Interface() }, at, depth)
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return fmt.Errorf("%s: map with %s keys is not supported (use *Dict)", at, rv.Type().Key())
		}
		keys := make([]string, 0, rv.Len())
		for _, k := range rv.MapKeys() {
			keys = append(keys, k.String())
		}
		sort.Strings(keys)
		d := &Dict{Keys: make([]any, len(keys)), Values: make([]any, len(keys))}
		for i, k := range keys {
			d.Keys[i] = k
			d.Values[i] = rv.MapIndex(reflect.ValueOf(k).Convert(rv.Type().Key())).Interface()
		}
		return e.dict(d, at, depth)
	case reflect.Pointer:
		if rv.IsNil() {
			return fmt.Errorf("%s: nil %T", at, v)
		}
	}
	return fmt.Errorf("%s: %T cannot be pickled (want nil, bool, int, float, string, []byte, a slice, Tuple, *Dict, map[string]…, Global or Reduce)", at, v)
}

func (e *pickleEncoder) int(x int64) {
	switch {
	case x >= 0 && x < 1<<8:
		e.buf.WriteByte('K') // BININT1
		e.buf.WriteByte(byte(x))
	case x >= 0 && x < 1<<16:
		e.buf.WriteByte('M') // BININT2
		e.buf.Write(binary.LittleEndian.AppendUint16(nil, uint16(x)))
	case x >= math.MinInt32 && x <= math.MaxInt32:
		e.buf.WriteByte('J') // BININT
		e.buf.Write(binary.LittleEndian.AppendUint32(nil, uint32(int32(x))))
	default:
		e.bigInt(big.NewInt(x))
	}
}

// bigInt writes LONG1/LONG4: little-endian two's complement, as short as
// the sign allows.
func (e *pickleEncoder) bigInt(x *big.Int) {
	if x.IsInt64() && x.Int64() >= math.MinInt32 && x.Int64() <= math.MaxInt32 {
		e.int(x.Int64())
		return
	}
	n := x.BitLen()/8 + 1 // room for the sign bit
	b := make([]byte, n)
	mag := new(big.Int).Set(x)
	if x.Sign() < 0 {
		mag.Add(mag, new(big.Int).Lsh(big.NewInt(1), uint(8*n))) // 2^(8n) + x
	}
	be := mag.FillBytes(make([]byte, n))
	for i := range b {
		b[i] = be[n-1-i]
	}
	if n < 256 {
		e.buf.WriteByte(0x8a) // LONG1
		e.buf.WriteByte(byte(n))
	} else {
		e.buf.WriteByte(0x8b) // LONG4
		e.buf.Write(binary.LittleEndian.AppendUint32(nil, uint32(n)))
	}
	e.buf.Write(b)
}

func (e *pickleEncoder) float(x float64) {
	e.buf.WriteByte('G') // BINFLOAT, big-endian
	e.buf.Write(binary.BigEndian.AppendUint64(nil, math.Float64bits(x)))
}

func (e *pickleEncoder) unicode(s string) {
	e.buf.WriteByte('X') // BINUNICODE
	e.buf.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(s))))
	e.buf.WriteString(s)
}

// bytes writes a Python bytes object the way protocol 2 does in Python 3:
// _codecs.encode(latin-1 text, "latin1").
func (e *pickleEncoder) bytes(b []byte) {
	var sb strings.Builder
	for _, c := range b {
		sb.WriteRune(rune(c))
	}
	e.buf.WriteString("c_codecs\nencode\n")
	e.unicode(sb.String())
	e.unicode("latin1")
	e.buf.WriteByte(0x86) // TUPLE2
	e.buf.WriteByte('R')  // REDUCE
}

func (e *pickleEncoder) global(g Global, at string) error {
	for _, s := range []string{g.Module, g.Name} {
		if s == "" || strings.ContainsAny(s, "\n\r") || !utf8.ValidString(s) {
			return fmt.Errorf("%s: global %q.%q: module and name must be non-empty single-line text", at, g.Module, g.Name)
		}
	}
	e.buf.WriteByte('c') // GLOBAL
	e.buf.WriteString(g.Module + "\n" + g.Name + "\n")
	return nil
}

func (e *pickleEncoder) reduce(r Reduce, at string, depth int) error {
	if err := e.global(r.Func, at); err != nil {
		return err
	}
	if err := e.tuple(r.Args, at+" args", depth+1); err != nil {
		return err
	}
	e.buf.WriteByte('R') // REDUCE
	return nil
}

func (e *pickleEncoder) tuple(t Tuple, at string, depth int) error {
	if len(t) == 0 {
		e.buf.WriteByte(')') // EMPTY_TUPLE
		return nil
	}
	if len(t) > 3 {
		e.buf.WriteByte('(') // MARK
	}
	for i, x := range t {
		if err := e.encode(x, fmt.Sprintf("%s[%d]", at, i), depth+1); err != nil {
			return err
		}
	}
	switch len(t) {
	case 1:
		e.buf.WriteByte(0x85) // TUPLE1
	case 2:
		e.buf.WriteByte(0x86) // TUPLE2
	case 3:
		e.buf.WriteByte(0x87) // TUPLE3
	default:
		e.buf.WriteByte('t') // TUPLE
	}
	return nil
}

func (e *pickleEncoder) list(n int, item func(int) any, at string, depth int) error {
	e.buf.WriteByte(']') // EMPTY_LIST
	if n == 0 {
		return nil
	}
	e.buf.WriteByte('(') // MARK
	for i := 0; i < n; i++ {
		if err := e.encode(item(i), fmt.Sprintf("%s[%d]", at, i), depth+1); err != nil {
			return err
		}
	}
	e.buf.WriteByte('e') // APPENDS
	return nil
}

func (e *pickleEncoder) dict(d *Dict, at string, depth int) error {
	if len(d.Keys) != len(d.Values) {
		return fmt.Errorf("%s: dict has %d keys and %d values", at, len(d.Keys), len(d.Values))
	}
	e.buf.WriteByte('}') // EMPTY_DICT
	return e.items(d, at, depth)
}

// items writes d's entries into the dict on top of the stack (SETITEMS).
func (e *pickleEncoder) items(d *Dict, at string, depth int) error {
	if len(d.Keys) != len(d.Values) {
		return fmt.Errorf("%s: dict has %d keys and %d values", at, len(d.Keys), len(d.Values))
	}
	if len(d.Keys) == 0 {
		return nil
	}
	seen := make(map[any]bool, len(d.Keys))
	e.buf.WriteByte('(') // MARK
	for i, k := range d.Keys {
		if err := hashable(k, 0); err != nil {
			return fmt.Errorf("%s: key %d: %w", at, i, err)
		}
		if reflect.TypeOf(k) == nil || reflect.TypeOf(k).Comparable() {
			if seen[k] {
				return fmt.Errorf("%s: key %v appears twice", at, k)
			}
			seen[k] = true
		}
		if err := e.encode(k, fmt.Sprintf("%s key %d", at, i), depth+1); err != nil {
			return err
		}
		if err := e.encode(d.Values[i], fmt.Sprintf("%s[%s]", at, keyLabel(k)), depth+1); err != nil {
			return err
		}
	}
	e.buf.WriteByte('u') // SETITEMS
	return nil
}

func keyLabel(k any) string {
	if s, ok := k.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprint(k)
}

// hashable reports an error for dict keys Python could not hash.
func hashable(k any, depth int) error {
	if depth > maxMarshalDepth {
		return fmt.Errorf("key nested deeper than %d levels", maxMarshalDepth)
	}
	switch x := k.(type) {
	case nil, bool, string, float32, float64, Global, *big.Int,
		int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return nil
	case Tuple:
		for _, e := range x {
			if err := hashable(e, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("%T cannot be a dict key (Python could not hash it)", k)
}
