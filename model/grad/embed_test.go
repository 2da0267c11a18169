package grad

import (
	"math"
	"math/rand/v2"
	"testing"
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
