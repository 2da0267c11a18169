package model

import "math"

// A linear is a weight matrix W [in, out] prepared for the forward pass.
// Every output element is Σ_i x[i]·W[i,j] accumulated in float64 in the
// order i = 0, 1, …, in-1, then the bias is added and the sum rounded to
// float32. Which rows a goroutine handles, and where a row falls in a tile,
// never changes that arithmetic, so results do not depend on GOMAXPROCS.
//
// Two layouts are used:
//   - small matrices (in·out < smallLinear, e.g. InterpBench's d_model 9),
//     and every matrix when the AVX2+FMA kernel is unavailable (non-amd64,
//     -tags noasm), keep the transpose [out][in] in float64 and run one row
//     at a time (little set-up per call, which is what dominates at small
//     sizes; a portable Go tile measured slower than this row kernel);
//   - larger ones are packed into panels of panelCols output columns,
//     [panel][in][panelCols] float64 with zero padding, and run in tiles of
//     tileRows rows × panelCols columns so each weight loaded is used for
//     tileRows rows (the per-row product streams the whole matrix per row and
//     is bound by memory traffic at tracr sizes), by dgemm4x8AVX2.
//
// Matrices that are mostly zeros (tracr compiles each layer to read and
// write a few residual dimensions: case 113's weights are > 99 % zeros)
// also get a sparse layout, the non-zero weights of each output column in
// increasing i (sparse.go). Skipping a zero weight adds nothing to a
// float64 sum of finite products, so the sparse sums equal the dense ones
// bit for bit; rows with an infinite or NaN input, where x·0 is NaN, take
// the dense path.
type linear struct {
	in, out int
	wt      []float64 // small layout: [out][in]
	wp      []float64 // packed layout: [ceil(out/panelCols)][in][panelCols]
	sp      *sparseCols
}

const (
	// smallLinear is the in·out size below which the row-at-a-time
	// kernel is used.
	smallLinear = 2048
	// tileRows × panelCols is the register tile of the packed kernel.
	tileRows  = 4
	panelCols = 8
	// blockRows rows are widened to float64 at a time; their panel of
	// weights is reused across the block's tiles while in cache.
	blockRows = 32
)

// packedLayout reports whether an in×out matrix is packed into panels for
// the tile kernel: only when it is not small and the tile kernel is the
// vector one (dgemm4x8AVX2 in assembly). The pure-Go tile measured slower
// than the row kernel, so without the assembly every matrix keeps the
// transposed layout. The layout, not the arithmetic, is what this chooses:
// both sum in the same order.
func packedLayout(in, out int) bool { return in*out >= smallLinear && useAVX2 }

// denseOnly turns the sparse layout off (benchmarks compare the two).
var denseOnly = false

// newLinear prepares w ([in, out] row-major float32).
func newLinear(w []float32, in, out int) linear {
	return makeLinear(in, out, func(i, j int) float32 { return w[i*out+j] })
}

// headsLinear turns W [H, D, dh] into one linear D → H·dh whose output is
// laid out [H, dh].
func headsLinear(w []float32, H, D, dh int) linear {
	return makeLinear(D, H*dh, func(d, j int) float32 { return w[((j/dh)*D+d)*dh+j%dh] })
}

// headLinears returns head h's part of W [H, D, dh] as its own linear D → dh,
// for every h.
func headLinears(w []float32, H, D, dh int) []linear {
	ls := make([]linear, H)
	for h := range ls {
		ls[h] = newLinear(w[h*D*dh:(h+1)*D*dh], D, dh)
	}
	return ls
}

// makeLinear builds the layout for an in×out matrix whose element (i, j)
// is at(i, j).
func makeLinear(in, out int, at func(i, j int) float32) linear {
	l := linear{in: in, out: out}
	if !denseOnly {
		l.sp = newSparseCols(in, out, at)
	}
	if !packedLayout(in, out) {
		l.wt = make([]float64, in*out)
		for i := 0; i < in; i++ {
			for j := 0; j < out; j++ {
				l.wt[j*in+i] = float64(at(i, j))
			}
		}
		return l
	}
	panels := (out + panelCols - 1) / panelCols
	l.wp = make([]float64, panels*in*panelCols)
	for p := 0; p < panels; p++ {
		for i := 0; i < in; i++ {
			dst := l.wp[(p*in+i)*panelCols : (p*in+i+1)*panelCols]
			for jj := range dst {
				if j := p*panelCols + jj; j < out {
					dst[jj] = float64(at(i, j))
				}
			}
		}
	}
	return l
}

// applyRows runs l over n rows of x ([n, l.in]) into out ([n, l.out]),
// which must be zero (a new tensor).
func (l linear) applyRows(out, x []float32, bias []float32, n int) {
	l.applyStrided(out, l.out, x, l.in, bias, n, true)
}

