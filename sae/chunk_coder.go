package sae

import "fmt"

// ChunkCoder encodes and decodes a large set of rows chunk by chunk into
// buffers it reuses, with the encoder's [d_in, d_sae] copy made once:
// Reconstruct on each chunk gives Encode's and Decode's values without
// their allocations, so a caller scoring many rows never holds the whole
// feature matrix.
//
//	cc := s.NewChunkCoder(s.ChunkRows(1 << 22))
//	for r0 := 0; r0 < n; r0 += cc.Rows() {
//		acts, xhat, err := cc.Reconstruct(x[r0*d : min(r0+cc.Rows(), n)*d])
//		...
//	}
type ChunkCoder struct {
	s          *SAE
	rows       int
	wenc       []float32
	acts, xhat []float32
}

// ChunkRows is the number of rows per chunk that keeps a chunk's feature
// matrix within maxValues values: a multiple of the rows Encode prepares
// at a time (so chunked and whole encodes run the same products), at
// least one such group.
func (s *SAE) ChunkRows(maxValues int) int {
	return max(inferenceChunk, maxValues/max(s.DSAE, 1)/inferenceChunk*inferenceChunk)
}

// NewChunkCoder makes a ChunkCoder for chunks of at most rows rows.
func (s *SAE) NewChunkCoder(rows int) *ChunkCoder {
	rows = max(rows, 1)
	return &ChunkCoder{s: s, rows: rows, wenc: s.WEnc(),
		acts: make([]float32, rows*s.DSAE), xhat: make([]float32, rows*s.DIn)}
}

// Rows is the largest chunk Reconstruct takes.
func (c *ChunkCoder) Rows() int { return c.rows }

// Reconstruct encodes the rows of x ([m, d_in], m ≤ Rows()) and decodes
// the features: Encode(x) and Decode of it, in the coder's buffers (valid
// until the next call).
func (c *ChunkCoder) Reconstruct(x []float32) (acts, xhat []float32, err error) {
	d, S := c.s.DIn, c.s.DSAE
	if d <= 0 || len(x)%d != 0 {
		return nil, nil, fmt.Errorf("sae: reconstruct: input length %d is not a multiple of d_in %d", len(x), d)
	}
	m := len(x) / d
	if m > c.rows {
		return nil, nil, fmt.Errorf("sae: reconstruct: %d rows, the chunk holds %d", m, c.rows)
	}
	acts, xhat = c.acts[:m*S], c.xhat[:m*d]
	c.s.encodeRowsWith(x, acts, nil, c.wenc)
	c.s.decodeRows(acts, xhat)
	return acts, xhat, nil
}
