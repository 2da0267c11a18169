package sae

import (
	"fmt"
	"math"
	"runtime"
	"sync"
)

// gemmAccBlocked runs the AVX2 kernel on column panels of w small enough to
// stay in cache while every row of a streams past them; with large work the
// panels are shared between GOMAXPROCS goroutines.
func gemmAccBlocked(out, a, w []float32, rows, d, s, s8 int) {
	gemmAccPanels(out, a, w, nil, rows, d, s, s8)
}

// gemmAccBlockedT is gemmAccBlocked with w given as its transpose wT
// ([s, d], row-major): out[r, j] += Σ_k a[r, k]·wT[j, k]. Each panel is
// packed straight from 16 rows of wT (an 8×8-block transpose), so no
// [d, s] copy of w exists; the values are gemmAccBlocked's on that copy
// bit for bit. It needs s a multiple of 16 and rows ≥ 4.
func gemmAccBlockedT(out, a, wT []float32, rows, d, s int) {
	if s%16 != 0 || rows < 4 {
		panic(fmt.Sprintf("sae: gemmAccBlockedT: %d columns, %d rows", s, rows))
	}
	gemmAccPanels(out, a, nil, wT, rows, d, s, s)
}

// gemmAccPanels is gemmAccBlocked over w ([d, s]) or, when w is nil, over
// the transpose wT ([s, d]; then every panel is full and rows ≥ 4).
func gemmAccPanels(out, a, w, wT []float32, rows, d, s, s8 int) {
	gemmAccPanelsJobs([]gemmJob{{out, a, rows}}, w, wT, d, s, s8)
}

// gemmJob is one product of gemmAccPanelsJobs: out [rows, s] += a [rows, d]
// times the shared right operand.
type gemmJob struct {
	out, a []float32
	rows   int
}

// gemmAccPanelsJobs is gemmAccPanels for several left operands over the
// same w (or wT): each group of packed panels serves every job before the
// next group is packed, so w is packed once for all of them. Every job's
// values are gemmAccPanels' alone (the same kernels on the same tiles).
func gemmAccPanelsJobs(jobs []gemmJob, w, wT []float32, d, s, s8 int) {
	panel := 16
	nPanels := (s8 + panel - 1) / panel
	group := packPanels
	if useAVX512 {
		group = packPanels512
	}
	anyRows4, total := false, 0
	for _, jb := range jobs {
		anyRows4 = anyRows4 || jb.rows >= 4
		total += jb.rows
	}
	run := func(p0, p1 int) {
		// Each panel w[:, j:j+16] is packed contiguously first: with a
		// power-of-two-like row stride its rows would share cache sets.
		pp := packBufs.Get().(*[]float32)
		defer packBufs.Put(pp)
		if n := group*d*16 + 3*16; cap(*pp) < n {
			*pp = make([]float32, n)
		}
		pack := (*pp)[:group*d*16]
		tail := (*pp)[group*d*16 : group*d*16+3*16] // ≤ 3 rows × 16 (wT's last rows)
		for p := p0; p < p1; {
			// The next full panels, up to group, packed together row by
			// row of w (each row's 64·g bytes in one go).
			g := 0
			for g < group && p+g < p1 && (p+g)*panel+panel <= s8 {
				g++
			}
			if g == 0 || !anyRows4 {
				j := p * panel
				for _, jb := range jobs {
					gemmAccAVX2(&jb.out[j], &jb.a[0], &w[j], jb.rows, d, s, min(panel, s8-j))
				}
				p++
				continue
			}
			if w != nil {
				packPanelRows(pack, w, d, s, p*panel, g)
			} else {
				for q := 0; q < g; q++ {
					j := (p + q) * panel
					transposeTo(pack[q*d*16:], 16, wT[j*d:(j+16)*d], 16, d)
				}
			}
			for _, jb := range jobs {
				gemmPackedJob(jb, w, pack, tail, p, g, d, s)
			}
			p += g
		}
	}
	workers := runtime.GOMAXPROCS(0)
	if workers < 2 || total*d*s8 < 1<<24 || nPanels < 2 {
		run(0, nPanels)
		return
	}
	workers = min(workers, nPanels)
	var wg sync.WaitGroup
	for k := 0; k < workers; k++ {
		p0, p1 := k*nPanels/workers, (k+1)*nPanels/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			run(p0, p1)
		}()
	}
	wg.Wait()
}

