package sae

import "fmt"

// RowSource is a Source whose batches are rows of one fixed table (an
// in-memory activation store). The trainer then takes a batch as row
// indices: rows known to be equal are merged by their ids instead of by
// hashing, and only the distinct rows are copied. A run reads the same
// batches through NextRows as through NextBatch.
type RowSource interface {
	Source
	// NextRows fills dst with the table indices of the next len(dst) rows,
	// the rows NextBatch would copy, and advances the same way.
	NextRows(dst []int32) error
	// Rows is the table ([n, d_in], read-only).
	Rows() []float32
	// RowIDs numbers the table's distinct rows: ids[i] == ids[j] exactly
	// when rows i and j are bit-for-bit equal; ids are in [0, n).
	RowIDs() (ids []int32, n int)
}

// rowBatch is the trainer's state for batches taken as row indices.
type rowBatch struct {
	src   RowSource
	idx   []int32 // [B] table rows of the current batch
	ids   []int32 // table row → distinct id
	slot  []int32 // distinct id → step row + 1 in the current batch, 0 = absent
	table []float32
	full  bool // t.batch holds the current batch (filled lazily for logging)
}

// newRowBatch returns the row-index state for src, or nil when src is not
// a RowSource or its table and ids do not fit d_in (the trainer then
// copies batches with NextBatch).
func newRowBatch(src Source, b, d int) *rowBatch {
	rs, ok := src.(RowSource)
	if !ok {
		return nil
	}
	table := rs.Rows()
	ids, n := rs.RowIDs()
	if len(table) == 0 || len(table)%d != 0 || len(ids) != len(table)/d {
		return nil
	}
	for _, id := range ids {
		if id < 0 || int(id) >= n {
			return nil
		}
	}
	return &rowBatch{src: rs, idx: make([]int32, b), ids: ids, slot: make([]int32, n), table: table}
}

// next takes the next batch as indices and gathers its distinct rows into
// the workspace, in first-occurrence order with their multiplicities, as
// workspace.dedupe does for a copied batch. It returns the distinct rows.
func (rb *rowBatch) next(w *workspace) ([]float32, error) {
	if err := rb.src.NextRows(rb.idx); err != nil {
		return nil, err
	}
	rb.full = false
	D := w.d
	n := len(rb.table) / D
	t := &w.dd
	if t.rows == nil {
		t.rows = make([]float32, w.b*D)
	}
	u := 0
	for k, r := range rb.idx {
		if r < 0 || int(r) >= n {
			return nil, fmt.Errorf("row source: batch row %d is table row %d of %d", k, r, n)
		}
		id := rb.ids[r]
		if e := rb.slot[id]; e != 0 {
			w.mult[e-1]++
			w.rowOf[k] = e - 1
			continue
		}
		copy(t.rows[u*D:u*D+D], rb.table[int(r)*D:int(r)*D+D])
		w.mult[u] = 1
		w.rowOf[k] = int32(u)
		u++
		rb.slot[id] = int32(u)
	}
	for _, r := range rb.idx {
		rb.slot[rb.ids[r]] = 0
	}
	w.u = u
	x := t.rows[:u*D]
	if err := checkFinite(x); err != nil {
		return nil, err
	}
	return x, nil
}

// fill copies the current batch into dst ([B, d_in]).
func (rb *rowBatch) fill(dst []float32, d int) {
	for k, r := range rb.idx {
		copy(dst[k*d:k*d+d], rb.table[int(r)*d:int(r)*d+d])
	}
	rb.full = true
}
