package star

import (
	"fmt"
	"sync/atomic"

	"go.starlark.net/starlark"
)

// DefaultMaxSteps is the Starlark step budget used when Options.MaxSteps is 0.
const DefaultMaxSteps = 50_000_000

// DefaultMaxBytes is the memory budget used when Options.MaxBytes is 0
// (256 MiB: RASP programs need kilobytes).
const DefaultMaxBytes = 1 << 28

// Budget is one allowance of Starlark steps and of bytes, shared by
// everything that draws on it: loading, building (load()ed files included)
// and every call of a program function while evaluating or compiling.
// It is safe for concurrent use; calls running at the same time may each
// overshoot the remainder by what they spend before the next check.
type Budget struct {
	maxSteps, maxBytes uint64
	steps, bytes       atomic.Uint64
}

// NewBudget returns a budget of maxSteps Starlark steps and maxBytes bytes
// (0: DefaultMaxSteps, DefaultMaxBytes).
func NewBudget(maxSteps, maxBytes uint64) *Budget {
	if maxSteps == 0 {
		maxSteps = DefaultMaxSteps
	}
	if maxBytes == 0 {
		maxBytes = DefaultMaxBytes
	}
	return &Budget{maxSteps: maxSteps, maxBytes: maxBytes}
}

// Limits returns the budget's step and byte limits.
func (b *Budget) Limits() (steps, bytes uint64) { return b.maxSteps, b.maxBytes }

// Used returns the steps and bytes spent so far.
func (b *Budget) Used() (steps, bytes uint64) { return b.steps.Load(), b.bytes.Load() }

// LimitError reports an exhausted budget: which limit, its size and how to
// raise it.
type LimitError struct {
	Limit string // "steps" or "memory"
	Max   uint64 // the limit
}

// Error names the limit and how to raise it.
func (e *LimitError) Error() string {
	if e.Limit == "steps" {
		return fmt.Sprintf("too many steps: the program used up its budget of %d Starlark steps "+
			"(loading, building and every function call during evaluation and compilation share it); "+
			"raise it with --max-steps N (star.Options.MaxSteps)", e.Max)
	}
	return fmt.Sprintf("out of memory budget: the program would allocate more than %d bytes "+
		"(strings, lists and numbers built by repetition, concatenation, join, replace, extend, list(range(...)) and the like, "+
		"summed over loading, building and every function call); raise it with --max-memory BYTES (star.Options.MaxBytes)", e.Max)
}

const budgetKey = "glassbox/rasp/star.budget"

// budgetOf returns the budget a thread draws on (nil: unlimited).
func budgetOf(thread *starlark.Thread) *Budget {
	if thread == nil {
		return nil
	}
	b, _ := thread.Local(budgetKey).(*Budget)
	return b
}

// stepChunk is how many steps a thread reserves from its budget at a time;
// unused steps are returned when the thread is done.
const stepChunk = 10_000

// stepsCancelled is the reason a thread is cancelled when its budget is spent.
const stepsCancelled = "too many steps"

// lease is a thread's reservation of steps from a budget.
type lease struct {
	b        *Budget
	start    uint64 // thread.Steps when attached
	reserved uint64 // steps taken from the budget
	limit    uint64 // the thread's current step limit
	spent    bool   // the budget ran out while the thread ran
}

// reserve takes up to n more steps from the budget (0 when none are left).
func (b *Budget) reserve(n uint64) uint64 {
	for {
		used := b.steps.Load()
		if used >= b.maxSteps {
			return 0
		}
		take := min(n, b.maxSteps-used)
		if b.steps.CompareAndSwap(used, used+take) {
			return take
		}
	}
}

// attach makes thread draw its steps and bytes from b until detach.
func (b *Budget) attach(thread *starlark.Thread) *lease {
	l := &lease{b: b, start: thread.Steps}
	l.reserved = b.reserve(stepChunk)
	l.limit = l.start + max(l.reserved, 1) // a zero limit would mean none
	thread.SetLocal(budgetKey, b)
	thread.OnMaxSteps = func(t *starlark.Thread) {
		got := b.reserve(stepChunk)
		if got == 0 {
			l.spent = true
			t.Cancel(stepsCancelled)
			return
		}
		l.reserved += got
		l.limit += got
		t.SetMaxExecutionSteps(l.limit)
	}
	thread.SetMaxExecutionSteps(l.limit)
	return l
}

// detach returns the steps the thread reserved but did not use.
func (l *lease) detach(thread *starlark.Thread) {
	if used := thread.Steps - l.start; l.reserved > used {
		l.b.steps.Add(^(l.reserved - used - 1))
	}
	thread.OnMaxSteps = nil
	thread.SetLocal(budgetKey, nil)
}

// err returns the LimitError when the budget ran out under this lease.
func (l *lease) err() *LimitError {
	if l.spent {
		return &LimitError{Limit: "steps", Max: l.b.maxSteps}
	}
	return nil
}

// alloc charges n bytes to the budget, or fails when that would exceed it.
func (b *Budget) alloc(n uint64) error {
	for {
		used := b.bytes.Load()
		if n > b.maxBytes-min(used, b.maxBytes) {
			return &LimitError{Limit: "memory", Max: b.maxBytes}
		}
		if b.bytes.CompareAndSwap(used, used+n) {
			return nil
		}
	}
}

// charge charges n bytes to the thread's budget (none: no limit).
func charge(thread *starlark.Thread, n uint64) error {
	if b := budgetOf(thread); b != nil {
		return b.alloc(n)
	}
	return nil
}

// Sizes charged per element of a list or tuple and per dict or set entry.
const (
	elemBytes  = 16
	entryBytes = 48
)

// mulSize returns a*b, saturating at the maximum uint64.
func mulSize(a, b uint64) uint64 {
	if a != 0 && b > ^uint64(0)/a {
		return ^uint64(0)
	}
	return a * b
}
