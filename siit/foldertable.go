package siit

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/glassbox-interp/glassbox/model"
)

// maxMetaBytes bounds the meta.json a folder table reads (a real one is a
// few kilobytes).
const maxMetaBytes = 16 << 20

// ErrNoModelFolders is wrapped by FolderRows' error for a folder that is
// not a model folder and holds none.
var ErrNoModelFolders = errors.New("no model folders")

// ReadMeta reads dir/meta.json as glassbox writes it.
func ReadMeta(dir string) (*Meta, error) {
	path := filepath.Join(dir, MetaFile)
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Size() > maxMetaBytes {
		return nil, fmt.Errorf("read %s: %d bytes, want at most %d", path, fi.Size(), maxMetaBytes)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m Meta
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if m.Glassbox.Case == "" {
		return nil, fmt.Errorf("read %s: no glassbox.case: not a folder glassbox siit wrote", path)
	}
	return &m, nil
}

// FolderRow is the table row of a trained model folder, from its meta.json
// (recipe, epochs, stop reason, best-epoch validation metrics, training
// seconds) and its config.json (the LL shape). Unlike a Sweep row, Seconds
// is the training time only (no compilation or final evaluation).
func FolderRow(dir string) (SweepRow, error) {
	m, err := ReadMeta(dir)
	if err != nil {
		return SweepRow{}, err
	}
	cfg, err := model.LoadConfig(filepath.Join(dir, model.ConfigFile))
	if err != nil {
		return SweepRow{}, fmt.Errorf("model folder %s: %w", dir, err)
	}
	g := m.Glassbox
	return SweepRow{
		Case:      g.Case,
		LL:        configShape(cfg),
		Recipe:    g.Recipe.Name,
		Epochs:    g.Epochs,
		BestEpoch: g.BestEpoch,
		Stopped:   g.Stopped,
		Accuracy:  g.Val.Accuracy,
		IIA:       g.Val.IIA,
		Strict:    g.Val.Strict,
		Seconds:   g.Seconds,
	}, nil
}

// FolderRows collects the rows of every model folder under the given
// paths: a path is a model folder itself (it has meta.json) or a folder
// of them (its subfolders with a meta.json, e.g. a sweep's case_N or a
// benchmark's models/case_N). Rows are sorted by case (numbers first, in
// numeric order); a subfolder without meta.json (a training still running)
// is skipped and named in the second result.
func FolderRows(paths []string) ([]SweepRow, []string, error) {
	var rows []SweepRow
	var skipped []string
	for _, p := range paths {
		if _, err := os.Stat(filepath.Join(p, MetaFile)); err == nil {
			r, err := FolderRow(p)
			if err != nil {
				return nil, nil, err
			}
			rows = append(rows, r)
			continue
		}
		ents, err := os.ReadDir(p)
		if err != nil {
			return nil, nil, fmt.Errorf("model folders: %w", err)
		}
		found, running := 0, 0
		for _, e := range ents {
			if !e.IsDir() {
				continue
			}
			sub := filepath.Join(p, e.Name())
			if _, err := os.Stat(filepath.Join(sub, MetaFile)); err != nil {
				if _, cerr := os.Stat(filepath.Join(sub, RunFile)); cerr == nil {
					skipped = append(skipped, sub)
					running++
				}
				continue
			}
			r, err := FolderRow(sub)
			if err != nil {
				return nil, nil, err
			}
			rows = append(rows, r)
			found++
		}
		if found == 0 && running == 0 {
			return nil, nil, fmt.Errorf("model folders: %s has no %s and no subfolder with one: %w", p, MetaFile, ErrNoModelFolders)
		}
	}
	sort.SliceStable(rows, func(i, j int) bool { return caseLess(rows[i].Case, rows[j].Case) })
	return rows, skipped, nil
}

// caseLess orders case names numerically when both are numbers, numbers
// before names, names alphabetically.
func caseLess(a, b string) bool {
	x, errA := strconv.Atoi(a)
	y, errB := strconv.Atoi(b)
	switch {
	case errA == nil && errB == nil:
		return x < y
	case errA == nil:
		return true
	case errB == nil:
		return false
	}
	return strings.Compare(a, b) < 0
}
