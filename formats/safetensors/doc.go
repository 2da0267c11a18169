// Package safetensors reads and writes the safetensors file format
// (Hugging Face): an 8-byte little-endian header length, a JSON header that
// maps tensor names to dtype, shape and byte range (plus an optional
// "__metadata__" object of string values), then the raw little-endian data.
//
// Reading validates the whole header before any tensor is used: the header
// length, every dtype, shape and offset pair, that the byte ranges lie inside
// the data section, do not overlap and cover it without holes, and that each
// range has exactly shape×dtype-size bytes. Errors name the file and tensor.
//
// Tensors convert to and from *tensor.Tensor (float32) for the float dtypes
// F32, F64, F16 and BF16 (and the integer dtypes, converted); raw typed access
// is available for I64, I32, I16, I8, U8 and BOOL. Writing is deterministic
// (tensors laid out in sorted name order, header keys sorted) and atomic.
package safetensors
