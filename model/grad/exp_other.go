//go:build !amd64 || noasm

package grad

// expNegRowsAVX2 is the pure-Go twin under the kernel's name.
func expNegRowsAVX2(x *float32, n int) {
	xs := floats(x, n)
	for i, v := range xs {
		xs[i] = expNeg(v)
	}
}
