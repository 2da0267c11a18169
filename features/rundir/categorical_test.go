package rundir

import (
	"math"
	"testing"

	"github.com/glassbox-interp/glassbox/sae"
	"github.com/glassbox-interp/glassbox/workload"
)

// TestSpliceCategorical runs identity and all-zero SAEs on a categorical
// case: the identity SAE must give ce_loss_score = kl_div_score = 1 and the
// clean model's accuracy; the zero SAE must give the zero-ablated metrics.
func TestSpliceCategorical(t *testing.T) {
	const id = 13
	cd, err := workload.CatalogueCase(id)
	if err != nil {
		t.Fatal(err)
	}
	if !cd.Compiled.Categorical {
		t.Fatalf("case %d is not categorical", id)
	}
	din := len(cd.Compiled.ResidualLabels)
	hook := "blocks.0.hook_resid_mid"
	ident, _ := sae.New(sae.ArchStandard, din, 2*din)
	zero, _ := sae.New(sae.ArchStandard, din, din)
	for i := 0; i < din; i++ { // ReLU(x) − ReLU(−x) = x
		ident.WEncT[(2*i)*din+i] = 1
		ident.WEncT[(2*i+1)*din+i] = -1
		ident.WDec[(2*i)*din+i] = 1
		ident.WDec[(2*i+1)*din+i] = -1
	}
	ident.Meta.HookName, zero.Meta.HookName = hook, hook
	opts := Options{Case: id, Cases: workload.CatalogueCase, NoEffects: true}
	r1, err := Load(writeRun(t, ident), opts)
	if err != nil {
		t.Fatal(err)
	}
	d := r1.Downstream
	if !d.Categorical || d.Clean.CE == nil || d.KLScore == nil {
		t.Fatalf("downstream %+v", d)
	}
	if d.Spliced.Accuracy != d.Clean.Accuracy || float64(d.Clean.Accuracy) < 0.99 {
		t.Errorf("identity SAE: accuracy spliced %v clean %v", d.Spliced.Accuracy, d.Clean.Accuracy)
	}
	if math.Abs(float64(*d.CEScore)-1) > 1e-6 || math.Abs(float64(*d.KLScore)-1) > 1e-6 || float64(*d.Spliced.KL) > 1e-9 {
		t.Errorf("identity SAE: ce score %v kl score %v kl %v", *d.CEScore, *d.KLScore, *d.Spliced.KL)
	}
	if ev := float64(r1.Recon.ExplainedVariance); math.Abs(ev-1) > 1e-6 {
		t.Errorf("identity SAE: explained variance %v", ev)
	}
	// Try-your-input on a categorical case: outputs are decoded to the
	// program's output values, the identity SAE keeps them, and the
	// feature page's direct logits come from W_U.
	row := cd.TokenStrings()[0]
	input := ""
	for _, tok := range row[1:] {
		if tok != "PAD" {
			input += tok + " "
		}
	}
	p, err := r1.Probe(ProbeRequest{Input: input, Feature: -1})
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, n := range cd.OutputNames() {
		names[n] = true
	}
	for i, pp := range p.Positions[1:] {
		if pp.Clean != pp.Spliced || !names[pp.Clean] {
			t.Errorf("position %d: clean %q spliced %q (outputs %v)", i+1, pp.Clean, pp.Spliced, cd.OutputNames())
		}
	}
	if d, err := r1.Inspect(0); err != nil || d.LogitNote == "" || len(d.Basis) == 0 {
		t.Errorf("categorical Inspect: %+v %v", d, err)
	}
	r0, err := Load(writeRun(t, zero), opts)
	if err != nil {
		t.Fatal(err)
	}
	d = r0.Downstream
	if math.Abs(float64(*d.CEScore)) > 1e-9 || math.Abs(float64(*d.KLScore)) > 1e-9 || d.Spliced.Accuracy != d.Zero.Accuracy {
		t.Errorf("zero SAE: ce score %v kl score %v acc %v vs %v", *d.CEScore, *d.KLScore, d.Spliced.Accuracy, d.Zero.Accuracy)
	}
}
