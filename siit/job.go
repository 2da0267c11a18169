package siit

import (
	"fmt"

	"github.com/glassbox-interp/glassbox/cases"
	"github.com/glassbox-interp/glassbox/model"
	"github.com/glassbox-interp/glassbox/tracr"
)

// MLPExactness is the compiler's mlp_exactness for HL models (tracr's and
// circuits-benchmark's default).
const MLPExactness = 100

// Job is a case prepared for SIIT: its compiled HL model, the LL config,
// the correspondence and the dataset.
type Job struct {
	Case    *cases.Case
	Comp    *tracr.Compiled
	HL      *HL
	LL      model.Config
	InitStd float64
	Corr    *Correspondence
	Recipe  Recipe
	Data    *Data
	// Shape is the shape setup the LL was derived with (meta.json records
	// same_size from it).
	Shape Shape
}

// Setup chooses what a job is made of; the zero value is InterpBench's
// default for the case.
type Setup struct {
	// Recipe is "gen1", "gen2" or "" (the case's default, see RecipeFor);
	// Adjust, when set, changes the chosen recipe (flags).
	Recipe string
	Adjust func(*Recipe)
	Shape  Shape
	// Correspondence is a correspondence file (optional): its entries
	// replace the defaults of the HL nodes they name.
	Correspondence string
	// LL, when set, is the LL config to use instead of the shape rules (a
	// model folder being evaluated).
	LL *model.Config
}

// Prepare compiles the case, derives the LL shape, the correspondence and
// the data.
func Prepare(c *cases.Case, s Setup) (*Job, error) {
	comp, err := tracr.CompileCase(c, MLPExactness)
	if err != nil {
		return nil, err
	}
	hl, err := NewHL(comp)
	if err != nil {
		return nil, fmt.Errorf("case %s: %w", c.Name(), err)
	}
	ll, std, err := LLConfig(comp.Config, c.ID, s.Shape)
	if err != nil {
		return nil, fmt.Errorf("case %s: %w", c.Name(), err)
	}
	if s.LL != nil {
		ll = s.LL.WithDefaults()
		if ll.NCtx < c.MaxSeqLen || ll.DVocab != comp.Config.DVocab || ll.DVocabOut != comp.Config.DVocabOut {
			return nil, fmt.Errorf("case %s: the LL model (n_ctx %d, d_vocab %d, d_vocab_out %d) does not fit the compiled program (n_ctx %d, d_vocab %d, d_vocab_out %d)",
				c.Name(), ll.NCtx, ll.DVocab, ll.DVocabOut, c.MaxSeqLen, comp.Config.DVocab, comp.Config.DVocabOut)
		}
	}
	var corr *Correspondence
	if s.Correspondence != "" {
		entries, err := ReadEntries(s.Correspondence)
		if err != nil {
			return nil, err
		}
		if corr, err = NewCorrespondence(comp, ll, entries); err != nil {
			return nil, fmt.Errorf("%s: %w", s.Correspondence, err)
		}
	} else if corr, err = DefaultCorrespondence(comp, ll, c.ID); err != nil {
		return nil, fmt.Errorf("case %s: %w", c.Name(), err)
	}
	r, err := RecipeFor(c.ID, cases.InInterpBench(c.ID), s.Recipe)
	if err != nil {
		return nil, err
	}
	if s.Adjust != nil {
		s.Adjust(&r)
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	data, err := MakeData(c, r)
	if err != nil {
		return nil, err
	}
	return &Job{Case: c, Comp: comp, HL: hl, LL: ll, InitStd: std, Corr: corr, Recipe: r, Data: data, Shape: s.Shape}, nil
}
