package grad

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/glassbox-interp/glassbox/model"
)

// TestEmbedTableMatchesRows checks that rows copied from embedTable equal
// embedRows' sums bit for bit (zero padding included) for chunks that
// start mid-sequence, and that a table over maxEmbedTable is refused.
func TestEmbedTableMatchesRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 7))
	g := geom{D: 12, Dp: 16, Vin: 7, NCtx: 6}
	wE, wPos := randFloats(rng, g.Vin*g.D), randFloats(rng, g.NCtx*g.D)
	tab := embedTable(nil, g, wE, wPos)
	if tab == nil {
		t.Fatal("embedTable refused a 7×6 table")
	}
	const T = 5 // < n_ctx: the table's rows past T are not used
	toks := make([]int32, 4*T)
	for i := range toks {
		toks[i] = int32(rng.IntN(g.Vin))
	}
	for _, r0 := range []int{0, 3, T, 7} {
		want, got := randFloats(rng, (len(toks)-r0)*g.Dp), randFloats(rng, (len(toks)-r0)*g.Dp)
		embedRows(want, g.Dp, wE, wPos, toks[r0:], r0%T, T, g.D)
		embedFromTable(got, g.Dp, tab, g.NCtx, toks[r0:], r0%T, T)
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("chunk from row %d: element %d: table %v, sums %v", r0, i, got[i], want[i])
			}
		}
		for r := r0; r < len(toks); r++ {
			o := want[(r-r0)*g.Dp:]
			tk, pos := int(toks[r]), r%T
			if o[0] != wE[tk*g.D]+wPos[pos*g.D] || o[g.D] != 0 {
				t.Fatalf("row %d: %v, want W_E[%d] + W_pos[%d] and zero padding", r, o[:g.Dp], tk, pos)
			}
		}
	}
	big := geom{D: 64, Dp: 64, Vin: 100, NCtx: 20}
	if embedTable(nil, big, make([]float32, big.Vin*big.D), make([]float32, big.NCtx*big.D)) != nil {
		t.Error("embedTable built a table over maxEmbedTable")
	}
}

// TestQKV0TableMatchesProduct runs Forward (kept, then Backward) and the
// evaluation's ForwardFrom with layer 0's q, k, v copied from qkv0Table
// and with them computed by the product on x[0], and requires the same
// bits from both: logits, gradients and the patched run's logits.
func TestQKV0TableMatchesProduct(t *testing.T) {
	wide := testConfig()
	wide.DModel, wide.NHeads, wide.DHead, wide.DMLP, wide.NCtx, wide.DVocab, wide.DVocabOut = 50, 4, 12, 200, 10, 5, 3
	wide.NLayers = 3
	wide.AttnScale = 0
	wide = wide.WithDefaults()
	for _, tc := range []struct {
		name string
		cfg  model.Config
		B, T int
	}{
		{"case3-like", testConfig(), 37, 5},
		{"case21-like", wide, 70, 10},
		{"short rows", wide, 9, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := randNet(t, tc.cfg, 4)
			tok := randTokens(tc.B, tc.T, tc.cfg.DVocab, 9)
			V := tc.cfg.DVocabOut
			dl := make([]float32, tc.B*tc.T*V)
			for i := range dl {
				dl[i] = float32(i%7)*0.1 - 0.3
			}
			head := Node{Hook: "blocks.0.attn.hook_result", Head: 1} // ForwardFrom runs from the tokens
			patch := Patch{Node: head, Values: make([]float32, tc.B*tc.T*head.Width(tc.cfg))}
			for i := range patch.Values {
				patch.Values[i] = float32(i%5) * 0.2
			}
			type out struct{ logits, grads, patched []float32 }
			run := func(table bool) out {
				old := useQKV0Table
				useQKV0Table = table
				defer func() { useQKV0Table = old }()
				ws, wsP, g := NewWorkspace(), NewWorkspace(), n.NewGrads()
				r, err := n.Forward(ws, tok, tc.B, tc.T, nil, true)
				if err != nil {
					t.Fatal(err)
				}
				if got := ws.qkv0 != nil; got != table {
					t.Fatalf("table %v: qkv0 built %v", table, got)
				}
				o := out{logits: append([]float32(nil), r.Logits()...)}
				if err := n.Backward(ws, r, dl, g); err != nil {
					t.Fatal(err)
				}
				o.grads = append([]float32(nil), g.data...)
				clean, err := n.Forward(ws, tok, tc.B, tc.T, nil, false)
				if err != nil {
					t.Fatal(err)
				}
				pr, err := n.ForwardFrom(wsP, clean, []Patch{patch}, false)
				if err != nil {
					t.Fatal(err)
				}
				o.patched = append([]float32(nil), pr.Logits()...)
				return o
			}
			want, got := run(false), run(true)
			for _, c := range []struct {
				what      string
				got, want []float32
			}{{"logits", got.logits, want.logits}, {"gradients", got.grads, want.grads}, {"patched logits", got.patched, want.patched}} {
				if len(c.got) != len(c.want) {
					t.Fatalf("%s: %d values, want %d", c.what, len(c.got), len(c.want))
				}
				for i := range c.want {
					if math.Float32bits(c.got[i]) != math.Float32bits(c.want[i]) {
						t.Fatalf("%s %d: table %v, product %v", c.what, i, c.got[i], c.want[i])
					}
				}
			}
		})
	}
}
