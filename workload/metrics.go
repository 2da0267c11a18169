package workload

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
)

// Curve is one training metric against training tokens (or the log step).
type Curve struct {
	Name  string
	XName string
	X, Y  []float64
}

// Last returns the last finite value of the curve.
func (c Curve) Last() float64 {
	for i := len(c.Y) - 1; i >= 0; i-- {
		if !math.IsNaN(c.Y[i]) {
			return c.Y[i]
		}
	}
	return math.NaN()
}

// ReadMetrics reads a metrics.jsonl file (one JSON object of metric name →
// number per line, as the SAE trainer writes with wandb's names) into one
// curve per metric. The x axis is details/n_training_tokens when present,
// else step × (tokens per step, learnt from lines that have both), else
// "step", else the line number. Non-numeric values are skipped; a line that is not a
// JSON object is an error naming the file and line.
func ReadMetrics(path string) ([]Curve, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read metrics: %w", err)
	}
	defer f.Close()
	const xKey = "details/n_training_tokens"
	var recs []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<24)
	line := 0
	tokensAt := map[float64]float64{} // step → training tokens, from lines with both
	var s0, t0, s1, t1 float64        // first and last (step, tokens) pair
	pairs := 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if len(b) == 0 {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("read metrics %s line %d: not a JSON object: %w", path, line, err)
		}
		m["\x00line"] = float64(line)
		step, ok1 := m["step"].(float64)
		tok, ok2 := m[xKey].(float64)
		if ok1 && ok2 {
			tokensAt[step] = tok
			if pairs == 0 {
				s0, t0 = step, tok
			}
			s1, t1 = step, tok
			pairs++
		}
		recs = append(recs, m)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read metrics %s: %w", path, err)
	}
	curves := map[string]*Curve{}
	for _, m := range recs {
		// x: training tokens, else step × tokens per step (eval records
		// carry only the step), else the step, else the line number.
		x, xName := m["\x00line"].(float64), "log line"
		if v, ok := m["step"].(float64); ok {
			x, xName = v, "step"
			if tok, ok := tokensAt[v]; ok {
				x, xName = tok, "training tokens"
			} else if s1 != s0 {
				x, xName = t0+(v-s0)*(t1-t0)/(s1-s0), "training tokens"
			} else if pairs > 0 && s0 > 0 {
				x, xName = v*t0/s0, "training tokens"
			}
		}
		if v, ok := m[xKey].(float64); ok {
			x, xName = v, "training tokens"
		}
		for k, v := range m {
			y, ok := v.(float64)
			if !ok || k == "" || k == xKey || k == "step" || k == "\x00line" {
				continue
			}
			c := curves[k]
			if c == nil {
				c = &Curve{Name: k, XName: xName}
				curves[k] = c
			}
			c.X = append(c.X, x)
			c.Y = append(c.Y, y)
		}
	}
	names := make([]string, 0, len(curves))
	for k := range curves {
		names = append(names, k)
	}
	sort.Strings(names)
	out := make([]Curve, 0, len(names))
	for _, k := range names {
		out = append(out, *curves[k])
	}
	return out, nil
}
