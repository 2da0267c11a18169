package npy

import (
	"encoding/binary"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unsafe"

	"github.com/glassbox-interp/glassbox/tensor"
)

var (
	npyDescr   = regexp.MustCompile(`'descr'\s*:\s*'([^']*)'`)
	npyFortran = regexp.MustCompile(`'fortran_order'\s*:\s*(True|False)`)
	npyShape   = regexp.MustCompile(`'shape'\s*:\s*\(([^)]*)\)`)
)

// Parse decodes a NumPy .npy file (format 1.0–3.0) holding a C-ordered
// little-endian float32 or float64 array. source names it in errors.
// Float32 data on a little-endian machine, 4-byte aligned in b (NumPy pads
// headers to 64 bytes), is returned in place: the tensor's Data shares b's
// memory, so a large file is not held twice while it loads (b must not be
// changed afterwards). Otherwise the values are copied.
func Parse(b []byte, source string) (*tensor.Tensor, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("npy %s: %s", source, fmt.Sprintf(format, args...))
	}
	if len(b) < 10 || string(b[:6]) != "\x93NUMPY" {
		return nil, fail("not a .npy file (bad magic)")
	}
	major := b[6]
	var hlen, off int
	switch major {
	case 1:
		hlen, off = int(binary.LittleEndian.Uint16(b[8:10])), 10
	case 2, 3:
		if len(b) < 12 {
			return nil, fail("truncated header")
		}
		h := binary.LittleEndian.Uint32(b[8:12])
		if h > 1<<24 {
			return nil, fail("header length %d too large", h)
		}
		hlen, off = int(h), 12
	default:
		return nil, fail("unsupported format version %d", major)
	}
	if off+hlen > len(b) {
		return nil, fail("header of %d bytes runs past the end of the file", hlen)
	}
	header := string(b[off : off+hlen])
	data := b[off+hlen:]
	m := npyDescr.FindStringSubmatch(header)
	if m == nil {
		return nil, fail("header has no 'descr'")
	}
	var size int
	switch m[1] {
	case "<f4":
		size = 4
	case "<f8":
		size = 8
	default:
		return nil, fail("dtype %q, expected little-endian float32 ('<f4') or float64 ('<f8')", m[1])
	}
	if f := npyFortran.FindStringSubmatch(header); f == nil || f[1] != "False" {
		return nil, fail("only C-ordered arrays are supported (fortran_order must be False)")
	}
	sm := npyShape.FindStringSubmatch(header)
	if sm == nil {
		return nil, fail("header has no 'shape'")
	}
	var shape []int
	n := 1
	for _, part := range strings.Split(sm[1], ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		v, err := strconv.Atoi(part)
		if err != nil || v < 0 {
			return nil, fail("bad shape entry %q", part)
		}
		if v > 0 && int64(n) > (1<<31)/int64(v) {
			return nil, fail("shape %s is too large", sm[1])
		}
		n *= v
		shape = append(shape, v)
	}
	if len(data) != n*size {
		return nil, fail("data has %d bytes, shape (%s) of %d-byte values needs %d", len(data), sm[1], size, n*size)
	}
	if size == 4 && n > 0 && nativeLittleEndian && uintptr(unsafe.Pointer(&data[0]))%4 == 0 {
		return &tensor.Tensor{Shape: shape, Data: unsafe.Slice((*float32)(unsafe.Pointer(&data[0])), n)}, nil
	}
	out := make([]float32, n)
	for i := range out {
		if size == 4 {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
		} else {
			out[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(data[8*i:])))
		}
	}
	return &tensor.Tensor{Shape: shape, Data: out}, nil
}

// nativeLittleEndian reports whether float32 values in memory have the
// .npy '<f4' byte order, so that aligned data can be used without a copy.
var nativeLittleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1
