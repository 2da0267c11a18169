//go:build amd64 && !noasm

package grad

// mulRowsAVX2 sets dst[i] *= src[i] for i < n (n a multiple of 8),
// bit-identical to mulRowsGo.
//
//go:noescape
func mulRowsAVX2(dst, src *float32, n int)

// addRowsAVX2 sets dst[i] += src[i] for i < n (n a multiple of 8),
// bit-identical to addRowsGo.
//
//go:noescape
func addRowsAVX2(dst, src *float32, n int)

// colSumsAVX2 sets c[j] += Σ_{i<k} b[i*ldb+j], in increasing i, for j < n
// (n a multiple of 8), bit-identical to colSumsGo.
//
//go:noescape
func colSumsAVX2(c, b *float32, ldb, k, n int)