// gemmPackedJob runs one job of gemmAccPanelsJobs on the g packed panels
// from panel p (pack; tail: scratch for wT's last rows): the first rows4
// rows in 6-row tiles, an even number of them so that the 4-row tiles
// cover the rest of rows4 (every tile kernel sums an element's terms in k
// order: the same values as 4-row tiles alone), then the last rows.
func gemmPackedJob(jb gemmJob, w, pack, tail []float32, p, g, d, s int) {
	const panel = 16
	out, a, rows := jb.out, jb.a, jb.rows
	rows4 := rows &^ 3
	if rows4 == 0 {
		// too few rows for the tiles: straight on w (wT needs rows ≥ 4)
		for q := 0; q < g; q++ {
			j := (p + q) * panel
			gemmAccAVX2(&out[j], &a[0], &w[j], rows, d, s, panel)
		}
		return
	}
	tiles6 := rows4 / 12 * 2
	if useAVX512 {
		gemmTiles512(out[p*panel:], a, pack, tiles6/2, d, s, g)
	} else {
		// The 6-row tiles a block of rows at a time over the group's
		// panels, so that the block of a stays in cache across them.
		tb := gemmRowBlock(d) / 6
		for t0 := 0; t0 < tiles6; t0 += tb {
			nt := min(tb, tiles6-t0)
			for q := 0; q < g; q++ {
				j := (p + q) * panel
				gemm6x16AVX2(&out[t0*6*s+j], &a[t0*6*d], &pack[q*d*16], nt, d, s, 16)
			}
		}
	}
	for q := 0; q < g; q++ {
		j := (p + q) * panel
		pk := pack[q*d*16:]
		if r6 := 6 * tiles6; r6 < rows4 {
			gemm4x16AVX2(&out[r6*s+j], &a[r6*d], &pk[0], rows4-r6, d, s, 16)
		}
		if rows4 < rows {
			if w != nil {
				gemmAccAVX2(&out[rows4*s+j], &a[rows4*d], &w[j], rows-rows4, d, s, 16)
				continue
			}
			// The same kernel on the packed panel, through a 16-wide
			// copy of the last rows' outputs.
			n := rows - rows4
			for r := 0; r < n; r++ {
				copy(tail[r*16:r*16+16], out[(rows4+r)*s+j:])
			}
			gemmAccAVX2(&tail[0], &a[rows4*d], &pk[0], n, d, 16, 16)
			for r := 0; r < n; r++ {
				copy(out[(rows4+r)*s+j:(rows4+r)*s+j+16], tail[r*16:r*16+16])
			}
		}
	}
}

// gemmRowBlock is the number of rows of a (a multiple of 6) that
// gemmAccPanels runs over a group of packed panels before the next rows,
// so that the block of a serves packPanels panels from cache: 96 rows
// while they fit in 384 KB, else 48 (each output element is still one
// kernel call's sum: the blocking changes no value).
func gemmRowBlock(d int) int {
	if 96*4*d <= 384<<10 {
		return 96
	}
	return 48
}

// packPanels is the number of 16-column panels gemmAccBlocked packs at a
// time: reading w row by row, 64·packPanels bytes a row, instead of one
// 64-byte line a row per panel (a page apart for a wide w).
const packPanels = 4

// packPanelRows copies the g panels w[:, j0+16q : j0+16q+16] (q < g) of w
// ([d, s]) into pack, panel q at pack[q·d·16:] as [d, 16], row by row of w.
func packPanelRows(pack, w []float32, d, s, j0, g int) {
	_ = w[(d-1)*s+j0+16*g-1]
	_ = pack[g*d*16-1]
	// 32 rows of w at a time, every panel's 16 values of them (one AVX
	// row copy per panel and block of rows).
	for k0 := 0; k0 < d; k0 += 32 {
		n := min(32, d-k0)
		for q := 0; q < g; q++ {
			copyRowsAVX(&pack[(q*d+k0)*16], 16, &w[k0*s+j0+q*16], s, n, 16)
		}
	}
}

