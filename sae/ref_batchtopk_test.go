package sae

// refBatchTopK is the reference step of the BatchTopK SAE: relu(pre) on
// the ⌊k·B⌋ largest values of the whole batch (ties: the lower flat index),
// 0 elsewhere; loss = MSE + AuxK as topk.
func refBatchTopK(r *refStep) []float64 {
	B, S := r.B, r.S
	pre := r.encode(r.param("b_enc"))
	relu := make([]float64, B*S)
	all := make([]int, B*S)
	for k, p := range pre {
		relu[k], all[k] = max(p, 0), k
	}
	f := make([]float64, B*S)
	for _, k := range topOf(relu, all, int(r.s.KBatch*float64(B))) {
		f[k] = relu[k]
	}
	return refTopKLoss(r, pre, f)
}
