package sae

import (
	"runtime"
	"sync/atomic"
	"testing"
)

// TestForBlocks checks that forBlocks calls every fixed block of [0, n)
// exactly once with its bounds, serially and over several goroutines, and
// that transposePar is transposeTo.
func TestForBlocks(t *testing.T) {
	for _, tc := range []struct {
		name        string
		n, work     int
		procs, want int // GOMAXPROCS, number of blocks
	}{
		{"empty", 0, 0, 2, 0},
		{"one block", 100, passMinWork, 2, 1},
		{"serial", 3*passBlock + 5, 10, 2, 4},
		{"split", 3*passBlock + 5, passMinWork, 2, 4},
		{"one core", 2 * passBlock, passMinWork, 1, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(tc.procs))
			calls := make([]atomic.Int32, nBlocks(tc.n))
			forBlocks(tc.n, tc.work, func(k, lo, hi int) {
				if lo != k*passBlock || hi != min(lo+passBlock, tc.n) {
					t.Errorf("block %d: [%d, %d)", k, lo, hi)
				}
				calls[k].Add(1)
			})
			if len(calls) != tc.want {
				t.Fatalf("%d blocks, want %d", len(calls), tc.want)
			}
			for k := range calls {
				if c := calls[k].Load(); c != 1 {
					t.Errorf("block %d called %d times", k, c)
				}
			}
		})
	}
	const rows, cols = 2*passBlock + 13, 37
	src := make([]float32, rows*cols)
	for i := range src {
		src[i] = float32(i)
	}
	want, got := make([]float32, cols*rows), make([]float32, cols*rows)
	transposeTo(want, rows, src, rows, cols)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	transposePar(got, rows, src, rows, cols)
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("transposePar[%d] = %v, want %v", i, got[i], want[i])
		}
	}
}
