package grad

// mulRows sets dst[i] *= src[i] for i < len(dst) (src at least as long):
// the backward pass's gradient through an activation, dpost ⊙ act'(pre).
// The AVX2 kernel does eight elements per instruction, one rounded
// multiply each, so it is bit-identical to mulRowsGo.
func mulRows(dst, src []float32) {
	src = src[:len(dst)]
	n8 := 0
	if useAVX2 {
		n8 = len(dst) &^ 7
	}
	if n8 > 0 {
		mulRowsAVX2(&dst[0], &src[0], n8)
	}
	mulRowsGo(dst[n8:], src[n8:])
}

// mulRowsGo is the pure-Go twin of mulRowsAVX2.
func mulRowsGo(dst, src []float32) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] *= v
	}
}

// addRows sets dst[i] += src[i] for i < len(dst) (src at least as long):
// the sum of the chunks' gradient partials. Bit-identical to addRowsGo.
func addRows(dst, src []float32) {
	src = src[:len(dst)]
	n8 := 0
	if useAVX2 {
		n8 = len(dst) &^ 7
	}
	if n8 > 0 {
		addRowsAVX2(&dst[0], &src[0], n8)
	}
	addRowsGo(dst[n8:], src[n8:])
}

// addRowsGo is the pure-Go twin of addRowsAVX2.
func addRowsGo(dst, src []float32) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] += v
	}
}
