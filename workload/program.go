package workload

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/glassbox-interp/glassbox/cases"
)

// Program names a user's .star program as a run's data source: the file
// and the options it was loaded with (cases.LoadOptions' vocabulary and
// lengths).
type Program struct {
	// Path is the .star file (absolute once a run records it).
	Path string `json:"path"`
	// Vocab (comma-separated, as --vocab takes it), MaxSeqLen and
	// MinSeqLen override the file's values when set.
	Vocab     string `json:"vocab,omitempty"`
	MaxSeqLen int    `json:"max_seq_len,omitempty"`
	MinSeqLen int    `json:"min_seq_len,omitempty"`
}

// ProgramCase loads the program like `glassbox compile FILE.star`, compiles
// it and evaluates it on its dataset (see WithDataset).
func ProgramCase(p Program) (*Case, error) {
	src, err := os.ReadFile(p.Path)
	if err != nil {
		return nil, fmt.Errorf("read program: %w", err)
	}
	opts := cases.LoadOptions{MaxSeqLen: p.MaxSeqLen, MinSeqLen: p.MinSeqLen, Vocab: cases.ParseVocab(p.Vocab)}
	c, err := cases.LoadFile(filepath.Base(p.Path), src, opts)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", p.Path, err)
	}
	return FromCase(c)
}
