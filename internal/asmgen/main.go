// Command asmgen generates glassbox's amd64 assembly kernels with avo
// (github.com/mmcloughlin/avo). It is its own module, so avo and its
// dependencies stay out of the product's go.mod; the committed .s files are
// its output, and the //go:generate lines next to their Go declarations
// reproduce them:
//
//	go generate ./sae ./model
//
// runs, for each kernel file,
//
//	go run -C ../internal/asmgen . -kernels sae/gemm -out ../../sae/gemm_amd64.s
//
// One file per concept: sae_gemm.go (dense small products), sae_gemm512.go
// (their AVX-512 register tiles), sae_gated512.go (the dense gated step's
// element-wise passes with AVX-512 masks), sae_jumprelu512.go (the dense
// jumprelu step's), sae_gather.go
// (products over gathered rows), sae_vector.go (BLAS level 1), sae_rows.go
// (row-wise passes over narrow matrices), sae_fused.go (fused element-wise
// step passes), model_kernel.go (model's float64 tile product), grad_*.go
// (model/grad's float32 product, element-wise passes and lane-wise
// attention). Every kernel has a pure-Go implementation under the same name
// for other architectures and -tags noasm (sae/kernels_other.go,
// model/kernel_other.go, model/grad/*_other.go).
package main

import (
	"flag"
	"fmt"
	"os"
	"sort"

	. "github.com/mmcloughlin/avo/build"
)

// kernelFiles maps a -kernels name to the function emitting that .s file.
var kernelFiles = map[string]func(){
	"sae/gemm":     saeGemm,
	"sae/gemm512":  saeGemm512,
	"sae/gated512": saeGated512,
	"sae/jump512":  saeJumpReLU512,
	"sae/gather":   saeGather,
	"sae/vector":   saeVector,
	"sae/rows":     saeRows,
	"sae/fused":    saeFused,
	"model/kernel": modelKernel,
	"grad/sgemm":   gradSgemm,
	"grad/sgemmz":  gradSgemmZ,
	"grad/gelu":    gradGelu,
	"grad/exp":     gradExp,
	"grad/attn":    gradAttn,
	"grad/mul":     gradMul,
}

func main() {
	which := flag.String("kernels", "", "kernel file to generate")
	flag.Parse()
	emit, ok := kernelFiles[*which]
	if !ok {
		var names []string
		for n := range kernelFiles {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintf(os.Stderr, "asmgen: -kernels must be one of %v, got %q\n", names, *which)
		os.Exit(2)
	}
	ConstraintExpr("amd64,!noasm")
	emit()
	Generate()
}
