package craft

import (
	"math"
	"testing"

	"github.com/glassbox-interp/glassbox/rasp"
	"github.com/glassbox-interp/glassbox/tracr/bases"
)

// applyMLP evaluates an MLP on a vector given as direction → value.
func applyMLP(m *MLP, x map[bases.Direction]float64) map[string]float64 {
	h := make([]float64, m.Fst.Out.NumDims())
	for d, v := range x {
		i, ok := m.Fst.In.Index(d)
		if !ok {
			continue
		}
		for j := range h {
			h[j] += v * m.Fst.At(i, j)
		}
	}
	out := map[string]float64{}
	for j := range h {
		if h[j] < 0 {
			h[j] = 0
		}
		for k, d := range m.Snd.Out.Basis() {
			out[d.String()] += h[j] * m.Snd.At(j, k)
		}
	}
	return out
}

func TestNumericalMLPApproximatesFunction(t *testing.T) {
	in := bases.FromNames("x")
	out := bases.FromNames("y")
	one := bases.NameDir("one")
	f := func(v bases.Value) (bases.Value, error) {
		x, _ := bases.AsFloat(v)
		if x == 0 {
			return nil, rasp.ErrZeroDivision // skipped like an ArithmeticError
		}
		return 1 / x, nil
	}
	vals := []bases.Value{4, 1, 2, 0, 3}
	m, err := NumericalMLP(f, in, out, vals, one, 100, "_h_")
	if err != nil {
		t.Fatal(err)
	}
	// 4 defined inputs: start unit + 2 per threshold.
	if got := m.Hidden().NumDims(); got != 7 {
		t.Errorf("hidden size %d, want 7", got)
	}
	for _, x := range []float64{1, 2, 3, 4} {
		y := applyMLP(m, map[bases.Direction]float64{bases.NameDir("x"): x, one: 1})["y"]
		if math.Abs(y-1/x) > 1e-9 {
			t.Errorf("f(%g) = %g, want %g", x, y, 1/x)
		}
	}
}

func TestNumericalMLPReportsOtherErrors(t *testing.T) {
	f := func(v bases.Value) (bases.Value, error) { return nil, rasp.ErrType }
	_, err := NumericalMLP(f, bases.FromNames("x"), bases.FromNames("y"), []bases.Value{1, 2}, bases.NameDir("one"), 100, "_h_")
	if err == nil {
		t.Fatal("want an error for a TypeError in f")
	}
}

func TestCategoricalAttnBOSDefault(t *testing.T) {
	q := bases.FromValues("indices", []bases.Value{0, 1})
	k := bases.FromValues("indices", []bases.Value{0, 1})
	v := bases.FromValues("tokens", []bases.Value{"a", "b"})
	o := bases.FromValues("agg", []bases.Value{"a", "b"})
	bos, one := bases.Dir("tokens", "BOS"), bases.NameDir("one")
	h, err := CategoricalAttn(q, k, v, o, bos, one, func(q, k bases.Direction) (bool, error) {
		return rasp.Less(k.Value, q.Value)
	}, AttnOptions{UseBOSForDefaultOutput: true, SoftmaxColdness: 100})
	if err != nil {
		t.Fatal(err)
	}
	at := func(qd, kd bases.Direction) float64 {
		i, _ := h.QK.Left.Index(qd)
		j, _ := h.QK.Right.Index(kd)
		return h.QK.At(i, j)
	}
	if got := at(one, bos); got != 50 {
		t.Errorf("one→BOS = %g, want 50", got)
	}
	if got := at(bases.Dir("indices", 1), bases.Dir("indices", 0)); got != 100 {
		t.Errorf("1 attends 0: %g, want 100", got)
	}
	if got := at(bases.Dir("indices", 0), bases.Dir("indices", 1)); got != 0 {
		t.Errorf("0 attends 1: %g, want 0", got)
	}
	if got := h.OV.Get(bases.Dir("tokens", "b"), bases.Dir("agg", "b")); got != 1 {
		t.Errorf("OV b→b = %g", got)
	}
}

func TestCombineInParallelSumsSharedDirections(t *testing.T) {
	// Two selector-width clean-up MLPs share the hidden unit "_hidden_clean_bos_";
	// tracr's combine sums their rows, and so must we.
	bos := bases.Dir("tokens", "BOS")
	hid := bases.NameDir("_hidden_clean_bos_")
	mk := func(out string) *MLP {
		fst := NewLinear(bases.NewSpace(bos), bases.NewSpace(hid))
		fst.Add(bos, hid, 1)
		snd := NewLinear(bases.NewSpace(hid), bases.FromNames(out))
		snd.Add(hid, bases.NameDir(out), -1)
		return &MLP{Fst: fst, Snd: snd}
	}
	m := CombineMLPs([]*MLP{mk("a"), mk("b")})
	if m.Hidden().NumDims() != 1 {
		t.Fatalf("hidden %s", m.Hidden())
	}
	if got := m.Fst.Get(bos, hid); got != 2 {
		t.Errorf("BOS→hidden = %g, want 2", got)
	}
	out := applyMLP(m, map[bases.Direction]float64{bos: 1})
	if out["a"] != -2 || out["b"] != -2 {
		t.Errorf("outputs %v, want a=b=-2", out)
	}
}

func TestSequenceMapNeedsDisjointInputs(t *testing.T) {
	s := bases.FromValues("x", []bases.Value{1, 2})
	_, err := SequenceMapCategoricalMLP(s, s, s, nil, bases.NameDir("one"), "_h_")
	if err == nil {
		t.Fatal("want an error for overlapping input spaces")
	}
}
