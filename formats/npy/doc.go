// Package npy reads NumPy .npy files holding float arrays:
//
//	t, err := npy.Parse(b, "acts.npy") // *tensor.Tensor, float32 data
//
// Formats 1.0–3.0 are read; the array must be C-ordered little-endian
// float32 ('<f4') or float64 ('<f8', converted to float32). Every header
// field and size is checked before anything is allocated, and errors name
// the source.
package npy
