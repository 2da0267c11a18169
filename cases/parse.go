package cases

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/glassbox-interp/glassbox/rasp"
)

// ParseRow reads one input row written by a user and returns its content
// (the tokens between BOS and the padding). The row is either a JSON list
// (["BOS", "a", "x", "PAD"], [1, 2, 3]) or tokens separated by spaces
// (BOS a x PAD), each matched against the vocabulary by value or by
// Python's str() ("3" is the int 3 in an integer vocabulary). A leading BOS
// and trailing PADs are optional; the content must be 1 to MaxSeqLen-1
// tokens long.
func (c *Case) ParseRow(line string) ([]rasp.Value, error) {
	line = strings.TrimSpace(line)
	if line == "" {
		return nil, fmt.Errorf("empty row")
	}
	var toks []rasp.Value
	if strings.HasPrefix(line, "[") {
		dec := json.NewDecoder(bytes.NewReader([]byte(line)))
		dec.UseNumber()
		var raw []any
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("row is not a JSON list: %w", err)
		}
		if dec.More() {
			return nil, fmt.Errorf("row has data after its JSON list")
		}
		for i, r := range raw {
			v, err := ParseJSONValue(r)
			if err != nil {
				return nil, fmt.Errorf("token %d: %w", i, err)
			}
			m, err := c.tok.Match(v)
			if err != nil {
				return nil, fmt.Errorf("token %d: %w", i, err)
			}
			toks = append(toks, m)
		}
	} else {
		for i, f := range strings.Fields(line) {
			v, err := c.tok.Parse(f)
			if err != nil {
				return nil, fmt.Errorf("token %d: %w", i, err)
			}
			toks = append(toks, v)
		}
	}
	if len(toks) > 0 && toks[0] == BOS {
		toks = toks[1:]
	}
	for len(toks) > 0 && toks[len(toks)-1] == PAD {
		toks = toks[:len(toks)-1]
	}
	for i, v := range toks {
		if v == BOS || v == PAD {
			return nil, fmt.Errorf("token %d: %v inside the row (BOS only first, PAD only at the end)", i, v)
		}
	}
	if len(toks) == 0 {
		return nil, fmt.Errorf("row has no tokens besides BOS/PAD")
	}
	if len(toks) > c.MaxSeqLen-1 {
		return nil, fmt.Errorf("row has %d tokens, more than max_seq_len-1 = %d", len(toks), c.MaxSeqLen-1)
	}
	return toks, nil
}
