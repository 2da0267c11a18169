//go:build !amd64 || noasm

package grad

func expNegRowsAVX2(x *float32, n int) {
	panic("grad: no assembly kernels in this build")
}
