package siit

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/glassbox-interp/glassbox/cases"
	"github.com/glassbox-interp/glassbox/model"
	"github.com/glassbox-interp/glassbox/model/grad"
)

// Evaluation is `siit eval`'s report on a model folder.
type Evaluation struct {
	Dir            string          `json:"dir"`
	Case           string          `json:"case"`
	Correspondence []Entry         `json:"correspondence"`
	NonCircuit     []string        `json:"non_circuit"`
	Val            Metrics         `json:"val"`
	AllPairs       *Metrics        `json:"all_pairs,omitempty"`
	Job            *Job            `json:"-"`
	Config         json.RawMessage `json:"ll_config"`
}

// FolderCase reads the case a glassbox-trained folder was made for (its
// meta.json), "" when the folder does not say.
func FolderCase(dir string) string {
	m, err := ReadMeta(dir)
	if err != nil {
		return ""
	}
	return m.Glassbox.Case
}

// EvaluateFolder scores a model folder (glassbox's config.json +
// model.safetensors, or InterpBench's ll_model.pth + ll_model_cfg.pkl) on
// case c: accuracy, IIA per HL node, strict accuracy per non-circuit node
// and every LL node's resample-ablation effect, over the validation pairs of
// the case's default data (seed 1 for the pairs, as training uses) and,
// when the distinct validation rows give at most allPairsLimit pairs, over
// all of them. The correspondence is the folder's correspondence.json, else
// InterpBench's default for the case.
func EvaluateFolder(dir string, c *cases.Case, s Setup, seed int64, allPairsLimit int) (*Evaluation, error) {
	m, err := model.Open(dir)
	if err != nil {
		return nil, err
	}
	cfg := m.Config()
	s.LL = &cfg
	if s.Correspondence == "" {
		p := filepath.Join(dir, CorrespondenceFile)
		if _, err := os.Stat(p); err == nil {
			s.Correspondence = p
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	j, err := Prepare(c, s)
	if err != nil {
		return nil, err
	}
	net, err := grad.FromParams(cfg, m.Params())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	d := j.Data
	y, err := j.HL.Outputs(d.Tokens, d.Rows(), d.T)
	if err != nil {
		return nil, err
	}
	ev := &Evaluation{Dir: dir, Case: c.Name(), Correspondence: j.Corr.Entries, Job: j}
	for _, n := range j.Corr.NonCircuit {
		ev.NonCircuit = append(ev.NonCircuit, n.String())
	}
	if ev.Config, err = json.Marshal(cfg); err != nil {
		return nil, err
	}
	if ev.Val, err = newEvaluator(j, Pairs(d.Val, seed+1), y).run(net, true); err != nil {
		return nil, err
	}
	if allPairsLimit == 0 {
		allPairsLimit = 100000
	}
	if all := AllPairs(d, d.Val, allPairsLimit); all != nil {
		m, err := newEvaluator(j, all, y).run(net, true)
		if err != nil {
			return nil, err
		}
		ev.AllPairs = &m
	}
	return ev, nil
}
