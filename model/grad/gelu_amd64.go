//go:build amd64 && !noasm

package grad

// geluRowsAVX2 sets dst[i] = gelu(src[i]) for i < n (n a multiple of 8)
// with the polynomial coef (geluPoly8), bit-identical to geluRowsGo.
//
//go:noescape
func geluRowsAVX2(dst, src *float32, n int, coef *float32)

// geluGradRowsAVX2 is geluRowsAVX2 that also sets grad[i] = gelu'(src[i]).
//
//go:noescape
func geluGradRowsAVX2(dst, grad, src *float32, n int, coef *float32)

// geluRowsAVX512 is geluRowsAVX2 sixteen lanes at a time (n a multiple
// of 16), bit-identical to it.
//
//go:noescape
func geluRowsAVX512(dst, src *float32, n int, coef *float32)

// geluGradRowsAVX512 is geluGradRowsAVX2 sixteen lanes at a time (n a
// multiple of 16), bit-identical to it.
//
//go:noescape
func geluGradRowsAVX512(dst, grad, src *float32, n int, coef *float32)
