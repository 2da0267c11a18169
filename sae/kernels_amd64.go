//go:build amd64 && !noasm

package sae

import "golang.org/x/sys/cpu"

// useAVX2 selects the AVX2+FMA assembly kernels when the CPU has them (pure
// Go otherwise). Build with -tags noasm for the pure-Go kernels everywhere,
// as with gonum. The .s files are generated with avo (see generate.go);
// each kernel's pure-Go version is in kernels_generic.go.
var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// Kernels of gemm_amd64.s: dense small matrix products.

// gemmAccAVX2 out[r*s+j] += Σ_k a[r*d+k]·w[k*s+j] for r < rows, j < s8 (a
// multiple of 8).
//
//go:noescape
func gemmAccAVX2(out, a, w *float32, rows, d, s, s8 int)

// gemmTNAccAVX2 out[i*p+j] += Σ_b a[b*m+i]·w[b*p+j] for i < m, j < p8 (a
// multiple of 8): a [n, m], w [n, p], out [m, p].
//
//go:noescape
func gemmTNAccAVX2(out, a, w *float32, n, m, p, p8 int)

// gemm4x16AVX2 out[r*s+j] += Σ_k a[r*d+k]·w[k*ws+j] for r < rows4 (a
// multiple of 4), j < 16.
//
//go:noescape
func gemm4x16AVX2(out, a, w *float32, rows4, d, s, ws int)

// gemm6x16AVX2 out[r*s+j] += Σ_k a[r*d+k]·w[k*ws+j] for r < 6·tiles,
// j < 16 (each element's terms in k order, as gemm4x16AVX2).
//
//go:noescape
func gemm6x16AVX2(out, a, w *float32, tiles, d, s, ws int)

// gemmTN4x16AVX2 out[i*p+j] += Σ_b a[b*lda+i]·w[b*p+j] for i < m4 (a
// multiple of 4), j < 16.
//
//go:noescape
func gemmTN4x16AVX2(out, a, w *float32, n, m4, p, lda int)

// Kernels of gather_amd64.s: products over gathered rows.

// gaxpyAVX2 out[j] += Σ_{t<nnz} xs[t]·w[ks[t]*ld+j] for j < n (a multiple of
// 8), summed in t order.
//
//go:noescape
func gaxpyAVX2(out, w *float32, ks *int32, xs *float32, nnz, ld, n int)

// gaxpy2AVX2 y[j] += Σ_t xf[t]·w[ks[t]*ld+j] and v[j] += Σ_t
// xp[t]·w[ks[t]*ld+j] for j < n8, each row of w loaded once.
//
//go:noescape
func gaxpy2AVX2(y, v, w *float32, ks *int32, xf, xp *float32, nnz, ld, n8 int)

// gatedDotsAVX2 outP[t] = Σ_{j<n8} dvia[r*ld+j]·w[j] and outF[t] = Σ_{j<n8}
// dy[r*ld+j]·w[j] for t < nrows, r = rows[t].
//
//go:noescape
func gatedDotsAVX2(w, dvia, dy *float32, rows *int32, nrows, ld, n8 int, outP, outF *float32)

// dot4AVX2 out[r] = Σ_{j<n} w[j]·x_r[j] for the four rows x0..x3 (n a
// multiple of 16).
//
//go:noescape
func dot4AVX2(w, x0, x1, x2, x3 *float32, n int, out *[4]float32)

// Kernels of vector_amd64.s: vector kernels.

// axpyAVX2 y[i] += a·x[i] for i < n&^7 (the caller finishes the tail).
//
//go:noescape
func axpyAVX2(a float32, x, y *float32, n int)

// dotAVX2 returns Σ x[i]·y[i] for i < n&^7 (the caller adds the tail).
//
//go:noescape
func dotAVX2(x, y *float32, n int) float32

// sumSqAVX2 returns Σ x[i]² over n (a multiple of 8) values.
//
//go:noescape
func sumSqAVX2(x *float32, n int) float32

// scaleAVX2 x[i] *= c for n (a multiple of 8) values.
//
//go:noescape
func scaleAVX2(x *float32, n int, c float32)

// firstAboveAVX2 returns the smallest i < n with v[i] > t, or n (n a
// multiple of 8).
//
//go:noescape
func firstAboveAVX2(v *float32, n int, t float32) int

// Kernels of rows_amd64.s: row-wise passes over narrow matrices.

// normalizeRows4AVX scales each of rows rows of d (a multiple of 4) values
// to unit norm, summing as dotNarrow does.
//
//go:noescape
func normalizeRows4AVX(w *float32, rows, d int)

// removeParallel4AVX removes from each gradient row its component along the
// weight row (p = Σ g·w as dotNarrow sums; g -= p·w when p != 0).
//
//go:noescape
func removeParallel4AVX(wdec, gdec *float32, rows, d int)

// copyRowsAVX copies rows rows of d (a multiple of 4) values between
// matrices with row strides ldd and lds.
//
//go:noescape
func copyRowsAVX(dst *float32, ldd int, src *float32, lds int, rows, d int)

// copyRowsMaskAVX is copyRowsAVX for any d: the last d%8 values of each
// row through the lane mask at mask (first d%8 lanes set, laneMask).
//
//go:noescape
func copyRowsMaskAVX(dst *float32, ldd int, src *float32, lds int, rows, d int, mask *int32)

// copyRowsBlendAVX is copyRowsMaskAVX that merges each row's last d%8
// values into the destination's 8 (rewriting the others with their own
// values) instead of a masked store: it needs ldd ≥ d rounded up to 8.
//
//go:noescape
func copyRowsBlendAVX(dst *float32, ldd int, src *float32, lds int, rows, d int, mask *int32)

// transpose8AVX2 writes dst[(8b+j)*ldd+i] = src[i*lds+8b+j] for b < nblk, i,
// j < 8.
//
//go:noescape
func transpose8AVX2(dst *float32, ldd int, src *float32, lds int, nblk int)

// transpose8x4AVX writes dst[c*ldd+i] = src[i*lds+c] for c < 4, i < 8.
//
//go:noescape
func transpose8x4AVX(dst *float32, ldd int, src *float32, lds int)

// Kernels of fused_amd64.s: fused element-wise step passes.

// reluCountAVX2 writes f = max(pre, +0), adds 1 to cc[i] where pre[i] > 0
// and returns the number of positives (n a multiple of 8).
//
//go:noescape
func reluCountAVX2(f, pre *float32, cc *int32, n int) int

// reluCountMultAVX2 writes f = max(pre, +0), adds m to cc[i] where pre[i] >
// 0 and returns the number of positives (n a multiple of 8).
//
//go:noescape
func reluCountMultAVX2(f, pre *float32, cc *int32, n int, m int32) int

// l1FusedAVX2 sets d = df + lam where f > 0, else +0; df = d; cs += d;
// returns Σ f (f >= 0, n a multiple of 8).
//
//go:noescape
func l1FusedAVX2(df, f, cs *float32, lam float32, n int) float32

// adamScaleZeroAVX2 is the Adam update of n (a multiple of 8) elements of
// the gradient scaled by gs, which is then cleared (adam.update's operation
// order).
//
//go:noescape
func adamScaleZeroAVX2(param, grad, m1, m2 *float32, n int, gs, b1, omb1, b2, omb2, stepSize, eps float32)