// packBufs holds gemmAccBlocked's packed panels between calls (one per
// running goroutine), so a step allocates none.
var packBufs = sync.Pool{New: func() any { return new([]float32) }}

// gemmAcc computes out[r, j] += Σ_k a[r, k]·w[k, j] for a [rows, d],
// w [d, s], out [rows, s] (row-major), with the AVX2 kernel for the first
// s&^7 columns when available.
func gemmAcc(out, a, w []float32, rows, d, s int) {
	gemmAccCounted(out, a, w, rows, d, s, -1)
}

// gemmAccCounted is gemmAcc for an operand a whose count of non-zero
// entries, nz, the caller may already know: the same path and values,
// without gemmAcc's serial scan of a when nz ≥ 0 (nz < 0: unknown, a is
// scanned).
func gemmAccCounted(out, a, w []float32, rows, d, s, nz int) {
	if rows == 0 || d == 0 || s == 0 {
		return
	}
	_ = out[rows*s-1]
	_ = a[rows*d-1]
	_ = w[d*s-1]
	if s >= sparseMinCols && sparseOperandAt(a[:rows*d], nz, productDensity(d, s)) {
		gemmAccSparse(out, a, w, rows, d, s)
		return
	}
	gemmAccDense(out, a, w, rows, d, s)
}

// gemmAccDense is gemmAcc without the sparse-operand check.
func gemmAccDense(out, a, w []float32, rows, d, s int) {
	s8 := 0
	if useAVX2 {
		s8 = s &^ 7
		switch {
		case s8 == 0:
		case s8 <= 128 || d*s8*4 <= 128<<10:
			// 4 rows × 16 columns per pass where possible, then the rest.
			rows4 := rows &^ 3
			tiles6 := rows4 / 12 * 2 // as in gemmAccPanels: the same values
			j := 0
			if rows4 > 0 {
				if useAVX512 && tiles6 > 0 {
					gemmDirect512(out, a, w, tiles6/2, d, s, s8/16)
				}
				for ; j+16 <= s8; j += 16 {
					if tiles6 > 0 && !useAVX512 {
						gemm6x16AVX2(&out[j], &a[0], &w[j], tiles6, d, s, s)
					}
					if r6 := 6 * tiles6; r6 < rows4 {
						gemm4x16AVX2(&out[r6*s+j], &a[r6*d], &w[j], rows4-r6, d, s, s)
					}
				}
				if rows4 < rows && j > 0 {
					gemmAccAVX2(&out[rows4*s], &a[rows4*d], &w[0], rows-rows4, d, s, j)
				}
			}
			if j < s8 {
				gemmAccAVX2(&out[j], &a[0], &w[j], rows, d, s, s8-j)
			}
		default:
			gemmAccBlocked(out, a, w, rows, d, s, s8)
		}
	}
	if s8 == s {
		return
	}
	gemmAccTail(out, a, w, rows, d, s, s8)
}

