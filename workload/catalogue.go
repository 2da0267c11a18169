package workload

import (
	"fmt"
	"sync"

	"github.com/glassbox-interp/glassbox/cases"
	"github.com/glassbox-interp/glassbox/rasp"
)

// CompileCase compiles a catalogue (or user) case without its dataset.
func CompileCase(c *cases.Case) (*Case, error) {
	prog, err := c.Build()
	if err != nil {
		return nil, err
	}
	cd, err := Compile("case "+c.Name(), prog, c.Vocab(), c.MaxSeqLen, c.Causal)
	if err != nil {
		return nil, err
	}
	cd.ID = c.ID
	return cd, nil
}

// WithDataset returns the compiled case cd (CompileCase(c)) with c's
// dataset: all rows when there are at most 5000, else 2000 rows sampled
// with seed 42, as the reference data.
func (cd *Case) WithDataset(c *cases.Case) (*Case, error) {
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
	out, err := cd.WithRows(contents)
	if err != nil {
		return nil, err
	}
	out.Outputs = outputs
	return out, nil
}

// FromCase compiles a catalogue (or user) case and evaluates its program on
// the case's dataset (see WithDataset).
func FromCase(c *cases.Case) (*Case, error) {
	cd, err := CompileCase(c)
	if err != nil {
		return nil, err
	}
	return cd.WithDataset(c)
}

var catalogueCache = struct {
	sync.Mutex
	m map[int]*Case
}{m: map[int]*Case{}}

// CatalogueCase loads the built-in circuits-benchmark cases;
// each case is compiled and evaluated once per process.
func CatalogueCase(id int) (*Case, error) {
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
