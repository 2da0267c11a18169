package model

// kernel_amd64.s is generated with avo by the asmgen module in
// internal/asmgen (its own go.mod, so avo stays out of glassbox's); its Go
// declaration is in kernel_amd64.go, the pure-Go counterpart in
// kernel_other.go.

//go:generate go run -C ../internal/asmgen . -kernels model/kernel -out ../../model/kernel_amd64.s
