//go:build !amd64 || noasm

package grad

// geluRowsAVX2 is the pure-Go twin under the kernel's name (coef is the
// kernel's copy of geluPoly, geluPoly8, which the twin reads itself).
func geluRowsAVX2(dst, src *float32, n int, coef *float32) {
	geluRowsGo(floats(dst, n), nil, floats(src, n))
}

// geluGradRowsAVX2 is the pure-Go twin under the kernel's name.
func geluGradRowsAVX2(dst, grad, src *float32, n int, coef *float32) {
	geluRowsGo(floats(dst, n), floats(grad, n), floats(src, n))
}

// geluRowsAVX512 is the pure-Go twin under the kernel's name.
func geluRowsAVX512(dst, src *float32, n int, coef *float32) {
	geluRowsGo(floats(dst, n), nil, floats(src, n))
}

// geluGradRowsAVX512 is the pure-Go twin under the kernel's name.
func geluGradRowsAVX512(dst, grad, src *float32, n int, coef *float32) {
	geluRowsGo(floats(dst, n), floats(grad, n), floats(src, n))
}