// gemmAccTail computes the columns s8 ≤ j < s of gemmAcc: for every row,
// o[j] += x·w[k, j] over the k with x = a[r, k] ≠ 0, in k order. A tail of
// 4 columns (the notebook's d_sae 52) keeps the row's four sums in locals
// across k: the same operations in the same order as gemmAccTailRef's loop.
func gemmAccTail(out, a, w []float32, rows, d, s, s8 int) {
	if s-s8 != 4 {
		gemmAccTailRef(out, a, w, rows, d, s, s8)
		return
	}
	r := 0
	// Two rows at a time: their sums are independent chains, so the adds
	// of one overlap the other's latency.
	for ; r+2 <= rows; r += 2 {
		o := (*[4]float32)(out[r*s+s8:])
		q := (*[4]float32)(out[(r+1)*s+s8:])
		o0, o1, o2, o3 := o[0], o[1], o[2], o[3]
		q0, q1, q2, q3 := q[0], q[1], q[2], q[3]
		ar := a[r*d : r*d+d]
		br := a[(r+1)*d : (r+1)*d+d]
		p := s8
		for k, x := range ar {
			y := br[k]
			wk := (*[4]float32)(w[p:])
			if x != 0 {
				o0 += x * wk[0]
				o1 += x * wk[1]
				o2 += x * wk[2]
				o3 += x * wk[3]
			}
			if y != 0 {
				q0 += y * wk[0]
				q1 += y * wk[1]
				q2 += y * wk[2]
				q3 += y * wk[3]
			}
			p += s
		}
		o[0], o[1], o[2], o[3] = o0, o1, o2, o3
		q[0], q[1], q[2], q[3] = q0, q1, q2, q3
	}
	for ; r < rows; r++ {
		o := (*[4]float32)(out[r*s+s8:])
		o0, o1, o2, o3 := o[0], o[1], o[2], o[3]
		p := s8
		for _, x := range a[r*d : r*d+d] {
			if x != 0 {
				wk := (*[4]float32)(w[p:])
				o0 += x * wk[0]
				o1 += x * wk[1]
				o2 += x * wk[2]
				o3 += x * wk[3]
			}
			p += s
		}
		o[0], o[1], o[2], o[3] = o0, o1, o2, o3
	}
}

// gemmAccTailRef is gemmAccTail as the plain loop.
func gemmAccTailRef(out, a, w []float32, rows, d, s, s8 int) {
	for r := 0; r < rows; r++ {
		o := out[r*s : r*s+s]
		for k := 0; k < d; k++ {
			x := a[r*d+k]
			if x == 0 {
				continue
			}
			wk := w[k*s : k*s+s]
			for j := s8; j < s; j++ {
				o[j] += x * wk[j]
			}
		}
	}
}

// gemmTNAcc computes out[i, j] += Σ_b a[b, i]·w[b, j] for a [n, m],
// w [n, p], out [m, p].
func gemmTNAcc(out, a, w []float32, n, m, p int) {
	if n == 0 || m == 0 || p == 0 {
		return
	}
	_ = out[m*p-1]
	_ = a[n*m-1]
	_ = w[n*p-1]
	gemmTNAccBuf(out, a, w, n, m, p, nil)
}

// gemmTNAccBuf is gemmTNAcc transposing a large left operand into buf
// (at least n·m values) rather than a pooled buffer; nil: the pool.
func gemmTNAccBuf(out, a, w []float32, n, m, p int, buf []float32) {
	gemmTNAccCounted(out, a, w, n, m, p, buf, -1)
}

// gemmTNAccCounted is gemmTNAccBuf for an operand a with nz non-zero
// entries when the caller knows them (nz ≥ 0): the same path and values
// without the scan (nz < 0: a is scanned).
func gemmTNAccCounted(out, a, w []float32, n, m, p int, buf []float32, nz int) {
	if n == 0 || m == 0 || p == 0 {
		return
	}
	if p >= sparseMinCols {
		sparse := false
		if nz < 0 {
			// the scan's count, when it is sparse, sizes the entry lists
			nz, sparse = sparseCountAt(a[:n*m], sparseMaxDensity)
		} else {
			sparse = sparseByCount(nz, n*m)
		}
		if sparse {
			gemmTNAccSparse(out, a, w, n, m, p, nz, buf)
			return
		}
	}
	gemmTNAccDenseBuf(out, a, w, n, m, p, buf)
}

// gemmTNAccDense is gemmTNAcc without the sparse-operand check.
func gemmTNAccDense(out, a, w []float32, n, m, p int) {
	gemmTNAccDenseBuf(out, a, w, n, m, p, nil)
}

