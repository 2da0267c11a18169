package tracr

import (
	"strings"
	"testing"
)

func TestLayoutCase3(t *testing.T) {
	_, c := compileCase(t, 3)
	got := c.Layout()
	for _, want := range []string{
		"  0      frac_prevs_1\n",
		"  1-4    indices (4 values)\n",
		"  5      is_x_3\n",
		"  6      one\n",
		"  7-12   tokens (6 values)\n",
		"  Operation select_2 is handled in {blocks.1.attn.hook_q[0], blocks.1.attn.hook_k[0]}\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("layout lacks %q:\n%s", want, got)
		}
	}
	if d := c.Alignment.Dims["tokens"]; len(d) != 6 || d[0] != 7 {
		t.Errorf("tokens dims %v", d)
	}
}
