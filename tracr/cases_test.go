package tracr

import (
	"fmt"
	"sort"
	"testing"

	"github.com/glassbox-interp/glassbox/cases"
	"github.com/glassbox-interp/glassbox/rasp"
)

func compileCase(t testing.TB, id int) (*cases.Case, *Compiled) {
	t.Helper()
	c, err := cases.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := c.Build()
	if err != nil {
		t.Fatal(err)
	}
	comp, err := Compile(prog, c.Vocab(), c.MaxSeqLen-1, Options{Causal: c.Causal})
	if err != nil {
		t.Fatalf("case %d: %v", id, err)
	}
	return c, comp
}

// TestReferenceCases compiles every case of the reference data and checks
// layout, config, blocks, alignment, circuit edges, weights (when the
// reference has them) and model outputs on the first reference rows.
func TestReferenceCases(t *testing.T) {
	refs := loadReference(t)
	var ids []int
	for id := range refs {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	for _, id := range ids {
		t.Run(fmt.Sprint(id), func(t *testing.T) {
			_, c := compileCase(t, id)
			checkAgainstReference(t, c, refs[id])
			checkModelOutputs(t, c, refs[id])
		})
	}
}

// TestAllCasesMatchRASP compiles every catalogue case (held-out ones
// included) and checks the model against RASP evaluation on a seeded sample
// of unpadded rows.
func TestAllCasesMatchRASP(t *testing.T) {
	for _, id := range cases.IDs() {
		t.Run(fmt.Sprint(id), func(t *testing.T) {
			c, comp := compileCase(t, id)
			n := 16
			if comp.Config.DModel*max(comp.Config.DMLP, comp.Config.DModel) > 100_000 {
				n = 4 // the large models are slow to run
			}
			contents, err := cases.SampleContents(c.Vocab(), c.MaxSeqLen, c.MaxSeqLen, n, int64(id))
			if err != nil {
				t.Fatal(err)
			}
			ds, err := c.Rows(contents)
			if err != nil {
				t.Fatal(err)
			}
			rows := make([]CheckRow, len(ds.Rows))
			for i, r := range ds.Rows {
				rows[i] = CheckRow{Input: r.Input, Expected: r.Output}
			}
			m, err := comp.Model()
			if err != nil {
				t.Fatal(err)
			}
			res, err := comp.Check(m, rows, 0)
			if err != nil {
				t.Fatal(err)
			}
			if res.MismatchRowsUnpadded > 0 {
				t.Errorf("%d of %d unpadded rows differ from RASP; first: %s", res.MismatchRowsUnpadded, res.Rows, res.FirstMismatch)
			}
			if res.RowsPadded != 0 {
				t.Errorf("sample has %d padded rows, want none", res.RowsPadded)
			}
		})
	}
}

var _ = rasp.Repr

// TestCheckReproducesReferenceStats runs the full reference dataset of a
// few small cases, two of which tracr gets wrong on padded rows, and
// compares the row counts with the reference's stats.
func TestCheckReproducesReferenceStats(t *testing.T) {
	refs := loadReference(t)
	for _, id := range []int{3, 74, 124} {
		t.Run(fmt.Sprint(id), func(t *testing.T) {
			c, comp := compileCase(t, id)
			res, err := CheckCase(c, comp, 0)
			if err != nil {
				t.Fatal(err)
			}
			ref, ok := refs[id]
			if !ok {
				t.Fatalf("case %d is not in the reference data", id)
			}
			st := ref.Stats
			if res.Rows != st["rows"] || res.MismatchRowsUnpadded != st["mismatch_rows_unpadded"] || res.MismatchRowsPadded != st["mismatch_rows_padded"] {
				t.Errorf("rows %d, mismatching unpadded %d, padded %d; reference %d, %d, %d",
					res.Rows, res.MismatchRowsUnpadded, res.MismatchRowsPadded, st["rows"], st["mismatch_rows_unpadded"], st["mismatch_rows_padded"])
			}
		})
	}
}
