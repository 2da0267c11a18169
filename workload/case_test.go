package workload

import (
	"testing"

	"github.com/glassbox-interp/glassbox/cases"
)

// TestCaseCompiledOnce: a case compiled once gets its dataset without a
// second compilation, and matches FromCase row for row.
func TestCaseCompiledOnce(t *testing.T) {
	c, err := cases.Get(3)
	if err != nil {
		t.Fatal(err)
	}
	comp, err := CompileCase(c)
	if err != nil {
		t.Fatal(err)
	}
	if len(comp.Rows) != 0 || comp.Compiled == nil {
		t.Fatalf("compiled case has %d rows", len(comp.Rows))
	}
	cd, err := comp.WithDataset(c)
	if err != nil {
		t.Fatal(err)
	}
	if cd.Compiled != comp.Compiled {
		t.Error("WithDataset compiled the case again")
	}
	ref, err := FromCase(c)
	if err != nil {
		t.Fatal(err)
	}
	a, err := cd.TokenIDs()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := ref.TokenIDs()
	if len(a) != 320 || len(a) != len(b) || len(cd.Traces) != 320 {
		t.Fatalf("%d rows, FromCase %d", len(a), len(b))
	}
	for i := range a {
		for j := range a[i] {
			if a[i][j] != b[i][j] {
				t.Fatalf("row %d differs", i)
			}
		}
	}
	if _, err := comp.WithRows(nil); err == nil {
		t.Error("empty dataset accepted")
	}
}
