//go:build amd64 && !noasm

package sae

// dot4AVX2 writes out[r] = Σ_{j<n} w[j]·x_r[j] for the four rows x0..x3
// (n a multiple of 16; one accumulator pair per row, summed at the end).
//
//go:noescape
func dot4AVX2(w, x0, x1, x2, x3 *float32, n int, out *[4]float32)

// firstAboveAVX2 returns the smallest i < n with v[i] > t, or n (n a
// multiple of 8).
//
//go:noescape
func firstAboveAVX2(v *float32, n int, t float32) int
