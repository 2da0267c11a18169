package bench

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/glassbox-interp/glassbox/siit"
)

// AddTrained records on the leaderboard the SIIT models of a sweep in dir
// — the ones it trained (dir/models/case_N, ModelsDir), or those its
// spec.json says it ran on (--siit-models) —: each one's LL shape, recipe,
// epochs and best-epoch validation accuracy, IIA and strict accuracy, so
// the siit rows can be read against how well each model implements its
// circuit. A sweep without SIIT models adds nothing.
func (lb *Leaderboard) AddTrained(dir string) error {
	md := filepath.Join(dir, ModelsDir)
	var swept map[string]bool // the spec's cases; nil: keep every model
	if b, err := os.ReadFile(filepath.Join(dir, SpecFile)); err == nil {
		info, err := decodeSpec(b, filepath.Join(dir, SpecFile))
		if err != nil {
			return fmt.Errorf("trained models: %w", err)
		}
		if info.Runner.SIIT.Models != "" {
			md = info.Runner.SIIT.Models
			swept = map[string]bool{}
			for _, id := range info.Spec.Cases {
				swept[strconv.Itoa(id)] = true
			}
		}
	}
	if _, err := os.Stat(md); errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("trained models: %w", err)
	}
	rows, _, err := siit.FolderRows([]string{md})
	if err != nil {
		if errors.Is(err, siit.ErrNoModelFolders) {
			return nil // the folder exists but nothing finished training
		}
		return fmt.Errorf("trained models: %w", err)
	}
	for _, r := range rows {
		if swept == nil || swept[r.Case] {
			lb.Trained = append(lb.Trained, r)
		}
	}
	return nil
}

// trainedMarkdown is the leaderboard section on the trained models.
func (lb Leaderboard) trainedMarkdown() string {
	if len(lb.Trained) == 0 {
		return ""
	}
	var b strings.Builder
	thr := 0.99
	good := 0
	for _, r := range lb.Trained {
		if r.Accuracy >= thr && r.IIA >= thr && r.Strict >= thr {
			good++
		}
	}
	fmt.Fprintf(&b, "\n## The SIIT models\n\n%d trained models; %d reach %.0f%% on validation accuracy, IIA and strict accuracy "+
		"(InterpBench's metrics, best epoch). A siit row measures SAEs on these models: where a model falls short, it does not "+
		"implement its circuit exactly, and its variables need not be there to find.\n\n", len(lb.Trained), good, 100*thr)
	b.WriteString(siit.Table(lb.Trained, thr))
	return b.String()
}
