package sae

import (
	"math"
	"unsafe"
)

// Pure-Go implementations of the amd64 assembly kernels, with the same
// arguments and results (not the same summation order, so not the same
// bits). Builds without the assembly (other architectures, -tags noasm)
// use them under the kernels' names (kernels_other.go); on amd64 the kernel
// tests compare each assembly kernel with its Go version.

// floatsAt views n float32s from p (nil when n <= 0).
func floatsAt(p *float32, n int) []float32 {
	if n <= 0 {
		return nil
	}
	return unsafe.Slice(p, n)
}

// int32sAt views n int32s from p (nil when n <= 0).
func int32sAt(p *int32, n int) []int32 {
	if n <= 0 {
		return nil
	}
	return unsafe.Slice(p, n)
}

// gemmAccGo: out[r*s+j] += Σ_k a[r*d+k]·w[k*s+j] for r < rows, j < s8.
func gemmAccGo(out, a, w *float32, rows, d, s, s8 int) {
	if rows == 0 || s8 == 0 {
		return
	}
	o, av, wv := floatsAt(out, (rows-1)*s+s8), floatsAt(a, rows*d), floatsAt(w, max(d-1, 0)*s+s8)
	for r := 0; r < rows; r++ {
		for k := 0; k < d; k++ {
			x := av[r*d+k]
			for j := 0; j < s8; j++ {
				o[r*s+j] += x * wv[k*s+j]
			}
		}
	}
}

// gemmTNAccGo: out[i*p+j] += Σ_b a[b*m+i]·w[b*p+j] for i < m, j < p8.
func gemmTNAccGo(out, a, w *float32, n, m, p, p8 int) {
	if m == 0 || p8 == 0 {
		return
	}
	o, av, wv := floatsAt(out, (m-1)*p+p8), floatsAt(a, n*m), floatsAt(w, max(n-1, 0)*p+p8)
	for b := 0; b < n; b++ {
		for i := 0; i < m; i++ {
			x := av[b*m+i]
			for j := 0; j < p8; j++ {
				o[i*p+j] += x * wv[b*p+j]
			}
		}
	}
}

// gemm4x16Go: out[r*s+j] += Σ_k a[r*d+k]·w[k*ws+j] for r < rows4, j < 16
// (any row count: gemm6x16AVX2's pure-Go version too).
func gemm4x16Go(out, a, w *float32, rows4, d, s, ws int) {
	if rows4 == 0 {
		return
	}
	o, av, wv := floatsAt(out, (rows4-1)*s+16), floatsAt(a, rows4*d), floatsAt(w, max(d-1, 0)*ws+16)
	for r := 0; r < rows4; r++ {
		for k := 0; k < d; k++ {
			x := av[r*d+k]
			for j := 0; j < 16; j++ {
				o[r*s+j] += x * wv[k*ws+j]
			}
		}
	}
}

// gemmTN4x16Go: out[i*p+j] += Σ_b a[b*lda+i]·w[b*p+j] for i < m4, j < 16.
func gemmTN4x16Go(out, a, w *float32, n, m4, p, lda int) {
	if m4 == 0 || n == 0 {
		return
	}
	o, av, wv := floatsAt(out, (m4-1)*p+16), floatsAt(a, (n-1)*lda+m4), floatsAt(w, (n-1)*p+16)
	for b := 0; b < n; b++ {
		for i := 0; i < m4; i++ {
			x := av[b*lda+i]
			for j := 0; j < 16; j++ {
				o[i*p+j] += x * wv[b*p+j]
			}
		}
	}
}

// axpyGo: y[i] += a·x[i] for i < n&^7.
func axpyGo(a float32, x, y *float32, n int) {
	n &^= 7
	xv, yv := floatsAt(x, n), floatsAt(y, n)
	for i := range xv {
		yv[i] += a * xv[i]
	}
}

// dotGo: Σ x[i]·y[i] for i < n&^7.
func dotGo(x, y *float32, n int) float32 {
	n &^= 7
	xv, yv := floatsAt(x, n), floatsAt(y, n)
	var s float32
	for i := range xv {
		s += xv[i] * yv[i]
	}
	return s
}

