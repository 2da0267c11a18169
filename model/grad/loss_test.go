package grad

import (
	"math"
	"strings"
	"testing"
)

// numGrad is the central finite difference of f at x[i].
func numGrad(f func([]float32) float64, x []float32, i int) float64 {
	const h = 1e-3
	old := x[i]
	x[i] = old + h
	up := f(x)
	x[i] = old - h
	down := f(x)
	x[i] = old
	return (up - down) / (2 * h)
}

func TestMSE(t *testing.T) {
	B, T, V := 2, 3, 2
	logits := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	target := []float32{0, 0, 3, 3, 5, 5, 7, 7, 9, 9, 11, 11}
	for _, posFrom := range []int{0, 1, 2} {
		loss, d := MSE(logits, target, B, T, V, posFrom)
		want := 0.0
		cnt := 0
		for b := 0; b < B; b++ {
			for p := posFrom; p < T; p++ {
				for v := 0; v < V; v++ {
					i := (b*T+p)*V + v
					want += float64((logits[i] - target[i]) * (logits[i] - target[i]))
					cnt++
				}
			}
		}
		if want /= float64(cnt); math.Abs(loss-want) > 1e-12 {
			t.Errorf("posFrom %d: loss %v, want %v", posFrom, loss, want)
		}
		f := func(x []float32) float64 { l, _ := MSE(x, target, B, T, V, posFrom); return l }
		for i := range logits {
			if g := numGrad(f, logits, i); math.Abs(float64(d[i])-g) > 1e-3 {
				t.Errorf("posFrom %d: d[%d] = %v, finite difference %v", posFrom, i, d[i], g)
			}
		}
	}
}

func TestCrossEntropy(t *testing.T) {
	B, T, V := 2, 2, 3
	logits := []float32{0.1, 0.5, -0.3, 2, 1, 0, -1, 0.2, 0.3, 0, 0, 0}
	target := []int32{2, 0, 1, 1}
	loss, d := CrossEntropy(logits, target, B, T, V, 0)
	want := 0.0
	for r := 0; r < B*T; r++ {
		row := logits[r*V : (r+1)*V]
		se := 0.0
		for _, v := range row {
			se += math.Exp(float64(v))
		}
		want += math.Log(se) - float64(row[target[r]])
	}
	if want /= float64(B * T); math.Abs(loss-want) > 1e-9 {
		t.Errorf("loss %v, want %v", loss, want)
	}
	f := func(x []float32) float64 { l, _ := CrossEntropy(x, target, B, T, V, 1); return l }
	_, d1 := CrossEntropy(logits, target, B, T, V, 1)
	for i := range logits {
		if g := numGrad(f, logits, i); math.Abs(float64(d1[i])-g) > 1e-4 {
			t.Errorf("posFrom 1: d[%d] = %v, finite difference %v", i, d1[i], g)
		}
	}
	if d[0] == 0 || d1[0] != 0 {
		t.Error("posFrom does not zero the skipped positions")
	}
}

func TestLossErrors(t *testing.T) {
	if l, d := MSE(make([]float32, 5), make([]float32, 6), 2, 3, 1, 0); !math.IsNaN(l) || d != nil {
		t.Error("MSE with short logits did not return NaN, nil")
	}
	if _, err := MSEInto(make([]float32, 6), make([]float32, 6), make([]float32, 6), 2, 3, 1, 3); err == nil || !strings.Contains(err.Error(), "posFrom 3") {
		t.Errorf("MSEInto posFrom = T: %v", err)
	}
	if _, err := MSEInto(make([]float32, 6), make([]float32, 6), make([]float32, 5), 2, 3, 1, 0); err == nil || !strings.Contains(err.Error(), "target has 5") {
		t.Errorf("MSEInto short target: %v", err)
	}
	if _, err := CrossEntropyInto(make([]float32, 12), make([]float32, 12), []int32{0, 1, 4, 0}, 2, 2, 3, 0); err == nil || !strings.Contains(err.Error(), "target[1,0] = 4") {
		t.Errorf("CrossEntropyInto bad class: %v", err)
	}
	if l, _ := CrossEntropy(make([]float32, 12), []int32{0, 1, 4, 0}, 2, 2, 3, 0); !math.IsNaN(l) {
		t.Error("CrossEntropy with a bad class did not return NaN")
	}
}

func TestClipGradNorm(t *testing.T) {
	n := randNet(t, testConfig(), 1)
	g := n.NewGrads()
	for i := range g.has {
		g.has[i] = true
	}
	for i := range g.data {
		g.data[i] = float32(i%5) - 2
	}
	ss := 0.0
	for _, v := range g.data {
		ss += float64(v) * float64(v)
	}
	norm := ClipGradNorm(g, 0.1)
	if math.Abs(norm-math.Sqrt(ss)) > 1e-9*norm {
		t.Fatalf("norm %v, want %v", norm, math.Sqrt(ss))
	}
	after := 0.0
	for _, v := range g.data {
		after += float64(v) * float64(v)
	}
	if math.Abs(math.Sqrt(after)-0.1) > 1e-6 {
		t.Fatalf("norm after clipping %v, want 0.1", math.Sqrt(after))
	}
	before := append([]float32(nil), g.data...)
	if ClipGradNorm(g, 1); g.data[3] != before[3] {
		t.Fatal("clipping below the max norm changed the gradient")
	}
	// A parameter without a gradient is left out of the norm.
	g.Reset()
	g.data[0], g.has[0] = 3, true
	g.data[len(g.data)-1] = 4 // has[last] false
	if norm := ClipGradNorm(g, 10); norm != 3 {
		t.Fatalf("norm %v, want 3 (parameters without a gradient excluded)", norm)
	}
}

func TestAdamState(t *testing.T) {
	cfg := testConfig()
	n := randNet(t, cfg, 1)
	m := randNet(t, cfg, 1)
	g := n.NewGrads()
	for i := range g.data {
		g.data[i] = float32(math.Sin(float64(i)))
	}
	for i := range g.has {
		g.has[i] = i != 3
	}
	a := NewAdam(n, 1e-2, 0.9, 0.999, 1e-8)
	a.Step(n, g)
	a.Step(n, g)
	step, mm, vv := a.State()
	b := NewAdam(m, 1e-2, 0.9, 0.999, 1e-8)
	if err := b.SetState(step, mm, vv); err != nil {
		t.Fatal(err)
	}
	if err := b.SetSteps(a.Steps()); err != nil {
		t.Fatal(err)
	}
	m.data = append(m.data[:0], n.data...)
	a.Step(n, g)
	b.Step(m, g)
	for i := range n.data {
		if n.data[i] != m.data[i] {
			t.Fatalf("resumed Adam differs at %d", i)
		}
	}
	if s := a.Steps()[n.names[3]]; s != 0 {
		t.Errorf("parameter without a gradient has step %d", s)
	}
	delete(mm, "embed.W_E")
	if err := b.SetState(1, mm, vv); err == nil || !strings.Contains(err.Error(), "embed.W_E") {
		t.Errorf("SetState with a missing tensor: %v", err)
	}
	if err := b.SetSteps(map[string]int{"nope": 1}); err == nil {
		t.Error("SetSteps with an unknown name: no error")
	}
}
