package sae

import (
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadMetrics(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name, content string
		want          []Record // nil with wantErr
		wantErr       string
	}{
		{"trainer lines", `{"step":1,"losses/mse_loss":0.5,"eval/explained_variance":null}` + "\n\n" + `{"step":2,"b":1,"a":2}` + "\n",
			[]Record{{Step: 1, Order: []string{"losses/mse_loss", "eval/explained_variance"}, Values: map[string]float64{"losses/mse_loss": 0.5, "eval/explained_variance": math.NaN()}},
				{Step: 2, Order: []string{"b", "a"}, Values: map[string]float64{"a": 2, "b": 1}}}, ""},
		{"non-numbers skipped, no step", `{"note":"text","ok":true,"v":[1],"x":3}`,
			[]Record{{Step: -1, Order: []string{"x"}, Values: map[string]float64{"x": 3}}}, ""},
		{"not an object", "{\"step\":1}\n[1,2]\n", nil, "line 2: not a JSON object"},
		{"trailing junk", `{"step":1} x`, nil, "line 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadMetrics(write("m.jsonl", tc.content))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "m.jsonl") {
					t.Fatalf("error %v, want file and %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !sameRecords(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
	if _, err := ReadMetrics(filepath.Join(dir, "missing.jsonl")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v, want fs.ErrNotExist", err)
	}
}

func sameRecords(a, b []Record) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Step != b[i].Step || strings.Join(a[i].Order, "\x00") != strings.Join(b[i].Order, "\x00") || len(a[i].Values) != len(b[i].Values) {
			return false
		}
		for k, v := range a[i].Values {
			w, ok := b[i].Values[k]
			if !ok || v != w && !(math.IsNaN(v) && math.IsNaN(w)) {
				return false
			}
		}
	}
	return true
}

// FuzzReadMetrics: any file content gives records or an error, never a
// panic; every key in Order has a value; and what was read, written back
// as the trainer writes it, reads back the same.
func FuzzReadMetrics(f *testing.F) {
	for _, s := range []string{
		`{"step": 1, "losses/mse_loss": 0.5, "details/n_training_tokens": 80}` + "\n",
		`{"step": 2, "eval/l0": null}` + "\n" + `[1,2]`,
		"\n\n{}\n",
		`{"a": "text", "b": true, "c": 1e308, "d": 1e400, "a": 2}`,
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "metrics.jsonl")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		recs, err := ReadMetrics(p)
		if err != nil {
			return
		}
		for _, r := range recs {
			if len(r.Order) != len(r.Values) {
				t.Fatalf("record %+v: %d keys in order, %d values", r, len(r.Order), len(r.Values))
			}
		}
		if err := os.WriteFile(p, metricsJSON(recs), 0o644); err != nil {
			t.Fatal(err)
		}
		again, err := ReadMetrics(p)
		if err != nil || !sameRecords(recs, again) {
			t.Fatalf("round trip: %v\n%+v\n%+v", err, recs, again)
		}
	})
}
