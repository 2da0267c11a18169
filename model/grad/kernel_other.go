//go:build !amd64 || noasm

package grad

import "unsafe"

// useAVX2 is false: the kernels below are the pure-Go twins under the
// assembly kernels' names (the wrappers sgemm, sgemmInit, geluRows and
// expNegRows call the twins directly when useAVX2 is false, so these
// run only if a caller reaches a kernel by name).
var useAVX2 = false

// floats views n float32s at p (n ≤ 0: none).
func floats(p *float32, n int) []float32 {
	if n <= 0 {
		return nil
	}
	return unsafe.Slice(p, n)
}

// sgemmBlock is the Go twin of the w-column block kernels: C (rows m,
// stride ldc) += A·B over k, columns < w.
func sgemmBlock(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k, w int) {
	if m <= 0 || k <= 0 {
		return
	}
	sgemmGo(floats(c, (m-1)*ldc+w), ldc, floats(a, (m-1)*sar+(k-1)*sak+1), sar, sak, floats(b, (k-1)*ldb+w), ldb, m, k, w)
}

// startBlock sets C's rows (columns < w) to bias, or to x's row plus bias.
func startBlock(c *float32, ldc, m, w int, x, bias *float32) {
	if m <= 0 {
		return
	}
	cs, bs := floats(c, (m-1)*ldc+w), floats(bias, w)
	var xs []float32
	if x != nil {
		xs = floats(x, (m-1)*ldc+w)
	}
	for r := 0; r < m; r++ {
		for j := 0; j < w; j++ {
			v := bs[j]
			if xs != nil {
				v = xs[r*ldc+j] + v
			}
			cs[r*ldc+j] = v
		}
	}
}

func sgemmColAVX2(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int) {
	sgemmBlock(c, ldc, a, sar, sak, b, ldb, m, k, 8)
}

func sgemmCol2AVX2(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int) {
	sgemmBlock(c, ldc, a, sar, sak, b, ldb, m, k, 16)
}

func sgemmColBiasAVX2(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, bias *float32) {
	startBlock(c, ldc, m, 8, nil, bias)
	sgemmBlock(c, ldc, a, sar, sak, b, ldb, m, k, 8)
}

func sgemmCol2BiasAVX2(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, bias *float32) {
	startBlock(c, ldc, m, 16, nil, bias)
	sgemmBlock(c, ldc, a, sar, sak, b, ldb, m, k, 16)
}

func sgemmColXBiasAVX2(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, x, bias *float32) {
	startBlock(c, ldc, m, 8, x, bias)
	sgemmBlock(c, ldc, a, sar, sak, b, ldb, m, k, 8)
}

func sgemmCol2XBiasAVX2(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, x, bias *float32) {
	startBlock(c, ldc, m, 16, x, bias)
	sgemmBlock(c, ldc, a, sar, sak, b, ldb, m, k, 16)
}

func sgemm6Col2AVX2(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int) {
	sgemmBlock(c, ldc, a, sar, sak, b, ldb, m, k, 16)
}

func sgemm6Col2BiasAVX2(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, bias *float32) {
	startBlock(c, ldc, m, 16, nil, bias)
	sgemmBlock(c, ldc, a, sar, sak, b, ldb, m, k, 16)
}

func sgemm6Col2XBiasAVX2(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, x, bias *float32) {
	startBlock(c, ldc, m, 16, x, bias)
	sgemmBlock(c, ldc, a, sar, sak, b, ldb, m, k, 16)
}

func sgemm4Col3AVX2(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int) {
	sgemmBlock(c, ldc, a, sar, sak, b, ldb, m, k, 24)
}

func sgemm4Col3BiasAVX2(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, bias *float32) {
	startBlock(c, ldc, m, 24, nil, bias)
	sgemmBlock(c, ldc, a, sar, sak, b, ldb, m, k, 24)
}

func sgemm4Col3XBiasAVX2(c *float32, ldc int, a *float32, sar, sak int, b *float32, ldb int, m, k int, x, bias *float32) {
	startBlock(c, ldc, m, 24, x, bias)
	sgemmBlock(c, ldc, a, sar, sak, b, ldb, m, k, 24)
}

// pack6AVX2 is the Go twin of the panel copy (packPanels calls pack6Go
// directly when useAVX2 is false).
func pack6AVX2(dst, a *float32, sak, k int) {
	if k <= 0 {
		return
	}
	pack6Go(floats(dst, 6*k), floats(a, (k-1)*sak+6), sak, k)
}
