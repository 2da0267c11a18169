package workload

import (
	"slices"
	"testing"

	"github.com/glassbox-interp/glassbox/model"
)

// TestViewMatchesSelectHead: a View at one head reads what model.SelectHead
// returns for every per-head layout ([B,T,H,d] and [B,H,T,T]), and Replace
// is Extract's inverse.
func TestViewMatchesSelectHead(t *testing.T) {
	m := randomModel(t)
	B, T := len(testTokens), len(testTokens[0])
	hooks := []string{"blocks.1.attn.hook_result", "blocks.0.attn.hook_pattern", "blocks.1.attn.hook_attn_scores", "blocks.0.attn.hook_q"}
	_, cache, err := m.RunWithCache(testTokens, hooks...)
	if err != nil {
		t.Fatal(err)
	}
	for _, hook := range hooks {
		act := cache[hook]
		for h := 0; h < 3; h++ {
			v, err := NewView(hook, act.Shape, B, T, &h)
			if err != nil {
				t.Fatalf("%s head %d: %v", hook, h, err)
			}
			want, err := model.SelectHead(hook, act, h)
			if err != nil {
				t.Fatal(err)
			}
			got := v.Extract(act.Data, nil)
			if !slices.Equal(got, want.Data) {
				t.Errorf("%s head %d: view differs from SelectHead", hook, h)
			}
			back := make([]float32, len(act.Data))
			copy(back, act.Data)
			for i := range got {
				got[i] = -got[i]
			}
			v.Replace(back, got)
			if again := v.Extract(back, nil); !slices.Equal(again, got) {
				t.Errorf("%s head %d: Replace is not Extract's inverse", hook, h)
			}
		}
	}
}

func TestViewErrors(t *testing.T) {
	h, bad := 0, 5
	for _, tc := range []struct {
		hook  string
		shape []int
		head  *int
	}{
		{"blocks.0.hook_mlp_out", []int{2, 3, 4}, &h},
		{"blocks.0.attn.hook_pattern", []int{2, 3, 5, 5}, nil},
		{"blocks.0.attn.hook_pattern", []int{2, 3, 5, 5}, &bad},
		{"blocks.0.attn.hook_result", []int{2, 5, 3, 4}, nil},
		{"blocks.0.hook_mlp_out", []int{2, 4, 4}, nil},
		{"blocks.x.hook_mlp_out", []int{2, 5, 4}, nil},
	} {
		if _, err := NewView(tc.hook, tc.shape, 2, 5, tc.head); err == nil {
			t.Errorf("%s %v head %v: want an error", tc.hook, tc.shape, tc.head)
		}
	}
}
