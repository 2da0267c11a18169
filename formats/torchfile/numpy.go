package torchfile

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/glassbox-interp/glassbox/formats/safetensors"

	"github.com/nlpodyssey/gopickle/types"
)

// Pickles of Python configs often hold numpy scalars (TransformerLens sets
// attn_scale = np.sqrt(d_head), a numpy.float64). They pickle as
// numpy.core.multiarray.scalar(numpy.dtype(...), raw bytes), with the bytes
// wrapped in _codecs.encode(str, "latin1") in protocols below 3. These types
// decode them to plain Go numbers.

// numpyDType is a numpy.dtype("f8") object; BUILD sets its byte order.
type numpyDType struct {
	code   string // "f8", "i4", "b1", …
	endian string // "<", ">", "|", "="
}

type numpyDTypeClass struct{}

// Call builds a numpy.dtype from its code ("f8").
func (numpyDTypeClass) Call(args ...any) (any, error) {
	if len(args) < 1 {
		return nil, fmt.Errorf("numpy.dtype: no arguments")
	}
	code, ok := args[0].(string)
	if !ok {
		return nil, fmt.Errorf("numpy.dtype: argument %s is not a string", short(args[0]))
	}
	return &numpyDType{code: code, endian: "<"}, nil
}

// PySetState reads the byte order from numpy's dtype state tuple.
func (d *numpyDType) PySetState(state any) error {
	if t, ok := state.(*types.Tuple); ok && t.Len() > 1 {
		if e, ok := t.Get(1).(string); ok {
			d.endian = e
		}
	}
	return nil
}

type numpyScalarClass struct{}

// Call decodes numpy.core.multiarray.scalar(dtype, data).
func (numpyScalarClass) Call(args ...any) (any, error) {
	if len(args) < 2 {
		return nil, fmt.Errorf("numpy scalar: %d arguments, want dtype and data", len(args))
	}
	dt, ok := args[0].(*numpyDType)
	if !ok {
		return nil, fmt.Errorf("numpy scalar: dtype is %T", args[0])
	}
	var b []byte
	switch x := args[1].(type) {
	case []byte:
		b = x
	case string:
		b = []byte(x)
	default:
		return nil, fmt.Errorf("numpy scalar: data is %T, want bytes", args[1])
	}
	var order binary.ByteOrder = binary.LittleEndian
	if dt.endian == ">" {
		order = binary.BigEndian
	}
	need := map[string]int{"f8": 8, "f4": 4, "f2": 2, "i8": 8, "i4": 4, "i2": 2, "i1": 1, "u8": 8, "u4": 4, "u2": 2, "u1": 1, "b1": 1}[dt.code]
	if need == 0 {
		return nil, fmt.Errorf("numpy scalar of dtype %q not supported", dt.code)
	}
	if len(b) != need {
		return nil, fmt.Errorf("numpy scalar %s: %d data bytes, want %d", dt.code, len(b), need)
	}
	switch dt.code {
	case "f8":
		return math.Float64frombits(order.Uint64(b)), nil
	case "f4":
		return float64(math.Float32frombits(order.Uint32(b))), nil
	case "f2":
		h := order.Uint16(b)
		return float64(safetensors.HalfToFloat32(h)), nil
	case "i8":
		return int(int64(order.Uint64(b))), nil
	case "i4":
		return int(int32(order.Uint32(b))), nil
	case "i2":
		return int(int16(order.Uint16(b))), nil
	case "i1":
		return int(int8(b[0])), nil
	case "u8":
		return int(order.Uint64(b)), nil
	case "u4":
		return int(order.Uint32(b)), nil
	case "u2":
		return int(order.Uint16(b)), nil
	case "u1":
		return int(b[0]), nil
	}
	return b[0] != 0, nil // b1
}

// codecsEncode is _codecs.encode(str, "latin1"): protocol-2 pickles wrap
// bytes objects this way.
type codecsEncode struct{}

// Call encodes a string to bytes (latin-1 or UTF-8).
func (codecsEncode) Call(args ...any) (any, error) {
	if len(args) < 1 {
		return nil, fmt.Errorf("_codecs.encode: no arguments")
	}
	s, ok := args[0].(string)
	if !ok {
		return nil, fmt.Errorf("_codecs.encode: argument is %T, want a string", args[0])
	}
	enc := "utf-8"
	if len(args) > 1 {
		if e, ok := args[1].(string); ok {
			enc = e
		}
	}
	switch enc {
	case "latin1", "latin-1", "iso-8859-1":
		out := make([]byte, 0, len(s))
		for _, r := range s {
			if r > 0xff {
				return nil, fmt.Errorf("_codecs.encode: %q is not latin-1", r)
			}
			out = append(out, byte(r))
		}
		return out, nil
	case "utf-8", "utf8":
		return []byte(s), nil
	}
	return nil, fmt.Errorf("_codecs.encode: encoding %q not supported", enc)
}
