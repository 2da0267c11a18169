package sae

// The amd64 kernels (*_amd64.s) are generated with avo by the asmgen
// module in internal/asmgen, which has its own go.mod so that avo stays
// out of glassbox's; their Go declarations are in the matching *_amd64.go
// files and their pure-Go counterparts (other architectures, -tags noasm)
// in *_other.go.

//go:generate go run -C ../internal/asmgen . -kernels sae/kernel -out ../../sae/kernel_amd64.s
//go:generate go run -C ../internal/asmgen . -kernels sae/small -out ../../sae/small_amd64.s
//go:generate go run -C ../internal/asmgen . -kernels sae/gated -out ../../sae/gated_amd64.s
//go:generate go run -C ../internal/asmgen . -kernels sae/topk -out ../../sae/topk_amd64.s
