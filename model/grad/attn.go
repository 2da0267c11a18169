package grad

import "math"

// Attention runs with the batch in the SIMD lanes: eight sequences at a
// time, one head at a time, every operand laid out [position][feature][8]
// (q, k, v, z and their gradients [T][d_head][8], the pattern [T][T][8]),
// so the scores, the mask, the softmax and the weighted sums are plain
// 8-lane operations whatever d_head and T are. Chunk c's sequences
// [b0, b1) go in groups of eight from b0; the group starting at sequence
// g0 sits at lane position ps = g0 + 8c of the lane buffers (a chunk's
// last group may be partial, its missing lanes zero, and the 8c keeps
// chunks from overlapping), so a lane buffer holds B + 8·chunks
// sequences. The row-major reference this replaces is attentionRows in
// attn_ref_test.go.

// lanes returns the number of sequences a lane buffer holds for a batch
// of B.
func lanes(B int) int { return B + 8*numChunks(B) }

// attention computes layer l's pattern and z for chunk c's batch rows
// [b0, b1) from qkv (z is zero for patched heads, whose pattern is not
// computed). It also leaves q, k, v in lane layout (ws.qkvL, [3][H][T][dh][8]
// per group) and the pattern for the backward pass; a run that is not
// kept uses layer 0's buffers for every layer (nothing reads them later),
// so that they stay in cache.
func (n *Net) attention(ws *Workspace, l, c, b0, b1, T int) {
	g := ws.g
	H, dh, HD, HDp, S, Sp := g.H, g.dh, g.HD, g.HDp, g.S, g.Sp
	qkv, z := ws.qkv, ws.z[l]
	inv := float32(1 / n.attnScale(l)) // scores are q·k·(1/attn_scale), as in package model
	causal := 0
	if n.cfg.AttentionDir == "causal" {
		causal = 1
	}
	on := ws.headOn[l]
	hb, pb := T*dh*8, T*T*8 // one head's q (or k, v, z) and pattern block
	li := l
	if !ws.keep {
		li = 0
	}
	for g0 := b0; g0 < b1; g0 += 8 {
		nb, ps := min(8, b1-g0), g0+8*c
		L := ws.qkvL[li][ps*T*S : (ps+8)*T*S]
		if useAVX2 && nb == 8 {
			rows := qkv[g0*T*Sp : (g0+8)*T*Sp]
			lanesIn(&rows[0], Sp, &L[0], &ws.offS[0], T, S, dh)
		} else {
			toLanes(L, qkv[g0*T*Sp:], Sp, S, dh, nb, T)
		}
		P := ws.pat[li][ps*H*T*T : (ps+8)*H*T*T]
		Z := ws.zL[ps*T*HD : (ps+8)*T*HD]
		for h := 0; h < H; h++ {
			if on[h] {
				clear(Z[h*hb : (h+1)*hb])
				continue
			}
			q, k, v := L[h*hb:(h+1)*hb], L[(H+h)*hb:(H+h+1)*hb], L[(2*H+h)*hb:(2*H+h+1)*hb]
			p, zh := P[h*pb:(h+1)*pb], Z[h*hb:(h+1)*hb]
			if useAVX2 {
				attnFwdLanes(&q[0], &k[0], &v[0], &p[0], &zh[0], T, dh, inv, causal)
			} else {
				attnFwdLanesGo(q, k, v, p, zh, T, dh, inv, causal)
			}
		}
		if useAVX2 && nb == 8 {
			rows := z[g0*T*HDp : (g0+8)*T*HDp]
			lanesOut(&rows[0], HDp, &Z[0], &ws.offHD[0], T, HD, dh)
		} else {
			fromLanes(z[g0*T*HDp:], HDp, HD, Z, dh, nb, T)
		}
	}
}

