package activations

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/glassbox-interp/glassbox/formats/atomicfile"
	"github.com/glassbox-interp/glassbox/formats/npy"
	"github.com/glassbox-interp/glassbox/formats/safetensors"
	"github.com/glassbox-interp/glassbox/tensor"
)

// ManifestFile is the cache directory's index.
const ManifestFile = "manifest.json"

// Manifest describes an on-disk activation cache.
type Manifest struct {
	Format        string  `json:"format"`
	HookName      string  `json:"hook_name"`
	HookHeadIndex *int    `json:"hook_head_index"`
	DIn           int     `json:"d_in"`
	Rows          int     `json:"n_rows"`
	ContextSize   int     `json:"context_size"`
	Shards        []Shard `json:"shards"`
}

// Shard is one safetensors file of the cache: tensors "activations"
// [rows, d_in] and, when known, "row" and "pos" (int64 [rows]).
type Shard struct {
	File   string `json:"file"`
	Rows   int    `json:"rows"`
	SHA256 string `json:"sha256"`
}

const cacheFormat = "glassbox activation cache v1"

// WriteCache writes s to dir as shards of at most shardRows vectors plus
// manifest.json (written last, so a cache without a manifest is incomplete).
func WriteCache(dir string, s *Set, shardRows int) error {
	if shardRows < 1 {
		return fmt.Errorf("write cache: shard size must be >= 1")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write cache: %w", err)
	}
	n := s.N()
	man := Manifest{Format: cacheFormat, HookName: s.HookName, HookHeadIndex: s.HookHeadIndex, DIn: s.DIn, Rows: n, ContextSize: s.ContextSize}
	for lo, k := 0, 0; lo < n; lo, k = lo+shardRows, k+1 {
		hi := min(lo+shardRows, n)
		f := &safetensors.File{Tensors: map[string]*safetensors.Raw{
			"activations": safetensors.FromTensor(&tensor.Tensor{Shape: []int{hi - lo, s.DIn}, Data: s.Data[lo*s.DIn : hi*s.DIn]}, safetensors.F32),
		}}
		if s.Row != nil && s.Pos != nil {
			rows := make([]int64, hi-lo)
			pos := make([]int64, hi-lo)
			for i := lo; i < hi; i++ {
				rows[i-lo], pos[i-lo] = int64(s.Row[i]), int64(s.Pos[i])
			}
			var err error
			if f.Tensors["row"], err = safetensors.FromInt64s(rows, safetensors.I64, hi-lo); err != nil {
				return err
			}
			if f.Tensors["pos"], err = safetensors.FromInt64s(pos, safetensors.I64, hi-lo); err != nil {
				return err
			}
		}
		b, err := safetensors.Encode(f)
		if err != nil {
			return fmt.Errorf("write cache: %w", err)
		}
		name := fmt.Sprintf("shard_%05d.safetensors", k)
		if err := atomicfile.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		man.Shards = append(man.Shards, Shard{File: name, Rows: hi - lo, SHA256: hex.EncodeToString(sum[:])})
	}
	b, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, ManifestFile), append(b, '\n'), 0o644)
}

