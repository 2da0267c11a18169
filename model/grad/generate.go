package grad

// The amd64 kernels (*_amd64.s, one concept per file) are generated with
// avo by the asmgen module in internal/asmgen (its own go.mod, so avo
// stays out of glassbox's). Their Go declarations are in *_amd64.go, their
// pure-Go twins (other architectures, -tags noasm) under the same names in
// *_other.go.

//go:generate go run -C ../../internal/asmgen . -kernels grad/sgemm -out ../../model/grad/sgemm_amd64.s
//go:generate go run -C ../../internal/asmgen . -kernels grad/gelu -out ../../model/grad/gelu_amd64.s
//go:generate go run -C ../../internal/asmgen . -kernels grad/exp -out ../../model/grad/exp_amd64.s
//go:generate go run -C ../../internal/asmgen . -kernels grad/attn -out ../../model/grad/attn_amd64.s
//go:generate go run -C ../../internal/asmgen . -kernels grad/mul -out ../../model/grad/mul_amd64.s
//go:generate go run -C ../../internal/asmgen . -kernels grad/sgemmz -out ../../model/grad/sgemmz_amd64.s
