package bench

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/glassbox-interp/glassbox/cases"
)

// Program is a user's .star program swept beside the catalogue cases
// (Spec.Programs): its cells are keyed by the program's content hash, so
// the same source gives the same cell IDs wherever the file lives, and an
// edited file gives new ones.
type Program struct {
	// Path is the .star file (absolute when LoadProgram made it).
	Path string `json:"path"`
	// Hash is ProgramHash of the file's source.
	Hash string `json:"sha256"`
}

// ProgramHash is a program's content hash: the first 16 hex digits of
// the SHA-256 of its source, as long as a cell ID.
func ProgramHash(src []byte) string {
	sum := sha256.Sum256(src)
	return hex.EncodeToString(sum[:8])
}

// LoadProgram reads a .star program for a sweep and hashes it; the file
// must load as a program (cases.LoadFile with the file's own settings).
func LoadProgram(path string) (Program, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return Program{}, fmt.Errorf("program %s: %w", path, err)
	}
	_, hash, err := readProgram(abs)
	if err != nil {
		return Program{}, err
	}
	return Program{Path: abs, Hash: hash}, nil
}

// readProgram loads the program at path and returns it with its hash.
func readProgram(path string) (*cases.Case, string, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("read program: %w", err)
	}
	c, err := cases.LoadFile(filepath.Base(path), src, cases.LoadOptions{})
	if err != nil {
		return nil, "", fmt.Errorf("load %s: %w", path, err)
	}
	return c, ProgramHash(src), nil
}

// loadProgram loads p for a sweep: its file must still hold the source
// the spec hashed.
func loadProgram(p Program) (*cases.Case, error) {
	c, hash, err := readProgram(p.Path)
	if err != nil {
		return nil, err
	}
	if hash != p.Hash {
		return nil, fmt.Errorf("program %s changed since the sweep was planned (sha256 %s, planned %s)", p.Path, hash, p.Hash)
	}
	return c, nil
}

// Subject is what a cell's SAE is trained on: a catalogue case (Case) or
// a .star program (Program, its content hash; Case is then 0).
type Subject struct {
	Case    int
	Program string
}

// String names the subject in messages: "case 3" or "program <hash>".
func (s Subject) String() string {
	if s.Program != "" {
		return "program " + s.Program
	}
	return fmt.Sprintf("case %d", s.Case)
}

// key is the subject's part of a cell key: "case=3" or "program=<hash>".
func (s Subject) key() string {
	if s.Program != "" {
		return "program=" + s.Program
	}
	return "case=" + strconv.Itoa(s.Case)
}

// Subject returns what the cell's SAE is trained on.
func (c Cell) Subject() Subject { return Subject{Case: c.Case, Program: c.Program} }
