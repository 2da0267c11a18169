package siit

import (
	"fmt"
	"math/big"
	"math/rand/v2"

	"github.com/glassbox-interp/glassbox/cases"
	"github.com/glassbox-interp/glassbox/rasp"
)

// Data is a SIIT dataset: full-length token rows (BOS + max_seq_len − 1
// tokens, no PAD), split into training and validation rows, and the fixed
// (base, source) pairs drawn over each split.
type Data struct {
	T      int       // row length, n_ctx
	Tokens []int32   // row-major [rows, T]
	Train  []int     // row indices of the training split
	Val    []int     // row indices of the validation split
	Rule   string    // how the rows were chosen (for meta.json)
	rows   [][]int32 // views into Tokens
}

// Rows is the number of rows.
func (d *Data) Rows() int { return len(d.rows) }

// Row returns row i's token ids: a view of Tokens (taken there rather
// than from rows, whose slice header would be a second dependent memory
// access for the training's random row order).
func (d *Data) Row(i int) []int32 { return d.Tokens[i*d.T : (i+1)*d.T : (i+1)*d.T] }

// maxDataTokens bounds the dataset's size in tokens.
const maxDataTokens = 1 << 28

// MakeData builds the dataset of a case with the recipe's rule (see
// Recipe): uniform full-length rows (CPython random.Random(DataSeed) draws,
// as glassbox's `data --sample` does), as many as Samples or Gen-1's count
// rule says, or Gen-2's every full-length row, shuffled with DataSeed. The
// first TrainFrac of the rows train, the rest validate.
func MakeData(c *cases.Case, r Recipe) (*Data, error) {
	L := c.MaxSeqLen
	if L < 2 {
		return nil, fmt.Errorf("siit: case %s: max_seq_len %d, want ≥ 2", c.Name(), L)
	}
	vocab := c.Vocab()
	count := cases.TotalDataLen(len(vocab), L, L)
	var contents [][]rasp.Value
	var err error
	samples := r.Samples
	rule := fmt.Sprintf("%d uniform full-length samples (seed %d)", samples, r.DataSeed)
	allRows := false
	switch {
	case r.SampleByCount:
		total := c.TotalDataLen()
		samples = gen1Samples(total, r)
		rule = fmt.Sprintf("%d uniform full-length samples (seed %d) for %s rows of lengths %d…%d", samples, r.DataSeed, total, c.MinSeqLen, L)
	case r.AllRowsMax > 0 && count.Cmp(big.NewInt(int64(r.AllRowsMin))) > 0 && count.Cmp(big.NewInt(int64(r.AllRowsMax))) < 0:
		allRows = true
		rule = fmt.Sprintf("every full-length row (%s), shuffled (seed %d)", count, r.DataSeed)
	}
	if allRows {
		contents, err = cases.AllContents(vocab, L, L, int64(r.AllRowsMax))
	} else {
		if int64(samples)*int64(L) > maxDataTokens {
			return nil, fmt.Errorf("siit: %d samples of %d tokens exceed the %d-token limit", samples, L, maxDataTokens)
		}
		contents, err = cases.SampleContents(vocab, L, L, samples, r.DataSeed)
	}
	if err != nil {
		return nil, fmt.Errorf("siit: case %s: data: %w", c.Name(), err)
	}
	tok := c.Tokenizer()
	d := &Data{T: L, Tokens: make([]int32, len(contents)*L), Rule: rule, rows: make([][]int32, len(contents))}
	bos := int32(tok.BOS())
	for i, content := range contents {
		row := d.Tokens[i*L : (i+1)*L]
		row[0] = bos
		for j, v := range content {
			id, err := tok.ID(v)
			if err != nil {
				return nil, fmt.Errorf("siit: case %s: row %d: %w", c.Name(), i, err)
			}
			row[j+1] = int32(id)
		}
		d.rows[i] = row
	}
	order := make([]int, len(contents))
	for i := range order {
		order[i] = i
	}
	if allRows {
		rng := rand.New(rand.NewPCG(uint64(r.DataSeed), 0x5eed))
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	}
	nTrain := int(float64(len(order)) * r.TrainFrac)
	if nTrain < 1 || nTrain >= len(order) {
		return nil, fmt.Errorf("siit: case %s: %d rows do not split into training and validation at %g", c.Name(), len(order), r.TrainFrac)
	}
	d.Train, d.Val = order[:nTrain], order[nTrain:]
	return d, nil
}

// gen1Samples is Gen-1's sample count for a case with total input rows of
// every length: r.Samples below r.AllRowsMin, total below r.AllRowsMax, else
// r.LargeSamples.
func gen1Samples(total *big.Int, r Recipe) int {
	switch {
	case total.Cmp(big.NewInt(int64(r.AllRowsMin))) < 0:
		return r.Samples
	case total.Cmp(big.NewInt(int64(r.AllRowsMax))) < 0:
		return int(total.Int64())
	default:
		return r.LargeSamples
	}
}

// Pair is one (base, source) item: row indices into the Data.
type Pair struct{ Base, Source int32 }

// Pairs draws one pair per row of a split, as iit's IITDataset does: item
// i's base and source are chosen independently and uniformly from the
// split by a generator seeded with (seed, i), so the pairs are the same in
// every epoch (only their order is shuffled). glassbox uses PCG, not
// numpy's generator, so the pairs differ from InterpBench's.
func Pairs(split []int, seed int64) []Pair {
	out := make([]Pair, len(split))
	n := uint64(len(split))
	for i := range out {
		rng := rand.New(rand.NewPCG(uint64(seed)*1000003+0x9e3779b97f4a7c15, uint64(i)))
		out[i] = Pair{Base: int32(split[rng.Uint64N(n)]), Source: int32(split[rng.Uint64N(n)])}
	}
	return out
}

// AllPairs is every (base, source) combination of the distinct rows of a
// split, for cases with few distinct inputs; nil when there would be more
// than limit pairs.
func AllPairs(d *Data, split []int, limit int) []Pair {
	seen := map[string]bool{}
	var distinct []int
	for _, i := range split {
		k := rowKey(d.rows[i])
		if !seen[k] {
			seen[k] = true
			distinct = append(distinct, i)
			if len(distinct)*len(distinct) > limit {
				return nil
			}
		}
	}
	out := make([]Pair, 0, len(distinct)*len(distinct))
	for _, b := range distinct {
		for _, s := range distinct {
			out = append(out, Pair{Base: int32(b), Source: int32(s)})
		}
	}
	return out
}

func rowKey(r []int32) string {
	b := make([]byte, 0, 4*len(r))
	for _, v := range r {
		b = append(b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
	}
	return string(b)
}
