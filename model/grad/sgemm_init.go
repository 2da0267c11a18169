package grad

import "fmt"

// sgemmInit is sgemm on a C that first gets its starting value: row r of C
// (columns < n) is set to bias, or, when x is non-nil, to x's row r (row
// stride ldc) plus bias, then the product is accumulated. It is
// bit-identical to biasRows / addRows followed by sgemm, without the
// separate pass over C (the AVX2 kernels load the start into registers).
func sgemmInit(c []float32, ldc int, a []float32, sar, sak int, b []float32, ldb int, m, k, n int, x, bias []float32) {
	if m <= 0 || n <= 0 {
		return
	}
	if n%8 != 0 || len(bias) < n || (x != nil && (m-1)*ldc+n > len(x)) {
		panic(fmt.Sprintf("grad: sgemmInit: n = %d (a multiple of 8?), bias %d, x %d for m %d ldc %d", n, len(bias), len(x), m, ldc))
	}
	if !useAVX2 || k <= 0 {
		sgemmInitGo(c, ldc, a, sar, sak, b, ldb, m, k, n, x, bias)
		return
	}
	if (m-1)*ldc+n > len(c) || (m-1)*sar+(k-1)*sak >= len(a) || (k-1)*ldb+n > len(b) {
		panic(fmt.Sprintf("grad: sgemmInit: slices too short (c %d, a %d, b %d for m %d k %d n %d)", len(c), len(a), len(b), m, k, n))
	}
	if useAVX512 {
		sgemmZ(c, ldc, a, sar, sak, b, ldb, m, k, n, x, bias)
		return
	}
	j := 0
	if n%16 == 8 && n >= 24 {
		// As in sgemm: 24 columns four rows at a time first.
		m4 := m &^ 3
		if m4 > 0 {
			if x != nil {
				sgemm4Col3XBiasAVX2(&c[0], ldc, &a[0], sar, sak, &b[0], ldb, m4, k, &x[0], &bias[0])
			} else {
				sgemm4Col3BiasAVX2(&c[0], ldc, &a[0], sar, sak, &b[0], ldb, m4, k, &bias[0])
			}
		}
		if m4 < m {
			o, ao := m4*ldc, m4*sar
			if x != nil {
				sgemmCol2XBiasAVX2(&c[o], ldc, &a[ao], sar, sak, &b[0], ldb, m-m4, k, &x[o], &bias[0])
				sgemmColXBiasAVX2(&c[o+16], ldc, &a[ao], sar, sak, &b[16], ldb, m-m4, k, &x[o+16], &bias[16])
			} else {
				sgemmCol2BiasAVX2(&c[o], ldc, &a[ao], sar, sak, &b[0], ldb, m-m4, k, &bias[0])
				sgemmColBiasAVX2(&c[o+16], ldc, &a[ao], sar, sak, &b[16], ldb, m-m4, k, &bias[16])
			}
		}
		j = 24
	}
	m6 := rows6(m)
	for ; j+16 <= n; j += 16 {
		if m6 > 0 {
			if x != nil {
				sgemm6Col2XBiasAVX2(&c[j], ldc, &a[0], sar, sak, &b[j], ldb, m6, k, &x[j], &bias[j])
			} else {
				sgemm6Col2BiasAVX2(&c[j], ldc, &a[0], sar, sak, &b[j], ldb, m6, k, &bias[j])
			}
		}
		if m6 == m {
			continue
		}
		o := m6 * ldc
		if x != nil {
			sgemmCol2XBiasAVX2(&c[o+j], ldc, &a[m6*sar], sar, sak, &b[j], ldb, m-m6, k, &x[o+j], &bias[j])
		} else {
			sgemmCol2BiasAVX2(&c[o+j], ldc, &a[m6*sar], sar, sak, &b[j], ldb, m-m6, k, &bias[j])
		}
	}
	if j < n {
		if x != nil {
			sgemmColXBiasAVX2(&c[j], ldc, &a[0], sar, sak, &b[j], ldb, m, k, &x[j], &bias[j])
		} else {
			sgemmColBiasAVX2(&c[j], ldc, &a[0], sar, sak, &b[j], ldb, m, k, &bias[j])
		}
	}
}

// sgemmInitGo is the pure-Go twin of sgemmInit: the start, then sgemm.
func sgemmInitGo(c []float32, ldc int, a []float32, sar, sak int, b []float32, ldb int, m, k, n int, x, bias []float32) {
	bias = bias[:n]
	for r := 0; r < m; r++ {
		cr := c[r*ldc : r*ldc+n]
		if x == nil {
			copy(cr, bias)
			continue
		}
		xr := x[r*ldc : r*ldc+n]
		for j, v := range bias {
			cr[j] = xr[j] + v
		}
	}
	sgemm(c, ldc, a, sar, sak, b, ldb, m, k, n)
}
