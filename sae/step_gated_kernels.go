package sae

import "fmt"

// gatedDots writes dp[t] = dvia_r·w and df[t] = dy_r·w for every row
// r = rows[t] of dvia and dy ([rows, ld] row-major, w of length ld): the
// dLoss/dπ dot products of one decoder row against its entries' rows.
func gatedDots(w, dvia, dy []float32, rows []int32, ld int, dp, df []float32) {
	n := len(rows)
	if n == 0 {
		return
	}
	dp, df = dp[:n], df[:n]
	w = w[:ld]
	n8 := 0
	if useAVX2 && ld >= 8 {
		for _, r := range rows {
			if r < 0 || int(r)*ld+ld > len(dvia) || int(r)*ld+ld > len(dy) {
				panic(fmt.Sprintf("sae: gatedDots row %d outside the %d-value rows", r, min(len(dvia), len(dy))))
			}
		}
		n8 = ld &^ 7
		gatedDotsAVX2(&w[0], &dvia[0], &dy[0], &rows[0], n, ld, n8, &dp[0], &df[0])
		if n8 == ld {
			return
		}
	}
	if n8 == 0 {
		for t, r := range rows {
			o := int(r) * ld
			dp[t] = dot(dvia[o:o+ld], w)
			df[t] = dot(dy[o:o+ld], w)
		}
		return
	}
	wt := w[n8:]
	for t, r := range rows {
		o := int(r) * ld
		a := dvia[o+n8 : o+ld]
		b := dy[o+n8 : o+ld]
		a, b = a[:len(wt)], b[:len(wt)]
		var sa, sb float32
		for j, v := range wt {
			sa += a[j] * v
			sb += b[j] * v
		}
		dp[t] += sa
		df[t] += sb
	}
}

// gaxpy2 computes y[j] += Σ_t xf[t]·w[ks[t]·ld + j] and v[j] += Σ_t
// xp[t]·w[ks[t]·ld + j] for j < len(y): two gathered axpys (gaxpy) over the
// same rows of w, each row read once. Each element sums in t order.
func gaxpy2(y, v, w []float32, ld int, ks []int32, xf, xp []float32) {
	n := len(y)
	if n == 0 || len(ks) == 0 {
		return
	}
	v = v[:n]
	xf, xp = xf[:len(ks)], xp[:len(ks)]
	j0 := 0
	if useAVX2 && n >= 8 {
		for _, k := range ks {
			if k < 0 || int(k)*ld+n > len(w) {
				panic(fmt.Sprintf("sae: gaxpy2 row %d outside w (%d values, row length %d)", k, len(w), ld))
			}
		}
		j0 = n &^ 7
		gaxpy2AVX2(&y[0], &v[0], &w[0], &ks[0], &xf[0], &xp[0], len(ks), ld, j0)
		if j0 == n {
			return
		}
	}
	yt, vt := y[j0:n], v[j0:n]
	for t, k := range ks {
		a, b := xf[t], xp[t]
		row := w[int(k)*ld+j0 : int(k)*ld+n]
		row = row[:len(yt)]
		for j, r := range row {
			yt[j] += a * r
			vt[j] += b * r
		}
	}
}
