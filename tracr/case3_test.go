package tracr

import (
	"strings"
	"testing"

	"github.com/glassbox-interp/glassbox/rasp"
)

// case3Program builds circuits-benchmark case 3 (frac_prevs of "x") in Go.
func case3Program() rasp.SOp {
	isX := rasp.Named(rasp.AsNumerical(rasp.NewMap(rasp.GoFunc{Name: `lambda x: x == "x"`, Fn: func(a ...rasp.Value) (rasp.Value, error) {
		return rasp.Equal(a[0], "x"), nil
	}}, rasp.Tokens)), "is_x")
	prevs := rasp.NewSelect(rasp.Indices, rasp.Indices, rasp.LEQ)
	return rasp.Named(rasp.AsNumerical(rasp.NewAggregate(prevs, isX, 0)), "frac_prevs")
}

func TestCase3MatchesReference(t *testing.T) {
	ref := loadReference(t)[3]
	c, err := Compile(case3Program(), []rasp.Value{"a", "b", "c", "x"}, 4, Options{Causal: true})
	if err != nil {
		t.Fatal(err)
	}
	checkAgainstReference(t, c, ref)
}

func TestCase3AlignmentLines(t *testing.T) {
	c, err := Compile(case3Program(), []rasp.Value{"a", "b", "c", "x"}, 4, Options{Causal: true})
	if err != nil {
		t.Fatal(err)
	}
	want := `Operation tokens is handled in {hook_embed}
Operation indices is handled in {blocks.1.attn.hook_k[0], blocks.1.attn.hook_q[0], hook_pos_embed}
Operation is_x_3 is handled in {blocks.0.hook_mlp_in, blocks.0.hook_mlp_out}
Operation frac_prevs_1 is handled in {blocks.1.hook_v_input[0], blocks.1.attn.hook_v[0], blocks.1.attn.hook_result[0]}
Operation frac_prevs_1 is handled in {blocks.1.hook_resid_post}
Operation select_2 is handled in {blocks.1.attn.hook_q[0], blocks.1.attn.hook_k[0]}`
	if got := strings.Join(c.Alignment.Lines(), "\n"); got != want {
		t.Errorf("alignment lines:\n%s\nwant\n%s", got, want)
	}
}

func TestCase3ModelOutputs(t *testing.T) {
	ref := loadReference(t)[3]
	c, err := Compile(case3Program(), []rasp.Value{"a", "b", "c", "x"}, 4, Options{Causal: true})
	if err != nil {
		t.Fatal(err)
	}
	checkModelOutputs(t, c, ref)
}
