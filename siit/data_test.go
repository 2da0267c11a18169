package siit

import (
	"testing"

	"github.com/glassbox-interp/glassbox/cases"
)

func TestMakeDataCase3(t *testing.T) {
	c, err := cases.Get(3)
	if err != nil {
		t.Fatal(err)
	}
	d, err := MakeData(c, Gen1())
	if err != nil {
		t.Fatal(err)
	}
	if d.T != 5 || d.Rows() != 24000 || len(d.Train) != 19200 || len(d.Val) != 4800 {
		t.Fatalf("T %d rows %d train %d val %d, want 5, 24000, 19200, 4800", d.T, d.Rows(), len(d.Train), len(d.Val))
	}
	tok := c.Tokenizer()
	distinct := map[string]bool{}
	for i := 0; i < d.Rows(); i++ {
		r := d.Row(i)
		if int(r[0]) != tok.BOS() {
			t.Fatalf("row %d starts with %d, want BOS", i, r[0])
		}
		for _, v := range r[1:] {
			if int(v) == tok.PAD() || int(v) == tok.BOS() {
				t.Fatalf("row %d has BOS/PAD inside: %v", i, r)
			}
		}
		distinct[rowKey(r)] = true
	}
	if len(distinct) != 256 {
		t.Errorf("%d distinct rows, want all 4^4 = 256", len(distinct))
	}
	// Fixed pairs: the same for the same seed, different for another.
	p1, p2, p3 := Pairs(d.Train, 0), Pairs(d.Train, 0), Pairs(d.Train, 1)
	same, diff := 0, 0
	for i := range p1 {
		if p1[i] != p2[i] {
			t.Fatalf("pair %d differs between two draws with one seed", i)
		}
		if p1[i] == p3[i] {
			same++
		} else {
			diff++
		}
	}
	if diff < len(p1)/2 {
		t.Errorf("seed 1 repeats %d of %d pairs of seed 0", same, len(p1))
	}
	if all := AllPairs(d, d.Val, 100000); len(all) != 256*256 {
		t.Errorf("%d pairs of distinct rows, want 65536", len(all))
	}
	if AllPairs(d, d.Val, 1000) != nil {
		t.Error("AllPairs ignores its limit")
	}
}

func TestMakeDataGen2AllRows(t *testing.T) {
	c, err := cases.Get(3)
	if err != nil {
		t.Fatal(err)
	}
	r := Gen2()
	r.AllRowsMin, r.AllRowsMax = 100, 1000 // 256 full-length rows: take them all
	d, err := MakeData(c, r)
	if err != nil {
		t.Fatal(err)
	}
	if d.Rows() != 256 || len(d.Train) != 204 || len(d.Val) != 52 {
		t.Errorf("rows %d train %d val %d, want 256, 204, 52", d.Rows(), len(d.Train), len(d.Val))
	}
}

// Gen-1 sizes its data by the number of input rows of every length
// (circuits-benchmark's create_dataset of May–July 2024).
func TestMakeDataGen1Counts(t *testing.T) {
	for _, tc := range []struct {
		id, rows, train int
	}{
		{3, 24000, 19200},   // 320 rows of lengths 4…5: below 20k
		{21, 29511, 23608},  // 3^3 + … + 3^9 rows: every count, sampled
		{4, 144000, 115200}, // 2.4 M rows: 120k training rows
	} {
		c, err := cases.Get(tc.id)
		if err != nil {
			t.Fatal(err)
		}
		d, err := MakeData(c, Gen1())
		if err != nil {
			t.Fatalf("case %d: %v", tc.id, err)
		}
		if d.Rows() != tc.rows || len(d.Train) != tc.train || d.T != c.MaxSeqLen {
			t.Errorf("case %d: rows %d train %d T %d, want %d, %d, %d", tc.id, d.Rows(), len(d.Train), d.T, tc.rows, tc.train, c.MaxSeqLen)
		}
		r := Gen1()
		r.FixSamples(1000)
		if d, err := MakeData(c, r); err != nil {
			t.Errorf("case %d with 1000 fixed samples: %v", tc.id, err)
		} else if d.Rows() != 1000 {
			t.Errorf("case %d with 1000 fixed samples: %d rows", tc.id, d.Rows())
		}
	}
}
