package tracr

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/glassbox-interp/glassbox/formats/safetensors"
	"github.com/glassbox-interp/glassbox/model"
	"github.com/glassbox-interp/glassbox/rasp"
)

func TestSaveRoundTrip(t *testing.T) {
	c, comp := compileCase(t, 12)
	dir := t.TempDir()
	if err := comp.Save(dir); err != nil {
		t.Fatal(err)
	}
	loaded, err := model.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	mem, err := comp.Model()
	if err != nil {
		t.Fatal(err)
	}
	ds, err := c.Sample(8, 1)
	if err != nil {
		t.Fatal(err)
	}
	var ids [][]int
	for _, r := range ds.Rows {
		ids = append(ids, r.Tokens)
	}
	a, err := mem.Forward(ids)
	if err != nil {
		t.Fatal(err)
	}
	b, err := loaded.Forward(ids)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a.Data {
		if a.Data[i] != b.Data[i] {
			t.Fatalf("logit %d: %g in memory, %g after Save/Load", i, a.Data[i], b.Data[i])
		}
	}
	_, md, err := safetensors.Load(filepath.Join(dir, model.WeightsFile))
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	if err := json.Unmarshal([]byte(md["residual_labels"]), &labels); err != nil || !equalStrings(labels, comp.ResidualLabels) {
		t.Errorf("metadata residual_labels %v (%v)", labels, err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, TokenizerFile))
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		TokenEncoding map[string]int `json:"token_encoding"`
	}
	if err := json.Unmarshal(raw, &tok); err != nil {
		t.Fatal(err)
	}
	for i, v := range c.Tokenizer().Tokens() {
		if id, ok := tok.TokenEncoding[rasp.Str(v)]; !ok || id != i {
			t.Errorf("tokenizer.json: %v → %d, want %d", v, id, i)
		}
	}
}