// attentionBackward turns ws.dz (dL/dz) of layer l into ws.dqkv for chunk
// c's batch rows [b0, b1): z_i = Σ_j p_ij v_j, p_i = softmax_j(q_i·k_j /
// scale). Patched heads get zero (their z did not reach the output).
func (n *Net) attentionBackward(ws *Workspace, l, c, b0, b1, T int) {
	ge := ws.g
	H, dh, HD, HDp, S, Sp := ge.H, ge.dh, ge.HD, ge.HDp, ge.S, ge.Sp
	inv := float32(1 / n.attnScale(l))
	causal := 0
	if n.cfg.AttentionDir == "causal" {
		causal = 1
	}
	on := ws.headOn[l]
	hb, pb := T*dh*8, T*T*8
	for g0 := b0; g0 < b1; g0 += 8 {
		nb, ps := min(8, b1-g0), g0+8*c
		L := ws.qkvL[l][ps*T*S : (ps+8)*T*S]
		P := ws.pat[l][ps*H*T*T : (ps+8)*H*T*T]
		DZ := ws.dzL[ps*T*HD : (ps+8)*T*HD]
		if useAVX2 && nb == 8 {
			rows := ws.dz[g0*T*HDp : (g0+8)*T*HDp]
			lanesIn(&rows[0], HDp, &DZ[0], &ws.offHD[0], T, HD, dh)
		} else {
			toLanes(DZ, ws.dz[g0*T*HDp:], HDp, HD, dh, nb, T)
		}
		D := ws.dqkvL[ps*T*S : (ps+8)*T*S]
		clear(D)
		dp := ws.dpL[ps*T : (ps+8)*T]
		for h := 0; h < H; h++ {
			if on[h] {
				continue
			}
			q, k, v := L[h*hb:(h+1)*hb], L[(H+h)*hb:(H+h+1)*hb], L[(2*H+h)*hb:(2*H+h+1)*hb]
			dq, dk, dv := D[h*hb:(h+1)*hb], D[(H+h)*hb:(H+h+1)*hb], D[(2*H+h)*hb:(2*H+h+1)*hb]
			p, dz := P[h*pb:(h+1)*pb], DZ[h*hb:(h+1)*hb]
			if useAVX2 {
				attnBwdLanes(&q[0], &k[0], &v[0], &p[0], &dz[0], &dq[0], &dk[0], &dv[0], &dp[0], T, dh, inv, causal)
			} else {
				attnBwdLanesGo(q, k, v, p, dz, dq, dk, dv, dp, T, dh, inv, causal)
			}
		}
		if useAVX2 && nb == 8 {
			rows := ws.dqkv[g0*T*Sp : (g0+8)*T*Sp]
			lanesOut(&rows[0], Sp, &D[0], &ws.offS[0], T, S, dh)
		} else {
			fromLanes(ws.dqkv[g0*T*Sp:], Sp, S, D, dh, nb, T)
		}
	}
}

// laneOffsets returns off (reused) holding, for each of w columns (blocks
// of dh features), the byte offset of its lane vector at position 0 in
// the lane layout [w/dh][T][dh][8]: ((s/dh)·T·dh + s%dh)·32 (lanesIn's
// and lanesOut's table).
func laneOffsets(off []int, w, dh, T int) []int {
	off = off[:0]
	for s := 0; s < w; s++ {
		off = append(off, ((s/dh)*T*dh+s%dh)*32)
	}
	return off
}

// toLanes copies nb sequences of T rows (row stride ld, the first w
// columns: w/dh blocks of dh features) into a group's lane layout
// dst [w/dh][T][dh][8]; lanes nb..7 get zeros. It is lanesIn's pure-Go
// twin (which only takes full groups).
func toLanes(dst, src []float32, ld, w, dh, nb, T int) {
	if nb < 8 {
		clear(dst[:w*T*8])
	}
	for lane := 0; lane < nb; lane++ {
		for t := 0; t < T; t++ {
			row := src[(lane*T+t)*ld : (lane*T+t)*ld+w]
			for blk := 0; blk*dh < w; blk++ {
				o := dst[(blk*T+t)*dh*8+lane:]
				for e, v := range row[blk*dh : (blk+1)*dh] {
					o[e*8] = v
				}
			}
		}
	}
}

