package grad

import "fmt"

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

// colSums sets c[j] += Σ_{i<k} b[i*ldb+j] for j < n (n a multiple of 8),
// adding the rows in increasing i: the bias gradients. Each sum is the
// chain sgemm makes with a row of ones (1·x is exact, so a fused
// multiply-add of 1 rounds like an addition), bit for bit, but the AVX2
// kernel keeps up to eight column blocks in flight instead of waiting on
// one addition after another.
func colSums(c, b []float32, ldb, k, n int) {
	if k <= 0 || n <= 0 {
		return
	}
	if n%8 != 0 || len(c) < n || (k-1)*ldb+n > len(b) {
		panic(fmt.Sprintf("grad: colSums: n %d, c %d, b %d for k %d ldb %d", n, len(c), len(b), k, ldb))
	}
	if useAVX2 {
		colSumsAVX2(&c[0], &b[0], ldb, k, n)
		return
	}
	colSumsGo(c, b, ldb, k, n)
}

// colSumsGo is the pure-Go twin of colSumsAVX2: the rows added in turn.
func colSumsGo(c, b []float32, ldb, k, n int) {
	c = c[:n]
	for i := 0; i < k; i++ {
		addRowsGo(c, b[i*ldb:i*ldb+n])
	}
}
