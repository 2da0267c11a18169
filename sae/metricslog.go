package sae

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"
)

// maxMetricsLine bounds one metrics.jsonl line (a record is a few hundred
// bytes; a longer line is not one the trainer wrote).
const maxMetricsLine = 1 << 24

// metricsJSON renders the records as JSON lines in a stable key order:
// metrics.jsonl as the trainer writes it and ReadMetrics reads it back.
func metricsJSON(recs []Record) []byte {
	var buf bytes.Buffer
	for _, r := range recs {
		buf.WriteString(`{"step":`)
		buf.WriteString(strconv.FormatInt(r.Step, 10))
		for _, k := range r.Order {
			buf.WriteString(`,`)
			kb, _ := json.Marshal(k)
			buf.Write(kb)
			buf.WriteString(`:`)
			v := r.Values[k]
			if math.IsNaN(v) || math.IsInf(v, 0) {
				buf.WriteString(`null`)
			} else {
				buf.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
			}
		}
		buf.WriteString("}\n")
	}
	return buf.Bytes()
}

// ReadMetrics reads a metrics.jsonl file (one JSON object of wandb metric
// name → number per line, as the trainer writes it) into records in file
// order, keeping each line's key order. null is NaN; values that are not
// numbers (strings, booleans, arrays, objects) are skipped; blank lines are
// skipped; a line without "step" gets Step −1. A line that is not a JSON
// object is an error naming the file and line. A missing file is an error
// that errors.Is(err, fs.ErrNotExist) recognises.
func ReadMetrics(path string) ([]Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read metrics: %w", err)
	}
	defer f.Close()
	var recs []Record
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), maxMetricsLine)
	for line := 1; sc.Scan(); line++ {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		rec, err := parseRecord(b)
		if err != nil {
			return nil, fmt.Errorf("read metrics %s line %d: %w", path, line, err)
		}
		recs = append(recs, rec)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read metrics %s: %w", path, err)
	}
	return recs, nil
}

// parseRecord decodes one metrics line, keeping the key order.
func parseRecord(line []byte) (Record, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(line, &raw); err != nil || raw == nil {
		return Record{}, fmt.Errorf("not a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	if _, err := dec.Token(); err != nil { // '{', checked above
		return Record{}, err
	}
	rec := Record{Step: -1, Values: map[string]float64{}}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return Record{}, err
		}
		k, _ := kt.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return Record{}, fmt.Errorf("key %q: %w", k, err)
		}
		val := math.NaN()
		if !bytes.Equal(v, []byte("null")) {
			if err := json.Unmarshal(v, &val); err != nil {
				if _, isNum := err.(*json.UnmarshalTypeError); isNum {
					continue // not a number
				}
				return Record{}, fmt.Errorf("key %q: %w", k, err)
			}
		}
		if k == "step" {
			if !math.IsNaN(val) {
				rec.Step = int64(val)
			}
			continue
		}
		if _, dup := rec.Values[k]; !dup {
			rec.Order = append(rec.Order, k)
		}
		rec.Values[k] = val
	}
	return rec, nil
}