// reluCountGo: f = max(pre, +0); cc[i] += 1 where pre[i] > 0; returns the
// number of positives.
func reluCountGo(f, pre *float32, cc *int32, n int) int {
	return reluCountMultGo(f, pre, cc, n, 1)
}

// reluCountMultGo: f = max(pre, +0); cc[i] += m where pre[i] > 0; returns
// the number of positives.
func reluCountMultGo(f, pre *float32, cc *int32, n int, m int32) int {
	fv, pv, cv := floatsAt(f, n), floatsAt(pre, n), int32sAt(cc, n)
	pos := 0
	for i, p := range pv {
		if p > 0 {
			fv[i] = p
			cv[i] += m
			pos++
		} else {
			fv[i] = 0
		}
	}
	return pos
}

// l1FusedGo: for f ≥ 0, d = df + lam where f > 0, else +0; df = d; cs += d;
// returns Σ f.
func l1FusedGo(df, f, cs *float32, lam float32, n int) float32 {
	dv, fv, cv := floatsAt(df, n), floatsAt(f, n), floatsAt(cs, n)
	var sum float32
	for i, x := range fv {
		var d float32
		if x > 0 {
			d = dv[i] + lam
		}
		dv[i] = d
		cv[i] += d
		sum += x
	}
	return sum
}

// gaxpyGo: out[j] += Σ_{t<nnz} xs[t]·w[ks[t]*ld+j] for j < n, t in order.
func gaxpyGo(out, w *float32, ks *int32, xs *float32, nnz, ld, n int) {
	o, kv, xv := floatsAt(out, n), int32sAt(ks, nnz), floatsAt(xs, nnz)
	for t, k := range kv {
		row := unsafe.Slice((*float32)(unsafe.Add(unsafe.Pointer(w), uintptr(int(k)*ld)*4)), n)
		x := xv[t]
		for j := range o {
			o[j] += x * row[j]
		}
	}
}

// gaxpy2Go: y[j] += Σ_t xf[t]·w[ks[t]*ld+j] and v[j] += Σ_t xp[t]·w[ks[t]*ld+j]
// for j < n8, t in order.
func gaxpy2Go(y, v, w *float32, ks *int32, xf, xp *float32, nnz, ld, n8 int) {
	gaxpyGo(y, w, ks, xf, nnz, ld, n8)
	gaxpyGo(v, w, ks, xp, nnz, ld, n8)
}

// gatedDotsGo: for t < nrows, r = rows[t]: outP[t] = Σ_{j<n8}
// dvia[r*ld+j]·w[j] and outF[t] = Σ_{j<n8} dy[r*ld+j]·w[j].
func gatedDotsGo(w, dvia, dy *float32, rows *int32, nrows, ld, n8 int, outP, outF *float32) {
	wv, rv, pv, fv := floatsAt(w, n8), int32sAt(rows, nrows), floatsAt(outP, nrows), floatsAt(outF, nrows)
	at := func(p *float32, r int) []float32 {
		return unsafe.Slice((*float32)(unsafe.Add(unsafe.Pointer(p), uintptr(r*ld)*4)), n8)
	}
	for t, r := range rv {
		a, b := at(dvia, int(r)), at(dy, int(r))
		var sp, sf float32
		for j, x := range wv {
			sp += a[j] * x
			sf += b[j] * x
		}
		pv[t], fv[t] = sp, sf
	}
}

// sumSqGo: Σ x[i]² for i < n.
func sumSqGo(x *float32, n int) float32 {
	var s float32
	for _, v := range floatsAt(x, n) {
		s += v * v
	}
	return s
}

