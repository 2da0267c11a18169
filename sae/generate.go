package sae

// The amd64 kernels (*_amd64.s, one concept per file) are generated with
// avo by the asmgen module in internal/asmgen, which has its own go.mod so
// that avo stays out of glassbox's. Their Go declarations are in
// kernels_amd64.go (kernels512_amd64.go: the AVX-512 ones), their pure-Go
// implementations (other architectures, -tags noasm) in kernels_generic.go
// (kernels512_generic.go).

//go:generate go run -C ../internal/asmgen . -kernels sae/gemm -out ../../sae/gemm_amd64.s
//go:generate go run -C ../internal/asmgen . -kernels sae/gemm512 -out ../../sae/gemm512_amd64.s
//go:generate go run -C ../internal/asmgen . -kernels sae/gated512 -out ../../sae/gated512_amd64.s
//go:generate go run -C ../internal/asmgen . -kernels sae/jump512 -out ../../sae/jumprelu512_amd64.s
//go:generate go run -C ../internal/asmgen . -kernels sae/gather -out ../../sae/gather_amd64.s
//go:generate go run -C ../internal/asmgen . -kernels sae/vector -out ../../sae/vector_amd64.s
//go:generate go run -C ../internal/asmgen . -kernels sae/rows -out ../../sae/rows_amd64.s
//go:generate go run -C ../internal/asmgen . -kernels sae/fused -out ../../sae/fused_amd64.s