// gemmTNAccDenseBuf is gemmTNAccDense with gemmTNAccBuf's buffer.
func gemmTNAccDenseBuf(out, a, w []float32, n, m, p int, tbuf []float32) {
	if useAVX2 && n*m*p >= tnTransposeMinWork && m >= 16 && p >= 16 && len(tbuf) >= n*m {
		at := tbuf[:n*m]
		transposePar(at, n, a, n, m)
		gemmAccDense(out, at, w, m, n, p)
		return
	}
	if useAVX2 && n*m*p >= tnTransposeMinWork && m >= 16 && p >= 16 {
		// Large: transpose a once (n·m moves) and run the row-major
		// kernels, which read a's rows contiguously; the 4×16 transposed
		// kernel reads a column slab per 16 output columns and runs far
		// below the FMA peak once a outgrows the cache. Each output
		// element is still one sum over b in b order.
		buf := transposeBufs.Get().(*[]float32)
		if cap(*buf) < n*m {
			*buf = make([]float32, n*m)
		}
		at := (*buf)[:n*m]
		transposePar(at, n, a, n, m)
		gemmAccDense(out, at, w, m, n, p)
		transposeBufs.Put(buf)
		return
	}
	p8 := 0
	if useAVX2 {
		p8 = p &^ 7
		m4 := m &^ 3
		j := 0
		if m4 > 0 {
			j = p8 &^ 15
			gemmTN4x16Rows(out, a, w, n, m, m4, p, j)
			if m4 < m && j > 0 {
				// the last m−m4 (< 4) output rows, columns < j
				for b := 0; b < n; b++ {
					wb := w[b*p : b*p+j]
					for i := m4; i < m; i++ {
						if x := a[b*m+i]; x != 0 {
							axpy(x, wb, out[i*p:i*p+j])
						}
					}
				}
			}
		}
		if j < p8 {
			gemmTNAccAVX2(&out[j], &a[0], &w[j], n, m, p, p8-j)
		}
	}
	if p8 == p {
		return
	}
	for b := 0; b < n; b++ {
		ab := a[b*m : b*m+m]
		wb := w[b*p : b*p+p]
		for i, x := range ab {
			if x == 0 {
				continue
			}
			o := out[i*p : i*p+p]
			for j := p8; j < p; j++ {
				o[j] += x * wb[j]
			}
		}
	}
}

// tnTransposeMinWork is the multiply-add count from which gemmTNAcc
// transposes its left operand and runs gemmAccDense (the notebook-size
// products stay on the transposed kernels).
const tnTransposeMinWork = 1 << 24

// transposeBufs holds the transposed left operands of large gemmTNAcc
// calls between steps.
var transposeBufs = sync.Pool{New: func() any { return new([]float32) }}

// tnBlockRows is the fixed row block of gemmTN4x16Rows' partition.
const tnBlockRows = 64

// gemmTN4x16Rows runs the 4×16 transposed kernel on output rows [0, m4)
// and columns [0, j16) (j16 a multiple of 16). Large products are split
// over GOMAXPROCS goroutines by blocks of tnBlockRows output rows: every
// output element is still one sum over b in b order, computed by the same
// kernel call shape, so the result is bit-identical for any core count.
func gemmTN4x16Rows(out, a, w []float32, n, m, m4, p, j16 int) {
	if j16 == 0 || m4 == 0 {
		return
	}
	run := func(i0, i1 int) {
		for j := 0; j < j16; j += 16 {
			gemmTN4x16AVX2(&out[i0*p+j], &a[i0], &w[j], n, i1-i0, p, m)
		}
	}
	nBlocks := (m4 + tnBlockRows - 1) / tnBlockRows
	workers := min(runtime.GOMAXPROCS(0), nBlocks)
	if workers < 2 || n*m4*j16 < 1<<24 {
		run(0, m4)
		return
	}
	var wg sync.WaitGroup
	for k := 0; k < workers; k++ {
		i0 := k * nBlocks / workers * tnBlockRows
		i1 := min((k+1)*nBlocks/workers*tnBlockRows, m4)
		wg.Add(1)
		go func() {
			defer wg.Done()
			run(i0, i1)
		}()
	}
	wg.Wait()
}

// Sparse left operands. The products of a training step often have a
// mostly-zero left operand: ReLU feature activations and their masked
// gradients (a few active features of d_sae), and the one-hot-like inputs
// of compiled models. Then one axpy per non-zero entry does a fraction of
// the dense product's work.

