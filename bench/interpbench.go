package bench

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/glassbox-interp/glassbox/model"
	"github.com/glassbox-interp/glassbox/siit"
)

// ErrNoModel is wrapped by the errors of cases that have no model of a
// kind (no folder in the directory of downloads): they get no cells.
var ErrNoModel = errors.New("no model folder")

// ModelFolder returns case id's folder in dir, a directory of downloaded
// models with one folder per case: dir/case_N or dir/N. Neither is an
// error wrapping ErrNoModel; both is an error (which one is meant?).
func ModelFolder(dir string, id int) (string, error) {
	var found []string
	for _, name := range []string{fmt.Sprintf("case_%d", id), fmt.Sprint(id)} {
		p := filepath.Join(dir, name)
		st, err := os.Stat(p)
		switch {
		case err == nil && st.IsDir():
			found = append(found, p)
		case err != nil && !errors.Is(err, os.ErrNotExist):
			return "", fmt.Errorf("case %d model folder: %w", id, err)
		}
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("%w for case %d in %s (expected %s or %s)", ErrNoModel, id, dir, fmt.Sprintf("case_%d/", id), fmt.Sprintf("%d/", id))
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("case %d has two model folders in %s (%s and %s): keep one", id, dir, filepath.Base(found[0]), filepath.Base(found[1]))
}

// folderRunner returns the runner of cells on model folders made
// beforehand — the interpbench cells (downloads, --model-dir) or siit
// cells on models trained by an earlier run (--siit-models): each case
// runs on its folder in dir (ModelFolder), whose config (read once per
// case, with model.Open as workload.Open reads it) gives the hooks and the
// width. A glassbox SIIT folder made for another case is an error. With
// no dir every case has no model (ErrNoModel); flag names the option that
// gives dir, for messages.
func folderRunner(opts RunnerOptions, dir, flag string) *Runner {
	r := NewRunner(opts)
	r.modelDir = func(s Subject) (string, error) {
		if dir == "" {
			return "", fmt.Errorf("%w: these cells need a directory of model folders (%s)", ErrNoModel, flag)
		}
		if s.Program != "" {
			return "", fmt.Errorf("%w: the model folders in %s are for catalogue cases only", ErrNoModel, dir)
		}
		id := s.Case
		folder, err := ModelFolder(dir, id)
		if err != nil {
			return "", err
		}
		if fc := siit.FolderCase(folder); fc != "" && fc != strconv.Itoa(id) {
			return "", fmt.Errorf("case %d: model folder %s was trained for case %s", id, folder, fc)
		}
		return folder, nil
	}
	type cfgOrErr struct {
		once sync.Once
		cfg  model.Config
		err  error
	}
	var mu sync.Mutex
	cfgs := map[Subject]*cfgOrErr{}
	r.modelConfig = func(s Subject) (model.Config, error) {
		mu.Lock()
		c, ok := cfgs[s]
		if !ok {
			c = &cfgOrErr{}
			cfgs[s] = c
		}
		mu.Unlock()
		c.once.Do(func() {
			folder, err := r.modelDir(s)
			if err != nil {
				c.err = err
				return
			}
			m, err := model.Open(folder)
			if err != nil {
				c.err = fmt.Errorf("%s: model folder %s: %w", s.String(), folder, err)
				return
			}
			c.cfg = m.Config()
		})
		return c.cfg, c.err
	}
	return r
}
