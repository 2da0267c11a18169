package sae

// refTopK is the reference step of the TopK SAE:
//
//	pre = c·W_enc + b_enc, f = relu(pre) on the k largest pre of each row, 0 elsewhere
//	loss = MSE + AuxK
func refTopK(r *refStep) []float64 {
	B, S := r.B, r.S
	pre := r.encode(r.param("b_enc"))
	all := make([]int, S)
	for i := range all {
		all[i] = i
	}
	f := make([]float64, B*S)
	for b := 0; b < B; b++ {
		for _, i := range topOf(pre[b*S:b*S+S], all, r.s.K) {
			f[b*S+i] = max(pre[b*S+i], 0)
		}
	}
	return refTopKLoss(r, pre, f)
}

// refTopKLoss is the loss and backward pass shared by topk and batchtopk
// once the active features f are chosen: MSE + AuxK, the gradient flowing
// to pre where f is active.
func refTopKLoss(r *refStep, pre, f []float64) []float64 {
	xhat := r.decode(f)
	df := r.backDecode(f, r.mse(xhat))
	dpre := r.auxK(pre, xhat)
	for k, v := range f {
		if v > 0 {
			dpre[k] += df[k]
		}
	}
	r.backEncode(dpre, "b_enc")
	return f
}
