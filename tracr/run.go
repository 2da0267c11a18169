package tracr

import (
	"fmt"

	"github.com/glassbox-interp/glassbox/model"
	"github.com/glassbox-interp/glassbox/rasp"
)

// Model builds the TransformerLens-style model of the compiled program.
func (c *Compiled) Model() (*model.Model, error) {
	m, err := model.New(c.Config, c.Params)
	if err != nil {
		return nil, fmt.Errorf("tracr: build model: %w", err)
	}
	return m, nil
}

// Encode maps one input row (starting with the BOS token, as tracr's
// input encoder expects) to token ids.
func (c *Compiled) Encode(row []rasp.Value) ([]int, error) {
	if len(row) == 0 || !rasp.Equal(row[0], c.Options.CompilerBOS) {
		return nil, fmt.Errorf("tracr: input must start with %q", c.Options.CompilerBOS)
	}
	if len(row) > c.MaxSeqLen+1 {
		return nil, fmt.Errorf("tracr: input has %d positions, the model takes at most %d", len(row), c.MaxSeqLen+1)
	}
	ids := make([]int, len(row))
	for i, v := range row {
		id, ok := c.TokenID(v)
		if !ok {
			return nil, fmt.Errorf("tracr: input position %d: %s is not in the vocabulary", i, rasp.Repr(v))
		}
		ids[i] = id
	}
	return ids, nil
}

// Apply runs m (built by Model) on rows of equal length and decodes the
// outputs as tracr's AssembledTransformerModel.apply does: position 0 is the
// BOS token, categorical outputs are the value of the first maximal logit,
// numerical outputs the single output column (float64).
func (c *Compiled) Apply(m *model.Model, rows [][]rasp.Value) ([][]rasp.Value, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	ids := make([][]int, len(rows))
	for i, r := range rows {
		e, err := c.Encode(r)
		if err != nil {
			return nil, fmt.Errorf("row %d: %w", i, err)
		}
		ids[i] = e
	}
	logits, err := m.Forward(ids)
	if err != nil {
		return nil, err
	}
	B, T, V := logits.Shape[0], logits.Shape[1], logits.Shape[2]
	out := make([][]rasp.Value, B)
	for b := 0; b < B; b++ {
		row := make([]rasp.Value, T)
		row[0] = c.Options.CompilerBOS
		for t := 1; t < T; t++ {
			l := logits.Data[(b*T+t)*V : (b*T+t+1)*V]
			if !c.Categorical {
				row[t] = float64(l[0])
				continue
			}
			best := 0
			for j := 1; j < V; j++ {
				if l[j] > l[best] {
					best = j
				}
			}
			row[t] = c.OutputValues[best]
		}
		out[b] = row
	}
	return out, nil
}
