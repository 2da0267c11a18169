package grad

import (
	"math"
	"math/rand/v2"
	"testing"
)

// attentionRows is the row-major reference of attention (the scalar code
// the lane kernels replaced): layer l's pattern pat [B][H][T][T] and z
// [N][HD] from qkv [N][Sp], skipping the heads in on.
func attentionRows(g geom, qkv, pat, z []float32, B, T int, inv float32, causal bool, on []bool) {
	H, dh, HD, Sp := g.H, g.dh, g.HD, g.Sp
	for b := 0; b < B; b++ {
		blk := qkv[b*T*Sp : (b+1)*T*Sp]
		for h := 0; h < H; h++ {
			pb := pat[(b*H+h)*T*T : (b*H+h+1)*T*T]
			zb := z[b*T*HD : (b+1)*T*HD]
			if on[h] {
				for i := 0; i < T; i++ {
					clear(zb[i*HD+h*dh : i*HD+(h+1)*dh])
				}
				continue
			}
			for i := 0; i < T; i++ {
				jn := T
				if causal {
					jn = i + 1
				}
				qi := blk[i*Sp+h*dh : i*Sp+(h+1)*dh]
				prow := pb[i*T : i*T+T]
				mx := float32(math.Inf(-1))
				for j := 0; j < jn; j++ {
					kj := blk[j*Sp+HD+h*dh:]
					var s float32
					for e, qv := range qi {
						s += qv * kj[e]
					}
					s *= inv
					prow[j] = s
					mx = max(mx, s)
				}
				var sum float32
				for j := range prow[:jn] {
					prow[j] = expNeg(prow[j] - mx)
					sum += prow[j]
				}
				clear(prow[jn:])
				zi := zb[i*HD+h*dh : i*HD+(h+1)*dh]
				clear(zi)
				for j := range prow[:jn] {
					prow[j] *= 1 / sum
					vj := blk[j*Sp+2*HD+h*dh:]
					for e := range zi {
						zi[e] += prow[j] * vj[e]
					}
				}
			}
		}
	}
}

// attentionBackwardRows is the row-major reference of attentionBackward:
// dqkv [N][Sp] from dz [N][HDp], the pattern of attentionRows and qkv.
func attentionBackwardRows(g geom, qkv, pat, dz, dqkv []float32, B, T int, inv float32, causal bool, on []bool) {
	H, dh, HD, HDp, Sp := g.H, g.dh, g.HD, g.HDp, g.Sp
	clear(dqkv[:B*T*Sp])
	dp := make([]float32, T)
	for b := 0; b < B; b++ {
		blk := qkv[b*T*Sp : (b+1)*T*Sp]
		dblk := dqkv[b*T*Sp : (b+1)*T*Sp]
		for h := 0; h < H; h++ {
			if on[h] {
				continue
			}
			pb := pat[(b*H+h)*T*T : (b*H+h+1)*T*T]
			qo, ko, vo := h*dh, HD+h*dh, 2*HD+h*dh
			for i := 0; i < T; i++ {
				jn := T
				if causal {
					jn = i + 1
				}
				dzi := dz[(b*T+i)*HDp+qo : (b*T+i)*HDp+qo+dh]
				var s float32
				for j, p := range pb[i*T : i*T+jn] {
					var a float32
					for e, d := range dzi {
						a += d * blk[j*Sp+vo+e]
						dblk[j*Sp+vo+e] += p * d
					}
					dp[j] = a
					s += p * a
				}
				for j, p := range pb[i*T : i*T+jn] {
					ds := p * (dp[j] - s) * inv
					for e := 0; e < dh; e++ {
						dblk[i*Sp+qo+e] += ds * blk[j*Sp+ko+e]
						dblk[j*Sp+ko+e] += ds * blk[i*Sp+qo+e]
					}
				}
			}
		}
	}
}

// TestAttentionLanesMatchRows runs Forward and Backward (lane kernels)
// and checks layer 0's z and dqkv against the row-major reference, over
// batch sizes that leave partial groups, causal and bidirectional
// attention, odd d_head and a patched head.
func TestAttentionLanesMatchRows(t *testing.T) {
	for _, tc := range []struct {
		name        string
		dm, H, dh   int
		B, T        int
		causal      bool
		patchedHead int
	}{
		{"case3", 12, 4, 3, 37, 5, true, -1},
		{"full groups", 12, 4, 3, 300, 5, true, 1},
		{"full groups wide", 50, 4, 12, 256, 10, false, -1},
		{"bidir", 20, 2, 7, 21, 6, false, -1},
		{"patched", 12, 4, 3, 19, 5, true, 2},
		{"wide", 50, 4, 12, 9, 10, false, 1},
		{"one", 8, 1, 1, 3, 1, true, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.DModel, cfg.NHeads, cfg.DHead, cfg.DMLP, cfg.NCtx = tc.dm, tc.H, tc.dh, 4*tc.dm, tc.T
			cfg.NLayers = 1 // ws.qkv holds the last layer's q, k, v
			cfg.AttentionDir = "bidirectional"
			if tc.causal {
				cfg.AttentionDir = "causal"
			}
			cfg.AttnScale = 0
			cfg = cfg.WithDefaults()
			n := randNet(t, cfg, 7)
			tok := randTokens(tc.B, tc.T, cfg.DVocab, 3)
			var patches []Patch
			if tc.patchedHead >= 0 {
				nd := Node{Hook: "blocks.0.attn.hook_result", Head: tc.patchedHead}
				vals := make([]float32, tc.B*tc.T*cfg.DModel)
				for i := range vals {
					vals[i] = float32(i%7) * 0.1
				}
				patches = []Patch{{Node: nd, Values: vals}}
			}
			ws := NewWorkspace()
			run, err := n.Forward(ws, tok, tc.B, tc.T, patches, true)
			if err != nil {
				t.Fatal(err)
			}
			g := ws.g
			N := tc.B * tc.T
			inv := float32(1 / n.attnScale(0))
			pat, z := make([]float32, tc.B*g.H*tc.T*tc.T), make([]float32, N*g.HD)
			attentionRows(g, ws.qkv, pat, z, tc.B, tc.T, inv, tc.causal, ws.headOn[0])
			zl := make([]float32, 0, N*g.HD)
			for r := 0; r < N; r++ {
				zl = append(zl, ws.z[0][r*g.HDp:r*g.HDp+g.HD]...)
			}
			closeAll(t, "z", zl, z)
			rng := rand.New(rand.NewPCG(5, 6))
			dl := make([]float32, N*g.V)
			for i := range dl {
				dl[i] = float32(rng.NormFloat64())
			}
			if err := n.Backward(ws, run, dl, n.NewGrads()); err != nil {
				t.Fatal(err)
			}
			dqkv := make([]float32, N*g.Sp)
			attentionBackwardRows(g, ws.qkv, pat, ws.dz, dqkv, tc.B, tc.T, inv, tc.causal, ws.headOn[0])
			closeAll(t, "dqkv", ws.dqkv[:N*g.Sp], dqkv)
		})
	}
}