// sparseMaxDensity is the largest fraction of non-zero entries of the left
// operand for which gemmAcc / gemmTNAcc take the per-entry path (measured
// crossover on the case-113 encoder shape: ≈ 0.3, BenchmarkGemmSparse).
var sparseMaxDensity = 0.25

// sparseMinCols is the smallest row length (columns of w) for which the
// per-entry path is considered: below it the dense kernels win even on
// sparse operands (BenchmarkStandardRegime, dense step at d_in 64–96).
const sparseMinCols = 128

// sparseMaxDensityWide is sparseMaxDensity for gemmAcc products whose right
// operand w outgrows the caches (more than sparseWideBytes): each entry's
// row of w then comes from memory, and the dense kernels win from a lower
// density. BenchmarkGemmSparse/big (issue 16's decoder product, W_dec 19 MB;
// Zen 4, 2 cores, AVX-512): per-entry 0.094 / 0.158 / 0.159 / 0.224 s at
// densities 0.05 / 0.1 / 0.15 / 0.2 against 0.194–0.198 s dense at every
// density: the crossover is ≈ 0.17.
var sparseMaxDensityWide = 0.15

// sparseWideBytes is the size of w above which gemmAcc uses
// sparseMaxDensityWide.
const sparseWideBytes = 8 << 20

// productDensity is the largest left-operand density for which gemmAcc
// against a w of d×s values takes the per-entry path.
func productDensity(d, s int) float64 {
	if d*s*4 > sparseWideBytes {
		return min(sparseMaxDensity, sparseMaxDensityWide)
	}
	return sparseMaxDensity
}

// sparseEnough reports whether a has at most sparseMaxDensity non-zeros
// (counted branch-free: the density is often near the threshold).
func sparseEnough(a []float32) bool { return sparseEnoughAt(a, sparseMaxDensity) }

// sparseEnoughAt is sparseEnough with the density limit given.
func sparseEnoughAt(a []float32, density float64) bool {
	_, ok := sparseCountAt(a, density)
	return ok
}

// sparseCountAt is sparseEnoughAt that also returns a's non-zero count
// when a is sparse enough (the scan then went to the end).
func sparseCountAt(a []float32, density float64) (int, bool) {
	limit := int(density * float64(len(a)))
	nz := 0
	// Branch-free counting, with a look at the count every 4096 values:
	// a dense operand is known to be one long before the end.
	for len(a) > 0 {
		c := a[:min(len(a), 4096)]
		for _, v := range c {
			nz += nonZero(v)
		}
		if nz > limit {
			return nz, false
		}
		a = a[len(c):]
	}
	return nz, nz <= limit
}

// sparseLimit is the largest non-zero count of an n-value operand that
// sparseEnough accepts.
func sparseLimit(n int) int {
	return int(sparseMaxDensity * float64(n))
}

// sparseByCount is sparseEnough for an operand of n values of which nz are
// non-zero (±0 counting as zero): sparseEnough's answer without the scan,
// since its running count only grows to nz.
func sparseByCount(nz, n int) bool {
	return nz <= sparseLimit(n)
}

// sparseOperandAt is the sparse-path test of the products' operand a with
// the density limit given: by its non-zero count nz when known (nz ≥ 0),
// else by scanning a.
func sparseOperandAt(a []float32, nz int, density float64) bool {
	if nz < 0 {
		return sparseEnoughAt(a, density)
	}
	return nz <= int(density*float64(len(a)))
}

// nonZero is 1 when v ≠ 0 (either sign of zero counts as zero), else 0.
func nonZero(v float32) int {
	return int((math.Float32bits(v)&0x7fffffff + 0x7fffffff) >> 31)
}

