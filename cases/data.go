package cases

import (
	"errors"
	"fmt"
	"iter"
	"math"
	"math/big"

	"github.com/glassbox-interp/glassbox/cases/pyrand"
	"github.com/glassbox-interp/glassbox/rasp"
)

// DatasetLimit and DatasetSamples are the reference data's selection rule:
// all of gen_all_data when get_total_data_len() <= DatasetLimit, otherwise
// DatasetSamples rows sampled with DatasetSeed.
const (
	DatasetLimit   = 5000
	DatasetSamples = 2000
	DatasetSeed    = 42
)

// TotalDataLen is circuits-benchmark's get_total_data_len: the number of
// distinct inputs, the sum over content lengths minLen-1 .. maxLen-1 of
// vocabSize^length (lengths count BOS). It can be huge (case 39: 26^59 + …).
func TotalDataLen(vocabSize, minLen, maxLen int) *big.Int {
	total := new(big.Int)
	base := big.NewInt(int64(vocabSize))
	for l := minLen - 1; l < maxLen; l++ {
		if l < 0 {
			continue
		}
		total.Add(total, new(big.Int).Exp(base, big.NewInt(int64(l)), nil))
	}
	return total
}

// checkLengths validates a (min, max) pair of sequence lengths that count BOS.
func checkLengths(minLen, maxLen int) error {
	if maxLen < 2 {
		return fmt.Errorf("max_seq_len %d: must be at least 2 (BOS and one token)", maxLen)
	}
	if minLen < 2 {
		return fmt.Errorf("min_seq_len %d: must be at least 2 (BOS and one token)", minLen)
	}
	if minLen > maxLen {
		return fmt.Errorf("min_seq_len %d is larger than max_seq_len %d", minLen, maxLen)
	}
	return nil
}

// EachContent yields the inputs of circuits-benchmark's
// gen_all_data(minLen, maxLen) without BOS and padding, in its order: total
// lengths (BOS included) from minLen to maxLen, and for each every sequence
// of length-1 values of vals (which must already be sorted) counted in base
// len(vals), most significant position first. It yields nothing for
// invalid lengths or an empty vals (AllContents reports those).
func EachContent(vals []rasp.Value, minLen, maxLen int) iter.Seq[[]rasp.Value] {
	return func(yield func([]rasp.Value) bool) {
		if checkLengths(minLen, maxLen) != nil || len(vals) == 0 {
			return
		}
		base := len(vals)
		for seqLen := minLen; seqLen <= maxLen; seqLen++ {
			n := seqLen - 1
			digits := make([]int, n) // digits[0] most significant
			for {
				row := make([]rasp.Value, n)
				for i, d := range digits {
					row[i] = vals[d]
				}
				if !yield(row) {
					return
				}
				i := n - 1 // increment the base-len(vals) counter
				for ; i >= 0; i-- {
					digits[i]++
					if digits[i] < base {
						break
					}
					digits[i] = 0
				}
				if i < 0 {
					break
				}
			}
		}
	}
}

// AllContents returns every input of gen_all_data(minLen, maxLen) (see
// EachContent). limit bounds the number of rows: more is an error (0: no
// limit beyond what fits in memory).
func AllContents(vals []rasp.Value, minLen, maxLen int, limit int64) ([][]rasp.Value, error) {
	if err := checkLengths(minLen, maxLen); err != nil {
		return nil, err
	}
	if len(vals) == 0 {
		return nil, errors.New("empty vocabulary")
	}
	total := TotalDataLen(len(vals), minLen, maxLen)
	if limit > 0 && total.Cmp(big.NewInt(limit)) > 0 {
		return nil, fmt.Errorf("gen_all_data would produce %s rows, more than the limit %d", total, limit)
	}
	if !total.IsInt64() || total.Int64() > math.MaxInt32 {
		return nil, fmt.Errorf("gen_all_data would produce %s rows: too many to hold in memory", total)
	}
	out := make([][]rasp.Value, 0, total.Int64())
	for row := range EachContent(vals, minLen, maxLen) {
		out = append(out, row)
	}
	return out, nil
}

// SampleContents draws n inputs (without BOS and padding) exactly as the
// reference data did with Python's random.Random(seed): for each row
// seq_len = rng.randint(minLen, maxLen) (BOS included), then seq_len-1 times
// rng.choice(vals). vals must already be sorted. Duplicates are kept.
func SampleContents(vals []rasp.Value, minLen, maxLen, n int, seed int64) ([][]rasp.Value, error) {
	if err := checkLengths(minLen, maxLen); err != nil {
		return nil, err
	}
	if len(vals) == 0 {
		return nil, errors.New("empty vocabulary")
	}
	if n < 0 {
		return nil, fmt.Errorf("sample size %d is negative", n)
	}
	rng := pyrand.New(seed)
	out := make([][]rasp.Value, n)
	for r := range out {
		seqLen, err := rng.RandInt(int64(minLen), int64(maxLen))
		if err != nil {
			return nil, err
		}
		row := make([]rasp.Value, seqLen-1)
		for i := range row {
			c, err := rng.Choice(len(vals))
			if err != nil {
				return nil, err
			}
			row[i] = vals[c]
		}
		out[r] = row
	}
	return out, nil
}

// PadRow returns ["BOS"] + content + ["PAD"] * (maxLen - 1 - len(content)).
func PadRow(content []rasp.Value, maxLen int) []rasp.Value {
	row := make([]rasp.Value, 0, maxLen)
	row = append(row, BOS)
	row = append(row, content...)
	for len(row) < maxLen {
		row = append(row, PAD)
	}
	return row
}
