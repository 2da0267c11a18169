package grad

import (
	"fmt"
	"math"
	"sync"
)

// sgemm computes C[r,j] += Σ_{i<k} A(r,i)·B[i,j] for r < m, j < n, where
// C[r,j] = c[r*ldc+j], A(r,i) = a[r*sar+i*sak] and B[i,j] = b[i*ldb+j]; n
// must be a multiple of 8 (the padded layouts guarantee it). Every output
// element is one chain of float32 multiply-adds in increasing i, so the
// result never depends on how rows are split among goroutines. The AVX2
// kernels (and, where the CPU has AVX-512, the zmm kernels of sgemmZ,
// bit-identical to them) fuse each multiply-add (one rounding); so does
// the pure-Go twin sgemmGo where the compiler fuses float32 x*y+z (arm64,
// ppc64, s390x), making the two bit-identical there; on amd64 without AVX2+FMA (or with
// -tags noasm) the twin rounds the product and the sum separately, which
// changes last bits only.
func sgemm(c []float32, ldc int, a []float32, sar, sak int, b []float32, ldb int, m, k, n int) {
	if m <= 0 || k <= 0 || n <= 0 {
		return
	}
	if n%8 != 0 {
		panic(fmt.Sprintf("grad: sgemm: n = %d is not a multiple of 8", n))
	}
	// The assembly does not check bounds: do it once here.
	if (m-1)*ldc+n > len(c) || (m-1)*sar+(k-1)*sak >= len(a) || (k-1)*ldb+n > len(b) {
		panic(fmt.Sprintf("grad: sgemm: slices too short (c %d, a %d, b %d for m %d k %d n %d)", len(c), len(a), len(b), m, k, n))
	}
	if !useAVX2 {
		sgemmGo(c, ldc, a, sar, sak, b, ldb, m, k, n)
		return
	}
	if useAVX512 {
		sgemmZ(c, ldc, a, sar, sak, b, ldb, m, k, n, nil, nil)
		return
	}
	j := 0
	if n%16 == 8 && n >= 24 {
		// Widths 24, 40, 56, …: the first 24 columns four rows at a time
		// (the last m%4 rows in a 16- and an 8-column block), then
		// 16-column blocks with no 8-column one left over.
		m4 := m &^ 3
		if m4 > 0 {
			sgemm4Col3AVX2(&c[0], ldc, &a[0], sar, sak, &b[0], ldb, m4, k)
		}
		if m4 < m {
			o := m4 * ldc
			sgemmCol2AVX2(&c[o], ldc, &a[m4*sar], sar, sak, &b[0], ldb, m-m4, k)
			sgemmColAVX2(&c[o+16], ldc, &a[m4*sar], sar, sak, &b[16], ldb, m-m4, k)
		}
		j = 24
	}
	m6 := rows6(m)
	// A read down its columns (the weight-gradient products, A = Xᵀ):
	// pack each six-row panel of A once, [i][6] contiguous, so that a
	// 16-column block of B and the panel stay in L1 for the block's k
	// multiply-adds instead of one strided cache line of A per i.
	var packed []float32
	var pp *[]float32
	if sar == 1 && sak >= 16 && m6 >= 12 && k >= 32 && n-j >= 32 {
		pp = packPool.Get().(*[]float32)
		packed = packPanels(*pp, a, sak, m6, k)
	}
	for ; j+16 <= n; j += 16 {
		if packed != nil {
			for p := 0; p < m6; p += 6 {
				sgemm6Col2AVX2(&c[p*ldc+j], ldc, &packed[p*k], 1, 6, &b[j], ldb, 6, k)
			}
		} else if m6 > 0 {
			sgemm6Col2AVX2(&c[j], ldc, &a[0], sar, sak, &b[j], ldb, m6, k)
		}
		if m6 < m {
			sgemmCol2AVX2(&c[m6*ldc+j], ldc, &a[m6*sar], sar, sak, &b[j], ldb, m-m6, k)
		}
	}
	if pp != nil {
		*pp = packed
		packPool.Put(pp)
	}
	if j < n {
		sgemmColAVX2(&c[j], ldc, &a[0], sar, sak, &b[j], ldb, m, k)
	}
}