// LoadCache reads a cache written by WriteCache, checking every shard
// against the manifest (name, row count, checksum, shape).
func LoadCache(dir string) (*Set, error) {
	mpath := filepath.Join(dir, ManifestFile)
	b, err := os.ReadFile(mpath)
	if err != nil {
		return nil, fmt.Errorf("load cache: %w", err)
	}
	var man Manifest
	if err := json.Unmarshal(b, &man); err != nil {
		return nil, fmt.Errorf("load cache %s: %w", mpath, err)
	}
	if man.Format != cacheFormat {
		return nil, fmt.Errorf("load cache %s: format %q, expected %q", mpath, man.Format, cacheFormat)
	}
	if man.DIn < 1 || man.Rows < 0 {
		return nil, fmt.Errorf("load cache %s: d_in %d, n_rows %d", mpath, man.DIn, man.Rows)
	}
	total := 0
	for _, sh := range man.Shards {
		if sh.Rows < 1 || total > man.Rows-sh.Rows {
			return nil, fmt.Errorf("load cache %s: shard rows do not add up to n_rows %d", mpath, man.Rows)
		}
		total += sh.Rows
	}
	if total != man.Rows {
		return nil, fmt.Errorf("load cache %s: shards hold %d rows, n_rows is %d", mpath, total, man.Rows)
	}
	s := &Set{DIn: man.DIn, HookName: man.HookName, HookHeadIndex: man.HookHeadIndex, ContextSize: man.ContextSize,
		Data: make([]float32, 0, man.Rows*man.DIn)}
	withIdx := true
	for _, sh := range man.Shards {
		if sh.File != filepath.Base(sh.File) || strings.HasPrefix(sh.File, ".") {
			return nil, fmt.Errorf("load cache %s: shard name %q must be a plain file name", mpath, sh.File)
		}
		p := filepath.Join(dir, sh.File)
		raw, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("load cache: %w", err)
		}
		sum := sha256.Sum256(raw)
		if hex.EncodeToString(sum[:]) != sh.SHA256 {
			return nil, fmt.Errorf("load cache %s: checksum mismatch (file changed or truncated)", p)
		}
		f, err := safetensors.Parse(raw, p)
		if err != nil {
			return nil, fmt.Errorf("load cache: %w", err)
		}
		t, err := f.Tensor("activations")
		if err != nil {
			return nil, fmt.Errorf("load cache: %w", err)
		}
		if len(t.Shape) != 2 || t.Shape[0] != sh.Rows || t.Shape[1] != man.DIn {
			return nil, fmt.Errorf("load cache %s: activations shape %v, expected [%d %d]", p, t.Shape, sh.Rows, man.DIn)
		}
		s.Data = append(s.Data, t.Data...)
		r, rok := f.Tensors["row"]
		q, qok := f.Tensors["pos"]
		if !rok || !qok {
			withIdx = false
			continue
		}
		rows, err1 := r.Int64s()
		pos, err2 := q.Int64s()
		if err1 != nil || err2 != nil || len(rows) != sh.Rows || len(pos) != sh.Rows {
			return nil, fmt.Errorf("load cache %s: row/pos tensors must be int64 [%d]", p, sh.Rows)
		}
		for i := range rows {
			s.Row = append(s.Row, int(rows[i]))
			s.Pos = append(s.Pos, int(pos[i]))
		}
	}
	if !withIdx {
		s.Row, s.Pos = nil, nil
	}
	return s, nil
}

// LoadFile reads plain activations: a manifest directory (LoadCache), a
// safetensors file with one float tensor (or one named "activations") of
// shape [N, d_in] or [B, T, d_in], or a .npy file of float32/float64 with
// that shape.
func LoadFile(path string) (*Set, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("load activations: %w", err)
	}
	if st.IsDir() {
		return LoadCache(path)
	}
	var t *tensor.Tensor
	if strings.HasSuffix(strings.ToLower(path), ".npy") {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("load activations: %w", err)
		}
		if t, err = npy.Parse(b, path); err != nil {
			return nil, err
		}
	} else {
		f, err := safetensors.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("load activations: %w", err)
		}
		name := "activations"
		if _, ok := f.Tensors[name]; !ok {
			names := f.Names()
			if len(names) != 1 {
				return nil, fmt.Errorf("load activations %s: expected one tensor or one named \"activations\", found %v", path, names)
			}
			name = names[0]
		}
		if t, err = f.Tensor(name); err != nil {
			return nil, fmt.Errorf("load activations: %w", err)
		}
	}
	s := &Set{Data: t.Data}
	switch len(t.Shape) {
	case 2:
		s.DIn = t.Shape[1]
	case 3:
		s.DIn, s.ContextSize = t.Shape[2], t.Shape[1]
		for b := 0; b < t.Shape[0]; b++ {
			for p := 0; p < t.Shape[1]; p++ {
				s.Row = append(s.Row, b)
				s.Pos = append(s.Pos, p)
			}
		}
	default:
		return nil, fmt.Errorf("load activations %s: shape %v, expected [N, d_in] or [B, T, d_in]", path, t.Shape)
	}
	if s.DIn < 1 || len(s.Data) == 0 {
		return nil, fmt.Errorf("load activations %s: no data (shape %v)", path, t.Shape)
	}
	return s, nil
}
