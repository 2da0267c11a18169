package workload

import (
	"fmt"

	"github.com/glassbox-interp/glassbox/features"
	"github.com/glassbox-interp/glassbox/model"
	"github.com/glassbox-interp/glassbox/siit"
)

// Workload is a case with the model that runs it on the case's dataset:
// the case's compiled model, or the model in a glassbox model folder (a
// converted InterpBench or trained model that implements the case's
// program). Training, analysis and sweeps open one with Open.
type Workload struct {
	Case *Case
	// Model runs the program; ModelDir is its folder ("" for the case's
	// compiled model).
	Model    *model.Model
	ModelDir string
	// Kind is KindCompiled, KindSIIT or KindInterpBench (FolderKind).
	Kind string
	// Corr is a model folder's HL → LL correspondence (its
	// correspondence.json, else siit.DefaultCorrespondence for the case);
	// nil for the compiled model, whose variables sit where the alignment
	// puts them.
	Corr *siit.Correspondence
	// Tokens are the dataset's rows as token ids ([rows][n_ctx]).
	Tokens [][]int
	// ATol is the numerical accuracy tolerance of Downstream (0:
	// features.DefaultATol, InterpBench's 0.05).
	ATol float64
}

// Open returns the workload of cd run by the model in modelDir
// (model.Open: a glassbox folder or InterpBench's ll_model.pth + pkl), or by
// the case's compiled model when modelDir is "". For a folder it also reads
// the LL correspondence (Correspondence).
func Open(cd *Case, modelDir string) (*Workload, error) {
	w := &Workload{Case: cd, ModelDir: modelDir, Kind: FolderKind(modelDir)}
	var err error
	if modelDir != "" {
		if w.Model, err = model.Open(modelDir); err != nil {
			return nil, err
		}
		if w.Corr, err = Correspondence(cd, modelDir, w.Model.Config()); err != nil {
			return nil, err
		}
	} else if w.Model, err = cd.Compiled.Model(); err != nil {
		return nil, fmt.Errorf("%s: model: %w", cd.Name, err)
	}
	if w.Tokens, err = cd.TokenIDs(); err != nil {
		return nil, err
	}
	return w, nil
}

// GroundTruth is the case's labelling input for the workload's model (its
// hook order). For a model folder the variables' hooks come from the
// correspondence (LLGroundTruth), for the compiled model from the alignment.
func (w *Workload) GroundTruth() (*features.GroundTruth, error) {
	if w.Corr != nil {
		return w.Case.LLGroundTruth(w.Model.Config(), w.Corr)
	}
	return w.Case.GroundTruth(w.Model.Config())
}
