package rundir

import (
	"fmt"
	"sync"

	"github.com/glassbox-interp/glassbox/cases"
	"github.com/glassbox-interp/glassbox/rasp"
)

// FromCase compiles a catalogue (or user) case and evaluates its program on
// the case's dataset (all rows when there are at most 5000, else 2000 rows
// sampled with seed 42, as the reference data).
func FromCase(c *cases.Case) (*CaseData, error) {
	prog, err := c.Build()
	if err != nil {
		return nil, err
	}
	ds, err := c.Dataset()
	if err != nil {
		return nil, fmt.Errorf("case %s: dataset: %w", c.Name(), err)
	}
	contents := make([][]rasp.Value, 0, len(ds.Rows))
	outputs := make([][]rasp.Value, 0, len(ds.Rows))
	for _, r := range ds.Rows {
		contents = append(contents, r.Content())
		outputs = append(outputs, r.Output)
	}
	cd, err := NewCaseData("case "+c.Name(), prog, c.Vocab(), c.MaxSeqLen, c.Causal, contents)
	if err != nil {
		return nil, err
	}
	cd.Outputs = outputs
	return cd, nil
}

var catalogueCache = struct {
	sync.Mutex
	m map[int]*CaseData
}{m: map[int]*CaseData{}}

// CatalogueCase is a CaseLoader for the built-in circuits-benchmark cases;
// each case is compiled and evaluated once per process.
func CatalogueCase(id int) (*CaseData, error) {
	catalogueCache.Lock()
	defer catalogueCache.Unlock()
	if cd, ok := catalogueCache.m[id]; ok {
		return cd, nil
	}
	c, err := cases.Get(id)
	if err != nil {
		return nil, err
	}
	cd, err := FromCase(c)
	if err != nil {
		return nil, err
	}
	catalogueCache.m[id] = cd
	return cd, nil
}
