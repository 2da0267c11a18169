package grad

import (
	"math"
	"runtime"
	"sync"
	"testing"
)

// TestPoolConcurrentCallers runs forward and backward passes from several
// goroutines at once (one holds the pool, the others fall back to
// goroutines of their own, turn by turn) and requires every result to
// equal the single-threaded one bit for bit.
func TestPoolConcurrentCallers(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(max(4, runtime.GOMAXPROCS(0))))
	cfg := testConfig()
	n := randNet(t, cfg, 6)
	B, T := 64, 5
	tok := randTokens(B, T, cfg.DVocab, 7)
	dl := make([]float32, B*T)
	for i := range dl {
		dl[i] = float32(i%5) - 2
	}
	pass := func() ([]float32, []float32, error) {
		ws := NewWorkspace()
		r, err := n.Forward(ws, tok, B, T, nil, true)
		if err != nil {
			return nil, nil, err
		}
		g := n.NewGrads()
		if err := n.Backward(ws, r, dl, g); err != nil {
			return nil, nil, err
		}
		return append([]float32(nil), r.Logits()...), g.data, nil
	}
	prev := runtime.GOMAXPROCS(1)
	wantL, wantG, err := pass()
	runtime.GOMAXPROCS(prev)
	if err != nil {
		t.Fatal(err)
	}
	const callers, rounds = 4, 10
	errs := make([]string, callers)
	var wg sync.WaitGroup
	for c := 0; c < callers; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				l, g, err := pass()
				if err != nil {
					errs[c] = err.Error()
					return
				}
				for i := range wantL {
					if math.Float32bits(l[i]) != math.Float32bits(wantL[i]) {
						errs[c] = "logits differ from the single-threaded run"
						return
					}
				}
				for i := range wantG {
					if math.Float32bits(g[i]) != math.Float32bits(wantG[i]) {
						errs[c] = "gradients differ from the single-threaded run"
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	for c, e := range errs {
		if e != "" {
			t.Errorf("caller %d: %s", c, e)
		}
	}
}