// adamScaleZeroGo is adam.update's scalar loop: g' = g·gs; m = b1·m +
// omb1·g'; v = b2·v + (omb2·g')·g'; p -= (stepSize·m) / (sqrt(v) + eps);
// g = 0.
func adamScaleZeroGo(param, grad, m1, m2 *float32, n int, gs, b1, omb1, b2, omb2, stepSize, eps float32) {
	p, g, m, v := floatsAt(param, n), floatsAt(grad, n), floatsAt(m1, n), floatsAt(m2, n)
	for i := range p {
		gi := g[i] * gs
		g[i] = 0
		// float32(…): products rounded before the sums, as the vector
		// kernel does, also where GOAMD64=v3 would fuse them into FMAs.
		m[i] = float32(b1*m[i]) + float32(omb1*gi)
		v[i] = float32(b2*v[i]) + float32(omb2*gi*gi)
		p[i] -= stepSize * m[i] / (float32(math.Sqrt(float64(v[i]))) + eps)
	}
}

// scaleGo: x[i] *= c for i < n.
func scaleGo(x *float32, n int, c float32) {
	xv := floatsAt(x, n)
	for i := range xv {
		xv[i] *= c
	}
}

// transpose8Go transposes nblk 8×8 blocks side by side:
// dst[(8b+j)*ldd + i] = src[i*lds + 8b + j] for b < nblk, i, j < 8.
func transpose8Go(dst *float32, ldd int, src *float32, lds int, nblk int) {
	if nblk == 0 {
		return
	}
	d, s := floatsAt(dst, (8*nblk-1)*ldd+8), floatsAt(src, 7*lds+8*nblk)
	for b := 0; b < nblk; b++ {
		for i := 0; i < 8; i++ {
			for j := 0; j < 8; j++ {
				d[(8*b+j)*ldd+i] = s[i*lds+8*b+j]
			}
		}
	}
}

// transpose8x4Go: dst[c*ldd + i] = src[i*lds + c] for c < 4, i < 8.
func transpose8x4Go(dst *float32, ldd int, src *float32, lds int) {
	d, s := floatsAt(dst, 3*ldd+8), floatsAt(src, 7*lds+4)
	for c := 0; c < 4; c++ {
		for i := 0; i < 8; i++ {
			d[c*ldd+i] = s[i*lds+c]
		}
	}
}

// normalizeRows4Go scales each of rows rows of d values to unit L2 norm
// (the sum of squares in dotNarrow's order).
func normalizeRows4Go(w *float32, rows, d int) {
	wv := floatsAt(w, rows*d)
	for i := 0; i < rows; i++ {
		row := wv[i*d : i*d+d]
		inv := 1 / float32(math.Sqrt(float64(dotNarrow(row, row))))
		for j := range row {
			row[j] *= inv
		}
	}
}

// removeParallel4Go removes from each gradient row its component along the
// weight row: p = Σ g·w (dotNarrow's order); when p != 0, g -= p·w.
func removeParallel4Go(wdec, gdec *float32, rows, d int) {
	wv, gv := floatsAt(wdec, rows*d), floatsAt(gdec, rows*d)
	for i := 0; i < rows; i++ {
		row, gr := wv[i*d:i*d+d], gv[i*d:i*d+d]
		if p := dotNarrow(gr, row); p != 0 {
			for j, v := range row {
				gr[j] -= p * v
			}
		}
	}
}

// copyRowsGo copies rows rows of d values between matrices with row
// strides ldd and lds (in elements).
func copyRowsGo(dst *float32, ldd int, src *float32, lds int, rows, d int) {
	if rows == 0 {
		return
	}
	dv, sv := floatsAt(dst, (rows-1)*ldd+d), floatsAt(src, (rows-1)*lds+d)
	for r := 0; r < rows; r++ {
		copy(dv[r*ldd:r*ldd+d], sv[r*lds:r*lds+d])
	}
}

// dot4Go: out[r] = Σ_{j<n} w[j]·x_r[j] for the four rows x0..x3.
func dot4Go(w, x0, x1, x2, x3 *float32, n int, out *[4]float32) {
	wv := floatsAt(w, n)
	for r, x := range [4]*float32{x0, x1, x2, x3} {
		var s float32
		for j, v := range floatsAt(x, n) {
			s += wv[j] * v
		}
		out[r] = s
	}
}

// firstAboveGo returns the smallest i < n with v[i] > t, or n.
func firstAboveGo(v *float32, n int, t float32) int {
	for i, x := range floatsAt(v, n) {
		if x > t {
			return i
		}
	}
	return n
}
