package torchfile

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/glassbox-interp/glassbox/formats/atomicfile"
)

// NamedTensor is one state-dict entry for MarshalStateDict: a float32
// tensor (DType "float32", values in F32) or a bool tensor (DType "bool",
// values in Bool, such as TransformerLens' blocks.L.attn.mask buffer), in
// row-major order. An empty Shape is a 0-d tensor with one value (such as
// blocks.L.attn.IGNORE).
type NamedTensor struct {
	Name  string
	Shape []int
	DType string // "float32" or "bool"
	F32   []float32
	Bool  []bool
}

// zipAlign is the alignment torch gives every entry's data in the archive.
const zipAlign = 64

// torchFormatVersion is the "version" record torch 1.13 writes.
const torchFormatVersion = "3\n"

// MarshalStateDict encodes ts as torch.save(state_dict) does (torch 1.13's
// zip format): "<archiveName>/data.pkl" holds a collections.OrderedDict of
// name → tensor in the order of ts, each tensor rebuilt by
// torch._utils._rebuild_tensor_v2 from its own storage
// "<archiveName>/data/<i>"; entries are stored uncompressed with their data
// 64-byte aligned, and "<archiveName>/version" ends the archive. The bytes
// are deterministic.
func MarshalStateDict(archiveName string, ts []NamedTensor) ([]byte, error) {
	var buf bytes.Buffer
	if err := writeStateDict(&buf, archiveName, ts); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteStateDict writes MarshalStateDict to path atomically. The archive
// folder is named after the file, as torch does: "ll_model.pth" → "ll_model".
func WriteStateDict(path string, ts []NamedTensor) error {
	name := ArchiveName(path)
	if err := checkTensors(ts); err != nil { // before creating a temporary file
		return fmt.Errorf("write %s: %w", path, err)
	}
	return atomicfile.Write(path, 0o644, func(w io.Writer) error {
		return writeStateDict(w, name, ts)
	})
}

// ArchiveName is the archive folder torch.save uses for a file: its base
// name without the extension ("archive" if that is empty).
func ArchiveName(path string) string {
	base := filepath.Base(path)
	if i := strings.LastIndexByte(base, '.'); i >= 0 {
		base = base[:i]
	}
	if base == "" || base == "." || base == string(filepath.Separator) {
		return "archive"
	}
	return base
}

// numel checks a shape and returns its element count.
func numel(shape []int) (int, error) {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension in shape %v", shape)
		}
		if d > 0 && n > math.MaxInt32/d {
			return 0, fmt.Errorf("shape %v has too many elements", shape)
		}
		n *= d
	}
	return n, nil
}

func checkTensors(ts []NamedTensor) error {
	seen := make(map[string]bool, len(ts))
	for i, t := range ts {
		if t.Name == "" {
			return fmt.Errorf("state dict entry %d has no name", i)
		}
		if seen[t.Name] {
			return fmt.Errorf("state dict entry %q appears twice", t.Name)
		}
		seen[t.Name] = true
		n, err := numel(t.Shape)
		if err != nil {
			return fmt.Errorf("tensor %q: %w", t.Name, err)
		}
		switch t.DType {
		case "float32":
			if len(t.F32) != n || t.Bool != nil {
				return fmt.Errorf("tensor %q: float32 of shape %v needs %d values in F32 (and no Bool), has %d", t.Name, t.Shape, n, len(t.F32))
			}
		case "bool":
			if len(t.Bool) != n || t.F32 != nil {
				return fmt.Errorf("tensor %q: bool of shape %v needs %d values in Bool (and no F32), has %d", t.Name, t.Shape, n, len(t.Bool))
			}
		default:
			return fmt.Errorf("tensor %q: dtype %q not supported (want float32 or bool)", t.Name, t.DType)
		}
	}
	return nil
}

// contiguousStrides are torch's strides of a row-major tensor (a dimension
// of size 0 counts as 1, as in torch).
func contiguousStrides(shape []int) Tuple {
	st := make(Tuple, len(shape))
	s := 1
	for i := len(shape) - 1; i >= 0; i-- {
		st[i] = s
		s *= max(shape[i], 1)
	}
	return st
}

