package grad

import (
	"fmt"
	"math"
)

// MSE is the mean squared error over positions posFrom..T-1 of every row
// (mean over B·(T-posFrom)·V elements; logits and target are [B,T,V]) and
// its gradient dL/dlogits [B,T,V], zero at the skipped positions. It
// returns (NaN, nil) for inconsistent sizes; MSEInto reports them.
func MSE(logits, target []float32, B, T, V, posFrom int) (float64, []float32) {
	if B < 0 || T < 0 || V < 0 || B*T*V != len(logits) {
		return math.NaN(), nil
	}
	d := make([]float32, len(logits))
	l, err := MSEInto(d, logits, target, B, T, V, posFrom)
	if err != nil {
		return math.NaN(), nil
	}
	return l, d
}

// MSEInto is MSE writing the gradient into dlogits ([B,T,V]).
func MSEInto(dlogits, logits, target []float32, B, T, V, posFrom int) (float64, error) {
	if err := checkLoss(len(dlogits), len(logits), B, T, V, posFrom); err != nil {
		return 0, fmt.Errorf("grad: mse: %w", err)
	}
	if len(target) != B*T*V {
		return 0, fmt.Errorf("grad: mse: target has %d values, want [B,T,V] = %d", len(target), B*T*V)
	}
	count := float64(B * (T - posFrom) * V)
	scale := 2 / count
	sum := 0.0
	for b := 0; b < B; b++ {
		for t := 0; t < T; t++ {
			o := (b*T + t) * V
			if t < posFrom {
				clear(dlogits[o : o+V])
				continue
			}
			for j := o; j < o+V; j++ {
				diff := float64(logits[j]) - float64(target[j])
				sum += diff * diff
				dlogits[j] = float32(scale * diff)
			}
		}
	}
	return sum / count, nil
}

// CrossEntropy is the mean over the B·(T-posFrom) positions t ≥ posFrom of
// -log softmax(logits[b,t,:])[target[b,t]] (logits [B,T,V], target [B,T])
// and its gradient dL/dlogits [B,T,V], zero at the skipped positions. It
// returns (NaN, nil) for inconsistent sizes or a target outside [0, V);
// CrossEntropyInto reports them.
func CrossEntropy(logits []float32, target []int32, B, T, V, posFrom int) (float64, []float32) {
	if B < 0 || T < 0 || V < 0 || B*T*V != len(logits) {
		return math.NaN(), nil
	}
	d := make([]float32, len(logits))
	l, err := CrossEntropyInto(d, logits, target, B, T, V, posFrom)
	if err != nil {
		return math.NaN(), nil
	}
	return l, d
}

// CrossEntropyInto is CrossEntropy writing the gradient into dlogits.
func CrossEntropyInto(dlogits, logits []float32, target []int32, B, T, V, posFrom int) (float64, error) {
	if err := checkLoss(len(dlogits), len(logits), B, T, V, posFrom); err != nil {
		return 0, fmt.Errorf("grad: cross-entropy: %w", err)
	}
	if len(target) != B*T {
		return 0, fmt.Errorf("grad: cross-entropy: target has %d values, want [B,T] = %d", len(target), B*T)
	}
	count := float64(B * (T - posFrom))
	sum := 0.0
	for b := 0; b < B; b++ {
		for t := 0; t < T; t++ {
			o := (b*T + t) * V
			row, d := logits[o:o+V], dlogits[o:o+V]
			if t < posFrom {
				clear(d)
				continue
			}
			y := target[b*T+t]
			if y < 0 || int(y) >= V {
				return 0, fmt.Errorf("grad: cross-entropy: target[%d,%d] = %d, want a class in [0, %d)", b, t, y, V)
			}
			mx := math.Inf(-1)
			for _, v := range row {
				mx = math.Max(mx, float64(v))
			}
			se := 0.0
			for _, v := range row {
				se += math.Exp(float64(v) - mx)
			}
			lse := mx + math.Log(se)
			sum += lse - float64(row[y])
			for j, v := range row {
				p := math.Exp(float64(v) - lse)
				if j == int(y) {
					p--
				}
				d[j] = float32(p / count)
			}
		}
	}
	return sum / count, nil
}

func checkLoss(nd, nl, B, T, V, posFrom int) error {
	switch {
	case B < 1 || T < 1 || V < 1:
		return fmt.Errorf("shape [%d,%d,%d], want positive sizes", B, T, V)
	case posFrom < 0 || posFrom >= T:
		return fmt.Errorf("posFrom %d, want 0 ≤ posFrom < T = %d", posFrom, T)
	case nl != B*T*V:
		return fmt.Errorf("logits have %d values, want [B,T,V] = [%d,%d,%d] = %d", nl, B, T, V, B*T*V)
	case nd != nl:
		return fmt.Errorf("dlogits have %d values, want %d", nd, nl)
	}
	return nil
}
