package sae

import "math"

// expf is a float32 exp (Cephes-style range reduction and a degree-5
// polynomial; relative error below 2e-7 over the float32 range), used where
// the ghost-grad path exponentiates many pre-activations.
func expf(x float32) float32 {
	if x > 88.72283 {
		return float32(math.Inf(1))
	}
	if x < -103.97208 {
		return 0
	}
	if x != x {
		return x
	}
	// n = round(x / ln 2), r = x − n·ln 2 in two parts.
	fn := float32(math.Floor(float64(x*1.442695040888963) + 0.5))
	r := x - fn*0.693359375
	r -= fn * -2.12194440e-4
	p := float32(1.9875691500e-4)
	p = p*r + 1.3981999507e-3
	p = p*r + 8.3334519073e-3
	p = p*r + 4.1665795894e-2
	p = p*r + 1.6666665459e-1
	p = p*r + 5.0000001201e-1
	y := p*r*r + r + 1
	n := int32(fn)
	if n < -126 {
		// subnormal result: scale in two steps
		return y * math.Float32frombits(uint32(n+126+127)<<23) * math.Float32frombits(uint32(-126+127)<<23)
	}
	if n > 127 {
		return y * math.Float32frombits(uint32(127+127)<<23) * math.Float32frombits(uint32(n-127+127)<<23)
	}
	return y * math.Float32frombits(uint32(n+127)<<23)
}
