//go:build amd64 && !noasm

package grad

// expNegRowsAVX2 replaces x[i] by expNeg(x[i]) for i < n (n a multiple of
// 8), bit-identical to expNeg.
//
//go:noescape
func expNegRowsAVX2(x *float32, n int)