// packPool holds the buffers sgemm packs panels of A into (one per
// concurrent product, reused across calls).
var packPool = sync.Pool{New: func() any { return new([]float32) }}

// packPanels copies A's first m6 rows (m6 a multiple of 6, A(r,i) =
// a[r+i*sak]) into buf (grown if needed) as panels of six rows: panel p's
// element (q, i) at p·k + 6·i + q, so the 6-row kernel reads it with row
// stride 1 and k stride 6.
func packPanels(buf, a []float32, sak, m6, k int) []float32 {
	if cap(buf) < m6*k {
		buf = make([]float32, m6*k)
	}
	buf = buf[:m6*k]
	if m6 == 0 || k == 0 {
		return buf
	}
	// The assembly does not check bounds: the last panel's last row.
	if (m6-1)+(k-1)*sak >= len(a) {
		panic(fmt.Sprintf("grad: packPanels: a has %d values, want more than %d", len(a), (m6-1)+(k-1)*sak))
	}
	for p := 0; p < m6; p += 6 {
		if useAVX2 {
			pack6AVX2(&buf[p*k], &a[p], sak, k)
		} else {
			pack6Go(buf[p*k:(p+6)*k], a[p:], sak, k)
		}
	}
	return buf
}

// pack6Go copies one six-row panel: dst[6·i+q] = a[i·sak+q].
func pack6Go(dst, a []float32, sak, k int) {
	for i := 0; i < k; i++ {
		d, s := dst[6*i:6*i+6], a[i*sak:i*sak+6]
		d[0], d[1], d[2], d[3], d[4], d[5] = s[0], s[1], s[2], s[3], s[4], s[5]
	}
}

// rows6 is how many of m rows the 16-column kernels take six at a time
// (sgemm6Col2*; the rest goes to the five/four/one-row kernels): a
// multiple of 6 that leaves a rest those finish without single rows
// (4 = 4, 5 = 5, 8 = 4+4, 9 = 5+4, 13 = 5+4+4) where m allows it.
func rows6(m int) int {
	m6 := m / 6 * 6
	switch m - m6 {
	case 1:
		if m6 >= 12 {
			m6 -= 12
		}
	case 2, 3:
		m6 -= 6
	}
	return max(m6, 0)
}

// sgemmGo is the pure-Go twin of the AVX2 kernel: the same chain of
// multiply-adds per element (i increasing), walked row by row.
func sgemmGo(c []float32, ldc int, a []float32, sar, sak int, b []float32, ldb int, m, k, n int) {
	for r := 0; r < m; r++ {
		cr := c[r*ldc : r*ldc+n]
		for i := 0; i < k; i++ {
			av := a[r*sar+i*sak]
			br := b[i*ldb : i*ldb+n]
			br = br[:len(cr)]
			for j, bv := range br {
				cr[j] += av * bv
			}
		}
	}
}

// sgemmFMA is sgemmGo with every multiply-add fused explicitly (one
// rounding, as in the AVX2 kernel), for tests.
func sgemmFMA(c []float32, ldc int, a []float32, sar, sak int, b []float32, ldb int, m, k, n int) {
	for r := 0; r < m; r++ {
		cr := c[r*ldc : r*ldc+n]
		for i := 0; i < k; i++ {
			av := a[r*sar+i*sak]
			for j, bv := range b[i*ldb : i*ldb+n] {
				cr[j] = fma32(av, bv, cr[j])
			}
		}
	}
}

// fma32 is the float32 fused multiply-add x·y+z (the float64 product of two
// float32 is exact; the sum is rounded once to float64, then to float32).
func fma32(x, y, z float32) float32 {
	return float32(math.FMA(float64(x), float64(y), float64(z)))
}
