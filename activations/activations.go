package activations

// Set is a matrix of activation vectors with where each came from.
type Set struct {
	// Data holds N rows of DIn values.
	Data []float32
	DIn  int
	// Row and Pos give the token row and position of each vector (nil when
	// unknown, e.g. for plain-file input).
	Row, Pos []int
	// HookName and HookHeadIndex describe the source (empty/nil if unknown).
	HookName      string
	HookHeadIndex *int
	// ContextSize is the token-row length T (0 if unknown).
	ContextSize int
}

// N is the number of vectors.
func (s *Set) N() int {
	if s.DIn == 0 {
		return 0
	}
	return len(s.Data) / s.DIn
}