// fromLanes is toLanes backwards: it writes the first nb lanes of src
// [w/dh][T][dh][8] into rows of dst (row stride ld), zeroing the columns
// w..ld (lanesOut's pure-Go twin).
func fromLanes(dst []float32, ld, w int, src []float32, dh, nb, T int) {
	for lane := 0; lane < nb; lane++ {
		for t := 0; t < T; t++ {
			row := dst[(lane*T+t)*ld : (lane*T+t+1)*ld]
			for blk := 0; blk*dh < w; blk++ {
				s := src[(blk*T+t)*dh*8+lane:]
				o := row[blk*dh : (blk+1)*dh]
				for e := range o {
					o[e] = s[e*8]
				}
			}
			clear(row[w:])
		}
	}
}

// attnFwdLanesGo is the pure-Go twin of the attnFwdLanes kernel: one head
// of eight sequences (see the layout above). For each query position i,
// s_j = (Σ_e q_ie·k_je)·inv for the keys j < jn it sees (jn = i+1 when
// causal, else T), p_ij = e^(s_j - max s) / Σ_j e^(s_j - max s), 0 for the
// masked j, and z_ie = Σ_j p_ij·v_je. Every product is rounded on its own
// (no fused multiply-add), as in the kernel.
func attnFwdLanesGo(q, k, v, p, z []float32, T, dh int, inv float32, causal int) {
	for lane := 0; lane < 8; lane++ {
		at := func(x []float32, pos, e int) *float32 { return &x[(pos*dh+e)*8+lane] }
		for i := 0; i < T; i++ {
			jn := T
			if causal != 0 {
				jn = i + 1
			}
			pr := func(j int) *float32 { return &p[(i*T+j)*8+lane] }
			mx := float32(math.Inf(-1))
			for j := 0; j < jn; j++ {
				var s float32
				for e := 0; e < dh; e++ {
					s += float32(*at(q, i, e) * *at(k, j, e))
				}
				s = float32(s * inv)
				*pr(j) = s
				if !(mx > s) { // the kernel's VMAXPS
					mx = s
				}
			}
			var sum float32
			for j := 0; j < jn; j++ {
				x := expNeg(*pr(j) - mx)
				*pr(j) = x
				sum += x
			}
			for j := jn; j < T; j++ {
				*pr(j) = 0
			}
			r := 1 / sum
			for j := 0; j < jn; j++ {
				*pr(j) = float32(*pr(j) * r)
			}
			for e := 0; e < dh; e++ {
				var a float32
				for j := 0; j < jn; j++ {
					a += float32(*pr(j) * *at(v, j, e))
				}
				*at(z, i, e) = a
			}
		}
	}
}

// attnBwdLanesGo is the pure-Go twin of the attnBwdLanes kernel, which
// adds the gradients of one head of eight sequences into dq, dk, dv: for
// each query position i, dp_j = Σ_e dz_ie·v_je and dv_je += p_ij·dz_ie for
// j < jn, s = Σ_j p_ij·dp_j, then ds_j = p_ij·(dp_j - s)·inv, dq_ie +=
// ds_j·k_je, dk_je += ds_j·q_ie. dp is scratch [T][8].
func attnBwdLanesGo(q, k, v, p, dz, dq, dk, dv, dp []float32, T, dh int, inv float32, causal int) {
	for lane := 0; lane < 8; lane++ {
		at := func(x []float32, pos, e int) *float32 { return &x[(pos*dh+e)*8+lane] }
		for i := 0; i < T; i++ {
			jn := T
			if causal != 0 {
				jn = i + 1
			}
			var s float32
			for j := 0; j < jn; j++ {
				pij := p[(i*T+j)*8+lane]
				var a float32
				for e := 0; e < dh; e++ {
					d := *at(dz, i, e)
					a += float32(d * *at(v, j, e))
					*at(dv, j, e) += float32(pij * d)
				}
				dp[j*8+lane] = a
				s += float32(pij * a)
			}
			for j := 0; j < jn; j++ {
				ds := float32(float32(p[(i*T+j)*8+lane]*(dp[j*8+lane]-s)) * inv)
				for e := 0; e < dh; e++ {
					*at(dq, i, e) += float32(ds * *at(k, j, e))
					*at(dk, j, e) += float32(ds * *at(q, i, e))
				}
			}
		}
	}
}
