//go:build !amd64 || noasm

package grad

// mulRowsAVX2 is the pure-Go twin under the kernel's name.
func mulRowsAVX2(dst, src *float32, n int) {
	mulRowsGo(floats(dst, n), floats(src, n))
}

// addRowsAVX2 is the pure-Go twin under the kernel's name.
func addRowsAVX2(dst, src *float32, n int) {
	addRowsGo(floats(dst, n), floats(src, n))
}

// colSumsAVX2 is the pure-Go twin under the kernel's name.
func colSumsAVX2(c, b *float32, ldb, k, n int) {
	if k <= 0 {
		return
	}
	colSumsGo(floats(c, n), floats(b, (k-1)*ldb+n), ldb, k, n)
}
