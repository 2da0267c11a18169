package sae

import (
	"math"
	"runtime"
)

// The fused element-wise passes of a training step (fused_amd64.s on
// amd64 with AVX2, in 8-lane blocks; the tails, and everything elsewhere,
// in the branch-free Go loops below, which give the same values).

// reluCount writes f = max(pre, +0), adds m to cc[i] for every pre[i] > 0
// (the firing counts: a step row stands for m batch rows) and returns the
// number of positives. f and cc have len(pre) elements at least.
func reluCount(f, pre []float32, cc []int32, m int32) uint32 {
	f, cc = f[:len(pre)], cc[:len(pre)]
	var n uint32
	i0 := 0
	if useAVX2 && len(pre) >= 8 {
		i0 = len(pre) &^ 7
		if m == 1 {
			n = uint32(reluCountAVX2(&f[0], &pre[0], &cc[0], i0))
		} else {
			n = uint32(reluCountMultAVX2(&f[0], &pre[0], &cc[0], i0, m))
		}
	}
	for i := i0; i < len(pre); i++ {
		p := pre[i]
		bits := math.Float32bits(p)
		bits &^= uint32(int32(bits) >> 31) // negative → +0
		on := (bits + 0x7fffffff) >> 31    // 1 when > 0
		f[i] = math.Float32frombits(bits)
		n += on
		cc[i] += m & -int32(on)
	}
	return n
}

// l1Fused is the L1 penalty's gradient on ReLU activations f (>= 0): df =
// df + lam where f > 0, else +0; cs += df; it returns Σ f. df and cs have
// len(f) elements at least.
func l1Fused(df, f, cs []float32, lam float32) float32 {
	df, cs = df[:len(f)], cs[:len(f)]
	var norm float32
	i0 := 0
	if useAVX2 && len(f) >= 8 {
		i0 = len(f) &^ 7
		norm = l1FusedAVX2(&df[0], &f[0], &cs[0], lam, i0)
	}
	for i := i0; i < len(f); i++ {
		v := f[i]
		on := float32((math.Float32bits(v) + 0x7fffffff) >> 31)
		norm += v
		d := (df[i] + lam) * on
		df[i] = d
		cs[i] += d
	}
	return norm
}

// adamScaleZero is Adam on one parameter p with gradient g scaled by gs
// (the clip coefficient), clearing g: g' = g·gs; m = b1·m + omb1·g';
// v = b2·v + (omb2·g')·g'; p -= (stepSize·m) / (sqrt(v) + eps) (stepSize and
// eps carry the bias corrections, see adam.update). g, m and v have len(p)
// elements at least.
func adamScaleZero(p, g, m, v []float32, gs, b1, omb1, b2, omb2, stepSize, eps float32) {
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	if len(p) >= 2*adamSpan && runtime.GOMAXPROCS(0) > 1 {
		// Every element is updated on its own: spans of adamSpan (a
		// multiple of 8, so each span but the last is all vector lanes,
		// as in one call) over the cores give the same values.
		forSpans(len(p), adamSpan, len(p), func(_, lo, hi int) {
			adamScaleZeroSerial(p[lo:hi], g[lo:hi], m[lo:hi], v[lo:hi], gs, b1, omb1, b2, omb2, stepSize, eps)
		})
		return
	}
	adamScaleZeroSerial(p, g, m, v, gs, b1, omb1, b2, omb2, stepSize, eps)
}

// adamSpan is the number of parameters a goroutine of adamScaleZero
// updates at a time (a multiple of 8).
const adamSpan = 1 << 16

// adamScaleZeroSerial is adamScaleZero on the calling goroutine.
func adamScaleZeroSerial(p, g, m, v []float32, gs, b1, omb1, b2, omb2, stepSize, eps float32) {
	i0 := 0
	if useAVX2 && len(p) >= 8 {
		i0 = len(p) &^ 7
		adamScaleZeroAVX2(&p[0], &g[0], &m[0], &v[0], i0, gs, b1, omb1, b2, omb2, stepSize, eps)
	}
	if i0 < len(p) {
		adamScaleZeroGo(&p[i0], &g[i0], &m[i0], &v[i0], len(p)-i0, gs, b1, omb1, b2, omb2, stepSize, eps)
	}
}
