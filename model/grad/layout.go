package grad

// pad8 rounds n up to a multiple of 8 (one AVX2 register of float32).
func pad8(n int) int { return (n + 7) &^ 7 }

// geom holds a Net's dimensions and the padded row widths of the fast
// path's buffers (every product's output width is a multiple of 8, the
// padding columns stay zero).
type geom struct {
	L, H, dh, D, F, V, Vin, NCtx int
	HD, S                        int // H·d_head; 3·H·d_head (q, k, v side by side)
	Dp, Sp, Fp, Vp, HDp          int
}

func newGeom(n *Net) geom {
	c := &n.cfg
	g := geom{L: c.NLayers, H: c.NHeads, dh: c.DHead, D: c.DModel, F: c.DMLP, V: c.DVocabOut, Vin: c.DVocab, NCtx: c.NCtx}
	g.HD, g.S = g.H*g.dh, 3*g.H*g.dh
	g.Dp, g.Sp, g.Fp, g.Vp, g.HDp = pad8(g.D), pad8(g.S), pad8(g.F), pad8(g.V), pad8(g.HD)
	return g
}

// gradLayout is where each parameter's gradient sits in one chunk's
// partial (padded layouts, per layer W_Q/W_K/W_V packed as [D][Sp]).
type gradLayout struct {
	wE, wPos, wU, bU, size int
	layers                 []gradLayer
}

type gradLayer struct{ wqkv, bqkv, wO, bO, wIn, bIn, wOut, bOut int }

func newGradLayout(g geom) gradLayout {
	var gl gradLayout
	off := 0
	take := func(n int) int { o := off; off += n; return o }
	gl.wE = take(g.Vin * g.Dp)
	gl.wPos = take(g.NCtx * g.Dp)
	for l := 0; l < g.L; l++ {
		gl.layers = append(gl.layers, gradLayer{
			wqkv: take(g.D * g.Sp), bqkv: take(g.Sp), wO: take(g.HD * g.Dp), bO: take(g.Dp),
			wIn: take(g.D * g.Fp), bIn: take(g.Fp), wOut: take(g.F * g.Dp), bOut: take(g.Dp),
		})
	}
	gl.wU = take(g.D * g.Vp)
	gl.bU = take(g.Vp)
	gl.size = off
	return gl
}

// packRows copies a [rows][cols] matrix into dst with row stride ld
// (padding columns zeroed).
func packRows(dst []float32, ld int, src []float32, rows, cols int) {
	for r := 0; r < rows; r++ {
		d := dst[r*ld : (r+1)*ld]
		copy(d, src[r*cols:(r+1)*cols])
		clear(d[cols:])
	}
}

// packT copies the transpose of a [rows][cols] matrix (row stride
// srcLd) into dst as [cols][ld] (padding columns zeroed).
func packT(dst []float32, ld int, src []float32, srcLd, rows, cols int) {
	for j := 0; j < cols; j++ {
		d := dst[j*ld : (j+1)*ld]
		for i := 0; i < rows; i++ {
			d[i] = src[i*srcLd+j]
		}
		clear(d[rows:])
	}
}

// unpackAdd adds a [rows][ld] padded matrix into dst [rows][cols].
func unpackAdd(dst []float32, cols int, src []float32, ld, rows int) {
	for r := 0; r < rows; r++ {
		d := dst[r*cols : (r+1)*cols]
		for j, v := range src[r*ld : r*ld+cols] {
			d[j] += v
		}
	}
}
