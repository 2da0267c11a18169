package workload

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"

	"github.com/glassbox-interp/glassbox/model"
	"github.com/glassbox-interp/glassbox/siit"
)

// Model kinds a run can record (ModelRef.Kind).
const (
	// KindCompiled is the case's tracr-compiled model.
	KindCompiled = "compiled"
	// KindSIIT is a model folder trained by `glassbox siit` (its meta.json
	// names the case).
	KindSIIT = "siit"
	// KindInterpBench is any other model folder: an InterpBench download
	// (ll_model.pth + ll_model_cfg.pkl) or a converted one.
	KindInterpBench = "interpbench"
)

// ModelRef identifies the model a run's activations came from, so that
// analysing the run later uses the same weights (source.json's "model_ref").
type ModelRef struct {
	// Path is the model folder (absolute when written by a run), "" for a
	// compiled model.
	Path string `json:"path,omitempty"`
	// Kind is KindCompiled, KindSIIT or KindInterpBench.
	Kind string `json:"kind"`
	// Hash is WeightsHash of the model's parameters.
	Hash string `json:"sha256"`
}

// FolderKind tells a glassbox-trained SIIT folder (meta.json naming its
// case) from any other model folder; "" is the compiled model.
func FolderKind(dir string) string {
	if dir == "" {
		return KindCompiled
	}
	if siit.FolderCase(dir) != "" {
		return KindSIIT
	}
	return KindInterpBench
}

// WeightsHash is the SHA-256 (hex) of a model's parameters: every tensor's
// name, shape and float32 values in name order. It does not depend on the
// file format the model was read from.
func WeightsHash(m *model.Model) string {
	params := m.Params()
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	sort.Strings(names)
	h := sha256.New()
	var buf [8]byte
	for _, k := range names {
		t := params[k]
		binary.LittleEndian.PutUint64(buf[:], uint64(len(k)))
		h.Write(buf[:])
		h.Write([]byte(k))
		binary.LittleEndian.PutUint64(buf[:], uint64(len(t.Shape)))
		h.Write(buf[:])
		for _, d := range t.Shape {
			binary.LittleEndian.PutUint64(buf[:], uint64(d))
			h.Write(buf[:])
		}
		b := make([]byte, 4*len(t.Data))
		for i, v := range t.Data {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
		}
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Ref describes the workload's model (path, kind, weights hash).
func (w *Workload) Ref() ModelRef {
	p := w.ModelDir
	if p != "" {
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
	}
	return ModelRef{Path: p, Kind: w.Kind, Hash: WeightsHash(w.Model)}
}

// Check returns an error naming both models when the workload's model is
// not the one ref recorded (another kind, or other weights).
func (ref ModelRef) Check(w *Workload) error {
	got := w.Ref()
	name := func(r ModelRef) string {
		if r.Path == "" {
			return r.Kind + " model"
		}
		return fmt.Sprintf("%s model %s", r.Kind, r.Path)
	}
	if ref.Kind != "" && got.Kind != ref.Kind {
		return fmt.Errorf("the run was made with the %s (sha256 %.12s), not the %s", name(ref), ref.Hash, name(got))
	}
	if ref.Hash != "" && got.Hash != ref.Hash {
		return fmt.Errorf("the run was made with the %s (sha256 %.12s), but %s has other weights (sha256 %.12s)", name(ref), ref.Hash, name(got), got.Hash)
	}
	return nil
}

// Resolve finds the model folder a run recorded: the recorded path, else
// (for a relative path) the same path next to the run directory. A folder
// that is gone is an error naming the run and the folder, never a silent
// fall back to the compiled model.
func (ref ModelRef) Resolve(runDir string) (string, error) {
	if ref.Path == "" {
		return "", nil
	}
	if _, err := os.Stat(ref.Path); err == nil {
		return ref.Path, nil
	}
	if !filepath.IsAbs(ref.Path) && runDir != "" {
		alt := filepath.Join(filepath.Dir(runDir), ref.Path)
		if _, err := os.Stat(alt); err == nil {
			return alt, nil
		}
	}
	return "", fmt.Errorf("run %s was made with the %s model %s (sha256 %.12s), which is missing", runDir, ref.Kind, ref.Path, ref.Hash)
}
