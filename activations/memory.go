package activations

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
)

// ErrExhausted is returned by Memory.NextBatch when Repeat is off and the
// data has run out.
var ErrExhausted = errors.New("activations exhausted")

// Memory serves the rows of a Set as training batches. With Repeat it
// cycles through the data forever (the notebook's RepeatActivationsStore);
// with Shuffle each epoch visits the rows in a fresh permutation drawn from
// (Seed, epoch). It implements sae.Source and sae.RowSource (batches as
// row indices, distinct rows numbered once).
type Memory struct {
	data    []float32
	d, n    int
	seed    uint64
	shuffle bool
	repeat  bool
	epoch   int64
	pos     int
	order   []int
	ids     []int32 // distinct-row ids, computed on first use
	nIDs    int
}

// MemoryOptions configure a Memory store.
type MemoryOptions struct {
	Seed    int64
	Shuffle bool
	Repeat  bool
	// RowIDs, if not nil, are DistinctRows(data, dIn)'s ids, computed once
	// by a caller that makes several stores on the same data; RowIDs then
	// returns them instead of numbering the rows again. NewMemory checks
	// their length and that they number rows in order of first occurrence,
	// not the rows' bits.
	RowIDs []int32
}

// NewMemory returns a store over data ([n, dIn]).
func NewMemory(data []float32, dIn int, opt MemoryOptions) (*Memory, error) {
	if dIn < 1 || len(data) == 0 || len(data)%dIn != 0 {
		return nil, fmt.Errorf("activations: %d values do not form rows of d_in %d", len(data), dIn)
	}
	m := &Memory{data: data, d: dIn, n: len(data) / dIn, seed: uint64(opt.Seed), shuffle: opt.Shuffle, repeat: opt.Repeat}
	if opt.RowIDs != nil {
		if len(opt.RowIDs) != m.n {
			return nil, fmt.Errorf("activations: %d row ids for %d rows", len(opt.RowIDs), m.n)
		}
		next := int32(0) // the id a new row gets
		for i, id := range opt.RowIDs {
			if id < 0 || id > next {
				return nil, fmt.Errorf("activations: row id %d at row %d: ids must number distinct rows 0, 1, … in order of first occurrence (next new id %d)", id, i, next)
			}
			if id == next {
				next++
			}
		}
		m.ids, m.nIDs = opt.RowIDs, int(next)
	}
	m.reorder()
	return m, nil
}

func (m *Memory) reorder() {
	if !m.shuffle {
		m.order = nil
		return
	}
	// rand.Perm's permutation (identity, then Shuffle), in the buffer of
	// the previous epoch: a short dataset has hundreds of epochs per run.
	if len(m.order) != m.n {
		m.order = make([]int, m.n)
	}
	for i := range m.order {
		m.order[i] = i
	}
	o := m.order
	rand.New(rand.NewPCG(m.seed, uint64(m.epoch))).Shuffle(m.n, func(i, j int) { o[i], o[j] = o[j], o[i] })
}

// DIn is the vector length.
func (m *Memory) DIn() int { return m.d }

// Len is the number of distinct rows.
func (m *Memory) Len() int { return m.n }

// Epoch is the number of completed passes.
func (m *Memory) Epoch() int64 { return m.epoch }

// NextBatch fills dst ([k, d_in]) with the next k rows.
func (m *Memory) NextBatch(dst []float32) error {
	if len(dst)%m.d != 0 {
		return fmt.Errorf("activations: batch buffer of %d values is not a multiple of d_in %d", len(dst), m.d)
	}
	k := len(dst) / m.d
	if err := m.check(k); err != nil {
		return err
	}
	for i := 0; i < k; i++ {
		r := m.nextRow()
		copy(dst[i*m.d:(i+1)*m.d], m.data[r*m.d:(r+1)*m.d])
	}
	return nil
}

// check reports whether k more rows can be served.
func (m *Memory) check(k int) error {
	if !m.repeat && m.pos+k > m.n {
		return fmt.Errorf("activations: batch of %d rows at row %d of %d with repeat off: %w", k, m.pos, m.n, ErrExhausted)
	}
	return nil
}

// nextRow returns the index of the next row and advances, starting a new
// (reshuffled) epoch at the end of the data.
func (m *Memory) nextRow() int {
	if m.pos == m.n {
		m.epoch++
		m.pos = 0
		m.reorder()
	}
	r := m.pos
	if m.order != nil {
		r = m.order[m.pos]
	}
	m.pos++
	return r
}

// NextRows fills dst with the indices of the next len(dst) rows: the rows
// NextBatch would copy, advancing the store the same way.
func (m *Memory) NextRows(dst []int32) error {
	if err := m.check(len(dst)); err != nil {
		return err
	}
	for i := range dst {
		dst[i] = int32(m.nextRow())
	}
	return nil
}

// Rows returns the store's rows ([Len, DIn]); callers must not modify them.
func (m *Memory) Rows() []float32 { return m.data }

// RowIDs numbers the distinct rows: ids[i] == ids[j] exactly when rows i
// and j are bit-for-bit equal, and ids run over [0, n) in order of first
// occurrence. Computed once, on first use.
func (m *Memory) RowIDs() (ids []int32, n int) {
	if m.ids == nil {
		m.ids, m.nIDs = DistinctRows(m.data, m.d)
	}
	return m.ids, m.nIDs
}

// DistinctRows numbers the distinct rows of data ([n, d]) by their bits:
// ids[i] == ids[j] exactly when rows i and j are bit-for-bit equal; ids
// are given in order of first occurrence, and count is their number.
func DistinctRows(data []float32, d int) (ids []int32, count int) {
	n := len(data) / d
	ids = make([]int32, n)
	seen := make(map[string]int32, 64)
	key := make([]byte, 4*d)
	for i := 0; i < n; i++ {
		for j, v := range data[i*d : i*d+d] {
			binary.LittleEndian.PutUint32(key[4*j:], math.Float32bits(v))
		}
		id, ok := seen[string(key)]
		if !ok {
			id = int32(len(seen))
			seen[string(key)] = id
		}
		ids[i] = id
	}
	return ids, len(seen)
}

type memoryState struct {
	Epoch int64 `json:"epoch"`
	Pos   int   `json:"pos"`
	N     int   `json:"rows"`
}

// MarshalState returns the store's position (epoch, row).
func (m *Memory) MarshalState() ([]byte, error) {
	return json.Marshal(memoryState{m.epoch, m.pos, m.n})
}

// UnmarshalState restores a position saved by MarshalState.
func (m *Memory) UnmarshalState(b []byte) error {
	var st memoryState
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("activations: store state: %w", err)
	}
	if st.N != m.n {
		return fmt.Errorf("activations: store state is for %d rows, this store has %d (different data?)", st.N, m.n)
	}
	if st.Pos < 0 || st.Pos > m.n || st.Epoch < 0 {
		return fmt.Errorf("activations: store state: position %d of %d rows, epoch %d", st.Pos, m.n, st.Epoch)
	}
	m.epoch, m.pos = st.Epoch, st.Pos
	m.reorder()
	return nil
}