// gemmAccSparse is gemmAcc over the non-zero entries of each row of a: one
// gathered axpy (gaxpy) per output row. The gather is branch-free. Rows are
// independent: spans of rows go over the cores (the same values).
func gemmAccSparse(out, a, w []float32, rows, d, s int) {
	// The scan, then a row of w per entry: the per-entry path runs below
	// sparseMaxDensity, so a quarter of the scan's entries at most (the
	// estimate only decides whether the pass is worth a second goroutine).
	work := rows*d + rows*d/4*s
	nw := spanWorkers(rows, rowPassSpan, work)
	var kb [256]int32
	var xb [256]float32
	ks, xs := kb[:], xb[:]
	if nw > 1 || d > len(kb) {
		// the gather lists of every worker, from the pool (the dense
		// steps call this at every step)
		eg := getEncGrads()
		defer encGradsPool.Put(eg)
		if cap(eg.ks) < nw*d {
			eg.ks, eg.xs = make([]int32, nw*d), make([]float32, nw*d)
		}
		ks, xs = eg.ks[:nw*d], eg.xs[:nw*d]
	}
	forSpansWorker(rows, rowPassSpan, work, func(g, _, lo, hi int) {
		ks, xs := ks[g*d:g*d+d], xs[g*d:g*d+d]
		for r := lo; r < hi; r++ {
			n := 0
			for k, x := range a[r*d : r*d+d] {
				ks[n] = int32(k)
				xs[n] = x
				n += nonZero(x)
			}
			gaxpy(out[r*s:r*s+s], w, s, ks[:n], xs[:n])
		}
	})
}

// gaxpy computes out[j] += Σ_t xs[t]·w[ks[t]·ld + j] for j < len(out): the
// axpys of the selected rows of w (ld floats apart) into one output row,
// with the row held in registers by the AVX2 kernel. Each output element
// sums in t order, as successive axpy calls would.
func gaxpy(out, w []float32, ld int, ks []int32, xs []float32) {
	n := len(out)
	if n == 0 || len(ks) == 0 {
		return
	}
	xs = xs[:len(ks)]
	j0 := 0
	if useAVX2 && n >= 8 {
		for _, k := range ks {
			if k < 0 || int(k)*ld+n > len(w) {
				panic(fmt.Sprintf("sae: gaxpy row %d outside w (%d values, row length %d)", k, len(w), ld))
			}
		}
		j0 = n &^ 7
		gaxpyAVX2(&out[0], &w[0], &ks[0], &xs[0], len(ks), ld, j0)
		if j0 == n {
			return
		}
	}
	o := out[j0:n]
	for t, k := range ks {
		x := xs[t]
		row := w[int(k)*ld+j0 : int(k)*ld+n]
		row = row[:len(o)]
		for j, v := range row {
			o[j] += x * v
		}
	}
}

// gemmTNAccSparse is gemmTNAcc over the non-zero entries of a, applied
// output row by output row: each out[i, :] is one gathered axpy over the
// rows b of w with a[b, i] ≠ 0 (in b order, as one axpy per entry would).
// nz is a's non-zero count: the entry lists are sized by it. Entries many enough for
// encGrads.apply's dense product (denseEntries) take that product on a
// itself, with buf as gemmTNAccBuf's, rather than as a copy of a scattered
// from the lists (the same values: a's zeros add nothing).
func gemmTNAccSparse(out, a, w []float32, n, m, p, nz int, buf []float32) {
	if denseEntries(nz, n, p, m) {
		gemmTNAccDenseBuf(out, a, w, n, m, p, buf)
		return
	}
	eg := getEncGrads()
	defer encGradsPool.Put(eg)
	// The gather below writes its candidate slot branch-free: one past the
	// last entry.
	if cap(eg.feat) < nz+1 {
		eg.feat, eg.row, eg.val = make([]int32, nz+1), make([]int32, nz+1), make([]float32, nz+1)
	}
	feat, row, val := eg.feat[:nz+1], eg.row[:nz+1], eg.val[:nz+1]
	t := 0
	for b := 0; b < n; b++ {
		for i, x := range a[b*m : b*m+m] {
			feat[t], row[t], val[t] = int32(i), int32(b), x
			t += nonZero(x)
		}
	}
	eg.feat, eg.row, eg.val = feat[:t], row[:t], val[:t]
	eg.apply(out, w, p, m)
}
