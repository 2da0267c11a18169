//go:build ignore

// gen_case3 writes the case-3 activations used by the sae tests and
// benchmarks: the 320 dataset rows × 5 positions of the glassbox-compiled
// case-3 model at the notebook's three hooks.
//
//	go run sae/testdata/gen_case3.go
package main

import (
	"fmt"
	"log"
	"strings"

	"github.com/glassbox-interp/glassbox/formats/safetensors"
	"github.com/glassbox-interp/glassbox/tensor"
	"github.com/glassbox-interp/glassbox/workload"
)

func main() {
	cd, err := workload.CatalogueCase(3)
	if err != nil {
		log.Fatal(err)
	}
	m, err := cd.Compiled.Model()
	if err != nil {
		log.Fatal(err)
	}
	tokens, err := cd.TokenIDs()
	if err != nil {
		log.Fatal(err)
	}
	for _, hook := range []string{"blocks.0.hook_resid_pre", "blocks.0.hook_mlp_out", "blocks.1.hook_attn_out"} {
		s, err := workload.Collect(m, tokens, hook, workload.Select{})
		if err != nil {
			log.Fatal(err)
		}
		path := fmt.Sprintf("sae/testdata/case3_%s.safetensors", strings.TrimPrefix(strings.ReplaceAll(hook, ".", "_"), "blocks_"))
		t := &tensor.Tensor{Shape: []int{len(tokens), s.ContextSize, s.DIn}, Data: s.Data}
		if err := safetensors.Save(path, map[string]*tensor.Tensor{"activations": t}, map[string]string{"hook_name": hook, "case": "3"}); err != nil {
			log.Fatal(err)
		}
		fmt.Println(path, t.Shape)
	}
}