// closeAll checks got against want to float32 rounding (1e-5 of the
// larger of the entry and the tensor's largest magnitude / 10).
func closeAll(t *testing.T, what string, got, want []float32) {
	t.Helper()
	var big float64
	for _, w := range want {
		big = max(big, math.Abs(float64(w)))
	}
	for i, w := range want {
		tol := 1e-5 * max(math.Abs(float64(w)), big/10)
		if d := math.Abs(float64(got[i]) - float64(w)); !(d <= tol) {
			t.Fatalf("%s[%d] = %v, reference %v", what, i, got[i], w)
		}
	}
}

// TestAttentionLanesTwins checks the kernels bit for bit against their
// pure-Go twins on random lane data (the twins are what -tags noasm and
// CPUs without AVX2 run).
func TestAttentionLanesTwins(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	r := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64() * 2)
		}
		return x
	}
	for _, tc := range []struct{ T, dh, causal int }{{5, 3, 1}, {1, 1, 0}, {10, 12, 0}, {7, 16, 1}, {16, 5, 0}} {
		hb := tc.T * tc.dh * 8
		q, k, v := r(hb), r(hb), r(hb)
		p, z := make([]float32, tc.T*tc.T*8), make([]float32, hb)
		pw, zw := make([]float32, len(p)), make([]float32, hb)
		attnFwdLanes(&q[0], &k[0], &v[0], &p[0], &z[0], tc.T, tc.dh, 0.37, tc.causal)
		attnFwdLanesGo(q, k, v, pw, zw, tc.T, tc.dh, 0.37, tc.causal)
		sameBits(t, "pattern", p, pw)
		sameBits(t, "z", z, zw)
		dz := r(hb)
		dq, dk, dv, dp := r(hb), r(hb), r(hb), make([]float32, tc.T*8)
		dqw, dkw, dvw, dpw := append([]float32(nil), dq...), append([]float32(nil), dk...), append([]float32(nil), dv...), make([]float32, len(dp))
		attnBwdLanes(&q[0], &k[0], &v[0], &p[0], &dz[0], &dq[0], &dk[0], &dv[0], &dp[0], tc.T, tc.dh, 0.37, tc.causal)
		attnBwdLanesGo(q, k, v, p, dz, dqw, dkw, dvw, dpw, tc.T, tc.dh, 0.37, tc.causal)
		sameBits(t, "dq", dq, dqw)
		sameBits(t, "dk", dk, dkw)
		sameBits(t, "dv", dv, dvw)
	}
	if !useAVX2 {
		t.Log("no AVX2 here: the kernels are the twins")
	}
}

// TestLanesTwins checks lanesIn and lanesOut (the AVX2 kernels where
// available) against toLanes and fromLanes, widths that leave a partial
// last block of eight included.
func TestLanesTwins(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 11))
	for _, tc := range []struct{ w, dh, T int }{{36, 3, 5}, {12, 3, 5}, {1, 1, 1}, {144, 12, 10}, {21, 7, 6}, {8, 2, 3}} {
		ld := pad8(tc.w)
		rows := make([]float32, 8*tc.T*ld)
		for i := range rows {
			if i%ld < tc.w {
				rows[i] = float32(rng.NormFloat64())
			}
		}
		off := laneOffsets(nil, tc.w, tc.dh, tc.T)
		got, want := make([]float32, 8*tc.T*tc.w), make([]float32, 8*tc.T*tc.w)
		lanesIn(&rows[0], ld, &got[0], &off[0], tc.T, tc.w, tc.dh)
		toLanes(want, rows, ld, tc.w, tc.dh, 8, tc.T)
		sameBits(t, "lanesIn", got, want)
		back, wantBack := make([]float32, len(rows)), make([]float32, len(rows))
		for i := range back {
			back[i], wantBack[i] = 9, 9 // padding columns must come back zero
		}
		lanesOut(&back[0], ld, &got[0], &off[0], tc.T, tc.w, tc.dh)
		fromLanes(wantBack, ld, tc.w, want, tc.dh, 8, tc.T)
		sameBits(t, "lanesOut", back, wantBack)
		sameBits(t, "round trip", back, rows)
	}
}
