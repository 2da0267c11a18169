package pyrand

import (
	"encoding/json"
	"os"
	"strconv"
	"testing"
)

type fixture struct {
	Python string `json:"python"`
	Draws  []struct {
		Seed         int64      `json:"seed"`
		Uint32       []uint32   `json:"uint32"`
		GetRandBitsK []int      `json:"getrandbits_k"`
		GetRandBits  []uint64   `json:"getrandbits"`
		RandIntArgs  [][2]int64 `json:"randint_args"`
		RandInt      []int64    `json:"randint"`
		ChoiceLens   []int      `json:"choice_lens"`
		Choice       []int      `json:"choice"`
		Random       []string   `json:"random"`
		SampleRows   [][]string `json:"sample_rows"`
	} `json:"draws"`
	Words []struct {
		Args  []int64  `json:"args"`
		Vocab []string `json:"vocab"`
	} `json:"words"`
}

func loadFixture(t *testing.T) *fixture {
	t.Helper()
	b, err := os.ReadFile("testdata/cpython_random.json")
	if err != nil {
		t.Fatal(err)
	}
	var f fixture
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("testdata/cpython_random.json: %v", err)
	}
	if len(f.Draws) == 0 {
		t.Fatal("fixture has no draws")
	}
	return &f
}

func TestAgainstCPython(t *testing.T) {
	f := loadFixture(t)
	for _, d := range f.Draws {
		t.Run(strconv.FormatInt(d.Seed, 10), func(t *testing.T) {
			r := New(d.Seed)
			for i, want := range d.Uint32 {
				if got := r.Uint32(); got != want {
					t.Fatalf("uint32 #%d = %d, want %d", i, got, want)
				}
			}
			r = New(d.Seed)
			for i, k := range d.GetRandBitsK {
				got, err := r.GetRandBits(k)
				if err != nil {
					t.Fatal(err)
				}
				if got != d.GetRandBits[i] {
					t.Fatalf("getrandbits(%d) #%d = %d, want %d", k, i, got, d.GetRandBits[i])
				}
			}
			r = New(d.Seed)
			for i, ab := range d.RandIntArgs {
				got, err := r.RandInt(ab[0], ab[1])
				if err != nil {
					t.Fatal(err)
				}
				if got != d.RandInt[i] {
					t.Fatalf("randint(%d, %d) #%d = %d, want %d", ab[0], ab[1], i, got, d.RandInt[i])
				}
			}
			r = New(d.Seed)
			for i, n := range d.ChoiceLens {
				got, err := r.Choice(n)
				if err != nil {
					t.Fatal(err)
				}
				if got != d.Choice[i] {
					t.Fatalf("choice(range(%d)) #%d = %d, want %d", n, i, got, d.Choice[i])
				}
			}
			r = New(d.Seed)
			for i, want := range d.Random {
				w, err := strconv.ParseFloat(want, 64)
				if err != nil {
					t.Fatal(err)
				}
				if got := r.Float64(); got != w {
					t.Fatalf("random() #%d = %v, want %v", i, got, w)
				}
			}
			r = New(d.Seed)
			vals := []string{"a", "b", "c", "d", "e"}
			for i, want := range d.SampleRows {
				l, err := r.RandInt(4, 10)
				if err != nil {
					t.Fatal(err)
				}
				row := make([]string, l-1)
				for j := range row {
					c, err := r.Choice(len(vals))
					if err != nil {
						t.Fatal(err)
					}
					row[j] = vals[c]
				}
				if len(row) != len(want) {
					t.Fatalf("sample row %d = %v, want %v", i, row, want)
				}
				for j := range row {
					if row[j] != want[j] {
						t.Fatalf("sample row %d = %v, want %v", i, row, want)
					}
				}
			}
		})
	}
}

func TestErrors(t *testing.T) {
	r := New(1)
	if _, err := r.RandInt(5, 4); err == nil {
		t.Error("randint(5, 4): want error")
	}
	if _, err := r.Choice(0); err == nil {
		t.Error("choice of empty sequence: want error")
	}
	if _, err := r.GetRandBits(65); err == nil {
		t.Error("getrandbits(65): want error")
	}
	if _, err := r.RandBelow(0); err == nil {
		t.Error("randbelow(0): want error")
	}
}

func TestSeedReproducible(t *testing.T) {
	a, b := New(42), New(42)
	for i := 0; i < 2000; i++ {
		if a.Uint32() != b.Uint32() {
			t.Fatalf("two generators seeded 42 diverged at draw %d", i)
		}
	}
	if New(42).Uint32() == New(43).Uint32() {
		t.Error("seeds 42 and 43 gave the same first draw")
	}
}

func BenchmarkRandInt(b *testing.B) {
	r := New(42)
	for i := 0; i < b.N; i++ {
		if _, err := r.RandInt(4, 10); err != nil {
			b.Fatal(err)
		}
	}
}
