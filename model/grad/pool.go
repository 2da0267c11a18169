package grad

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// The pool keeps helper goroutines for runChunks. A training step runs a
// dozen short parallel passes (forward, backward, source runs) separated
// by short serial stretches (loss, optimiser step, packing); starting a
// goroutine per pass woke a parked thread each time, and on a VM that
// wake-up (tens to a hundred microseconds) was a large part of a case-3
// pass. A helper instead spins for helperSpin after each pass, watching
// for the next one, before it parks. Which goroutine runs a chunk never
// changes what the chunk computes, so results do not depend on the pool.

// helperSpin is how long an idle helper watches for the next pass before
// parking.
const helperSpin = 200 * time.Microsecond

// poolPass is one pass offered to the helpers.
type poolPass struct {
	j    *chunkJob
	n    int32
	next atomic.Int32 // next chunk to claim
	done atomic.Int32 // chunks finished
	fin  chan struct{}
}

var pool struct {
	cur      atomic.Pointer[poolPass] // the pass on offer, nil when none
	sleeping atomic.Int32             // helpers parked on wake
	wake     chan struct{}
	mu       sync.Mutex
	helpers  int
}

// ensureHelpers starts helpers until there are at least n.
func ensureHelpers(n int) {
	pool.mu.Lock()
	defer pool.mu.Unlock()
	if pool.wake == nil {
		pool.wake = make(chan struct{}, maxChunks)
	}
	for ; pool.helpers < n; pool.helpers++ {
		go helper()
	}
}

// runPooled runs j's chunks on the caller and up to h helpers. It
// returns false, having run nothing, when another pass holds the pool.
func runPooled(j *chunkJob, h int) bool {
	h = min(h, maxChunks-1)
	if int(pool.sleeping.Load()) == 0 && poolHelpers() < h {
		ensureHelpers(h)
	}
	p := &poolPass{j: j, n: int32(j.nc), fin: make(chan struct{}, 1)}
	if !pool.cur.CompareAndSwap(nil, p) {
		return false
	}
	if pool.sleeping.Load() > 0 {
		for i := 0; i < h; i++ {
			select {
			case pool.wake <- struct{}{}:
			default:
			}
		}
	}
	p.work()
	pool.cur.CompareAndSwap(p, nil)
	// Every chunk is claimed; wait for the helpers' last ones.
	for i := 0; p.done.Load() < p.n; i++ {
		if i < 1000 {
			runtime.Gosched()
			continue
		}
		<-p.fin
		break
	}
	return true
}

func poolHelpers() int {
	pool.mu.Lock()
	defer pool.mu.Unlock()
	return pool.helpers
}

// work claims and runs chunks of p until none are left; whoever finishes
// the last chunk signals fin.
func (p *poolPass) work() {
	for {
		c := p.next.Add(1) - 1
		if c >= p.n {
			return
		}
		p.j.do(int(c))
		if p.done.Add(1) == p.n {
			p.fin <- struct{}{} // capacity 1, one last chunk: never blocks
		}
	}
}

// helper runs chunks of the passes on offer, spinning between them for
// helperSpin, then parking until runPooled wakes it.
func helper() {
	var last *poolPass
	for {
		p := pool.cur.Load()
		if p == nil || p == last {
			t0 := time.Now()
			for i := 0; ; i++ {
				if p = pool.cur.Load(); p != nil && p != last {
					break
				}
				if i%64 == 63 {
					if time.Since(t0) > helperSpin {
						break
					}
					runtime.Gosched()
				}
			}
			if p == nil || p == last {
				pool.sleeping.Add(1)
				if p = pool.cur.Load(); p == nil || p == last {
					<-pool.wake
				}
				pool.sleeping.Add(-1)
				continue
			}
		}
		last = p
		p.work()
	}
}
