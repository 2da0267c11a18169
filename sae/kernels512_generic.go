package sae

import "unsafe"

// gemmTileGo is the pure-Go version of the AVX-512 tiles: out[r*s+j] +=
// Σ_{k<kc} a[r*lda+k]·w[k*ws+j%16+(j/16)*wp] for r < rows, j < cols (a
// multiple of 16), each element's terms in k order.
func gemmTileGo(out, a, w *float32, rows, cols, kc, s, lda, ws, wp int) {
	if rows <= 0 || kc <= 0 {
		return
	}
	nv := cols / 16
	o := floatsAt(out, (rows-1)*s+cols)
	av := floatsAt(a, (rows-1)*lda+kc)
	wv := floatsAt(w, (kc-1)*ws+(nv-1)*wp+16)
	for r := 0; r < rows; r++ {
		for k := 0; k < kc; k++ {
			x := av[r*lda+k]
			for v := 0; v < nv; v++ {
				wk := wv[k*ws+v*wp : k*ws+v*wp+16]
				or := o[r*s+16*v : r*s+16*v+16]
				for j, y := range wk {
					or[j] += x * y
				}
			}
		}
	}
}

// gatedOpenGo is gatedOpenAVX512 as the plain loop (gatedDenseByCost's
// branch-free count).
func gatedOpenGo(u, bGate *float32, n int) int {
	uv, bg := floatsAt(u, n), floatsAt(bGate, n)
	count := 0
	for i, ui := range uv {
		count += positive(ui + bg[i])
	}
	return count
}

// gatedActsGo is gatedActsAVX512 as the plain loop (the dense gated step's
// activation pass without tanh).
// (float32(…) around products: no FMA fusion under GOAMD64=v3, as the kernel.)
func gatedActsGo(u, bGate, bMag, e, wdn, f, v, q, ps *float32, cc *int32, n int, m float32, mi int32) int {
	uv, bg, bm, ev, wd := floatsAt(u, n), floatsAt(bGate, n), floatsAt(bMag, n), floatsAt(e, n), floatsAt(wdn, n)
	fv, vv, qv, pv, cv := floatsAt(f, n), floatsAt(v, n), floatsAt(q, n), floatsAt(ps, n), int32sAt(cc, n)
	count := 0
	for i, ui := range uv {
		pi := ui + bg[i]
		var fi, vi, qi float32
		if pi > 0 {
			vi = pi
			qi = pi * wd[i]
			pv[i] += float32(pi * m)
			if mg := float32(ui*ev[i]) + bm[i]; mg > 0 {
				fi = mg
				count++
				cv[i] += mi
			}
		}
		fv[i], vv[i], qv[i] = fi, vi, qi
	}
	return count
}

// gatedGradsGo is gatedGradsAVX512 as the plain loop (the dense gated
// step's gradient pass without tanh).
func gatedGradsGo(u, bGate, dotP, f, dd, wdn, e, sBG, sBM, sRM, dpSum *float32, n int, lamM float32) {
	uv, bg, dp, fv, dv := floatsAt(u, n), floatsAt(bGate, n), floatsAt(dotP, n), floatsAt(f, n), floatsAt(dd, n)
	wd, ev, g, mg, rm, ds := floatsAt(wdn, n), floatsAt(e, n), floatsAt(sBG, n), floatsAt(sBM, n), floatsAt(sRM, n), floatsAt(dpSum, n)
	for i, ui := range uv {
		if ui+bg[i] <= 0 {
			dv[i] = 0
			continue
		}
		dpg := dp[i] + float32(lamM*wd[i])
		var dpm float32
		if fv[i] > 0 {
			dpm = dv[i]
		}
		g[i] += dpg
		mg[i] += dpm
		rm[i] += float32(dpm * ui * ev[i])
		d := dpg + float32(dpm*ev[i])
		dv[i] = d
		ds[i] += d
	}
}

// jumpActsGo is jumpActsAVX512 as the plain loop.
func jumpActsGo(pre, th, f *float32, cc *int32, n int, mi int32) int {
	pv, tv, fv, cv := floatsAt(pre, n), floatsAt(th, n), floatsAt(f, n), int32sAt(cc, n)
	count := 0
	for i, p := range pv {
		var v float32
		if p > tv[i] {
			v = p
			count++
			cv[i] += mi
		}
		fv[i] = v
	}
	return count
}

// jumpGradsGo is jumpGradsAVX512 as the plain loop.
func jumpGradsGo(pre, th, dd, gBEnc, dpSum *float32, near *uint16, n int, bw float32) int {
	pv, tv, dv, gv, sv := floatsAt(pre, n), floatsAt(th, n), floatsAt(dd, n), floatsAt(gBEnc, n), floatsAt(dpSum, n)
	nv := unsafe.Slice(near, (n+15)/16)
	clear(nv)
	count := 0
	for i, p := range pv {
		active := p > tv[i]
		if rect((p - tv[i]) / bw) {
			nv[i/16] |= 1 << (i % 16)
		} else if !active {
			dv[i] = 0
		}
		if active {
			gv[i] += dv[i]
			sv[i] += dv[i]
			count++
		}
	}
	return count
}