// applyStrided computes out[r*ldo+j] = bias[j] + Σ_i x[r*ldx+i]·W[i,j] for
// r < n, j < l.out (bias may be nil), split over the rows on GOMAXPROCS
// goroutines. zeroed says out's rows are zero already (a new tensor): the
// sparse layout then does not write the columns without weights when
// they output +0.
func (l linear) applyStrided(out []float32, ldo int, x []float32, ldx int, bias []float32, n int, zeroed bool) {
	if n == 0 {
		return
	}
	if l.sp != nil {
		parallel(n, l.sp.nnz()+l.in+l.out, func(lo, hi int) {
			empty := emptyColumns(l.out, bias)
			fill := !zeroed || !allPlusZero(empty)
			// Contiguous rows: one finiteness check for all of them.
			whole := ldx == l.in && finite(x[lo*ldx:hi*ldx])
			for r := lo; r < hi; r++ {
				o, xr := out[r*ldo:r*ldo+l.out], x[r*ldx:r*ldx+l.in]
				if whole || finite(xr) {
					l.sp.apply(o, xr, bias, empty, fill)
				} else {
					l.dense(out, ldo, x, ldx, bias, r, r+1)
				}
			}
		})
		return
	}
	parallel(n, l.in*l.out, func(lo, hi int) { l.dense(out, ldo, x, ldx, bias, lo, hi) })
}

// allPlusZero reports whether every value of x is +0.
func allPlusZero(x []float32) bool {
	for _, v := range x {
		if math.Float32bits(v) != 0 {
			return false
		}
	}
	return true
}

// dense is applyStrided for rows [lo, hi) with the dense layouts.
func (l linear) dense(out []float32, ldo int, x []float32, ldx int, bias []float32, lo, hi int) {
	if l.wp != nil {
		l.applyPacked(out, ldo, x, ldx, bias, lo, hi)
		return
	}
	x64 := make([]float64, l.in)
	for r := lo; r < hi; r++ {
		l.applyRow(out[r*ldo:r*ldo+l.out], widen(x64, x[r*ldx:r*ldx+l.in]), bias)
	}
}

// applyPacked is applyStrided for rows [lo, hi) with the packed layout.
func (l linear) applyPacked(out []float32, ldo int, x []float32, ldx int, bias []float32, lo, hi int) {
	in := l.in
	xb := make([]float64, blockRows*in)
	var c [tileRows * panelCols]float64
	panels := len(l.wp) / (in * panelCols)
	for r0 := lo; r0 < hi; r0 += blockRows {
		nb := min(blockRows, hi-r0)
		nt := (nb + tileRows - 1) / tileRows * tileRows
		for r := 0; r < nb; r++ {
			widen(xb[r*in:(r+1)*in], x[(r0+r)*ldx:(r0+r)*ldx+in])
		}
		clear(xb[nb*in : nt*in])
		for p := 0; p < panels; p++ {
			w := l.wp[p*in*panelCols : (p+1)*in*panelCols]
			j0 := p * panelCols
			nj := min(panelCols, l.out-j0)
			for t := 0; t < nt; t += tileRows {
				dgemm4x8AVX2(&c, &xb[t*in], &w[0], in, in)
				for rr := 0; rr < tileRows && t+rr < nb; rr++ {
					o := out[(r0+t+rr)*ldo+j0 : (r0+t+rr)*ldo+j0+nj]
					cr := c[rr*panelCols : rr*panelCols+nj]
					if bias != nil {
						b := bias[j0 : j0+nj]
						for jj, v := range cr {
							o[jj] = float32(v + float64(b[jj]))
						}
					} else {
						for jj, v := range cr {
							o[jj] = float32(v)
						}
					}
				}
			}
		}
	}
}

// applyRow computes dst[j] = bias[j] + Σ_i x[i]·W[i,j] for one input row
// already widened to float64 (x64, length l.in) with the small layout.
// bias may be nil.
func (l linear) applyRow(dst []float32, x64 []float64, bias []float32) {
	n := l.in
	x64 = x64[:n]
	j := 0
	for ; j+4 <= l.out; j += 4 {
		w0 := l.wt[j*n : (j+1)*n]
		w1 := l.wt[(j+1)*n : (j+2)*n]
		w2 := l.wt[(j+2)*n : (j+3)*n]
		w3 := l.wt[(j+3)*n : (j+4)*n]
		var s0, s1, s2, s3 float64
		for i, xv := range x64 {
			s0 += xv * w0[i]
			s1 += xv * w1[i]
			s2 += xv * w2[i]
			s3 += xv * w3[i]
		}
		if bias != nil {
			s0 += float64(bias[j])
			s1 += float64(bias[j+1])
			s2 += float64(bias[j+2])
			s3 += float64(bias[j+3])
		}
		dst[j], dst[j+1], dst[j+2], dst[j+3] = float32(s0), float32(s1), float32(s2), float32(s3)
	}
	for ; j < l.out; j++ {
		w := l.wt[j*n : (j+1)*n]
		var s float64
		for i, xv := range x64 {
			s += xv * w[i]
		}
		if bias != nil {
			s += float64(bias[j])
		}
		dst[j] = float32(s)
	}
}

// widen copies a float32 row into a float64 scratch row.
func widen(dst []float64, src []float32) []float64 {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = float64(v)
	}
	return dst
}