// orderedDict is a collections.OrderedDict built empty and filled by
// SETITEMS, as torch writes state dicts.
type orderedDict struct{ d *Dict }

// stateDictPickle builds data.pkl for ts: storage i holds tensor i.
func stateDictPickle(ts []NamedTensor) ([]byte, error) {
	rebuild := Global{"torch._utils", "_rebuild_tensor_v2"}
	d := &Dict{}
	for i, t := range ts {
		n, _ := numel(t.Shape)
		storage := Global{"torch", "FloatStorage"}
		if t.DType == "bool" {
			storage = Global{"torch", "BoolStorage"}
		}
		shape := make(Tuple, len(t.Shape))
		for j, s := range t.Shape {
			shape[j] = s
		}
		pid := persistentID{"storage", storage, strconv.Itoa(i), "cpu", n}
		d.Keys = append(d.Keys, t.Name)
		d.Values = append(d.Values, Reduce{rebuild, Tuple{pid, 0, shape, contiguousStrides(t.Shape), false, orderedDict{&Dict{}}}})
	}
	var e pickleEncoder
	e.buf.Write([]byte{0x80, 2})
	if err := e.encode(orderedDict{d}, "state dict", 0); err != nil {
		return nil, err
	}
	e.buf.WriteByte('.')
	return e.buf.Bytes(), nil
}

func tensorBytes(t NamedTensor) []byte {
	if t.DType == "bool" {
		b := make([]byte, len(t.Bool))
		for i, v := range t.Bool {
			if v {
				b[i] = 1
			}
		}
		return b
	}
	b := make([]byte, 4*len(t.F32))
	for i, v := range t.F32 {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return b
}

func writeStateDict(w io.Writer, archiveName string, ts []NamedTensor) error {
	if archiveName == "" || strings.ContainsAny(archiveName, "/\\") {
		return fmt.Errorf("state dict: archive name %q must be non-empty without slashes", archiveName)
	}
	if err := checkTensors(ts); err != nil {
		return fmt.Errorf("state dict: %w", err)
	}
	pkl, err := stateDictPickle(ts)
	if err != nil {
		return fmt.Errorf("state dict: %w", err)
	}
	zw := zip.NewWriter(w)
	var off int64 // offset of the next local header
	add := func(name string, data []byte) error {
		name = archiveName + "/" + name
		if len(data) >= math.MaxUint32 {
			return fmt.Errorf("state dict: entry %s: %d bytes is more than this writer supports", name, len(data))
		}
		// The data follows a 30-byte local header, the name and the extra
		// field; torch pads that field ("FB" + length + 'Z's) so the data
		// starts at a multiple of 64.
		start := off + 30 + int64(len(name)) + 4
		pad := int((zipAlign - start%zipAlign) % zipAlign)
		extra := make([]byte, 4+pad)
		extra[0], extra[1] = 'F', 'B'
		binary.LittleEndian.PutUint16(extra[2:], uint16(pad))
		for i := 4; i < len(extra); i++ {
			extra[i] = 'Z'
		}
		fw, err := zw.CreateRaw(&zip.FileHeader{
			Name:               name,
			Method:             zip.Store,
			CRC32:              crc32.ChecksumIEEE(data),
			CompressedSize64:   uint64(len(data)),
			UncompressedSize64: uint64(len(data)),
			Extra:              extra,
		})
		if err != nil {
			return fmt.Errorf("state dict: entry %s: %w", name, err)
		}
		if _, err := fw.Write(data); err != nil {
			return fmt.Errorf("state dict: entry %s: %w", name, err)
		}
		off = start + int64(pad) + int64(len(data))
		return nil
	}
	if err := add("data.pkl", pkl); err != nil {
		return err
	}
	for i, t := range ts {
		if err := add("data/"+strconv.Itoa(i), tensorBytes(t)); err != nil {
			return err
		}
	}
	if err := add("version", []byte(torchFormatVersion)); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("state dict: %w", err)
	}
	return nil
}
