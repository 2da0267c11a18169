package star

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/glassbox-interp/glassbox/rasp"
	"go.starlark.net/starlark"
)

// Func is a Starlark callable (lambda, def, builtin) used as a rasp.Func.
// Each call runs on its own Starlark thread and draws on the budget of the
// build that made the Func, so a Func may be called from several
// goroutines.
//
// Results are memoised per argument values (compared by Python repr, so 1,
// 1.0 and True are distinct): a frozen Starlark function has no state and
// no I/O, so calling it again with the same values gives the same result.
type Func struct {
	Fn     starlark.Callable
	budget *Budget // nil: no limit

	memo    sync.Map // repr of args -> rasp.Value
	memoLen atomic.Int64
}

// maxMemo bounds the memo of one function.
const maxMemo = 1 << 14

// threads are reused between calls (each call attaches the Func's budget).
var threads = sync.Pool{New: func() any {
	return &starlark.Thread{Name: "rasp function", Print: func(*starlark.Thread, string) {}}
}}

var _ rasp.Func = (*Func)(nil)

// Call converts the arguments to Starlark, calls the function and converts
// the result back. Errors name the function, its position and the argument
// values, and include the Starlark backtrace.
func (f *Func) Call(args ...rasp.Value) (rasp.Value, error) {
	key := memoKey(args)
	if v, ok := f.memo.Load(key); ok {
		return v, nil
	}
	v, err := f.call(args)
	if err == nil && f.memoLen.Load() < maxMemo {
		if _, loaded := f.memo.LoadOrStore(key, v); !loaded {
			f.memoLen.Add(1)
		}
	}
	return v, err
}

func memoKey(args []rasp.Value) string {
	if len(args) == 1 {
		return rasp.Repr(args[0])
	}
	return rasp.Repr(rasp.Tuple(args))
}

func (f *Func) call(args []rasp.Value) (rasp.Value, error) {
	sargs := make(starlark.Tuple, len(args))
	for i, a := range args {
		v, err := ToStarlark(a)
		if err != nil {
			return nil, f.wrapErr(args, err)
		}
		sargs[i] = v
	}
	thread := threads.Get().(*starlark.Thread)
	thread.Uncancel()
	var l *lease
	if f.budget != nil {
		l = f.budget.attach(thread)
	} else {
		thread.SetMaxExecutionSteps(^uint64(0))
	}
	res, err := starlark.Call(thread, f.Fn, sargs, nil)
	if l != nil {
		l.detach(thread)
	}
	threads.Put(thread)
	if err != nil {
		return nil, f.wrapErr(args, runtimeError(err, l))
	}
	v, err := FromStarlark(res)
	if err != nil {
		return nil, f.wrapErr(args, fmt.Errorf("result: %w", err))
	}
	return v, nil
}

func (f *Func) wrapErr(args []rasp.Value, err error) error {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = rasp.Repr(a)
	}
	return &CallError{Func: f.String(), Args: args, Err: err,
		msg: fmt.Sprintf("%s(%s): %s", f.String(), strings.Join(parts, ", "), errorText(err))}
}

// CallError is the failure of a Starlark function called by the evaluator
// or the compiler, with the argument values that triggered it.
type CallError struct {
	Func string       // function description with its position
	Args []rasp.Value // the arguments
	Err  error        // the underlying error (a *starlark.EvalError for raising code)
	msg  string
}

// Error returns the message, including the Starlark backtrace.
func (e *CallError) Error() string { return e.msg }

// Unwrap returns the underlying error.
func (e *CallError) Unwrap() error { return e.Err }

// errorText returns the error message with the Starlark backtrace when available.
func errorText(err error) string {
	var re *RuntimeError
	if errors.As(err, &re) {
		return re.Error()
	}
	var ee *starlark.EvalError
	if errors.As(err, &ee) {
		return backtrace(ee, ee.Msg)
	}
	return err.Error()
}

// String describes the function: "lambda at prog.star:3:12", "def f at …", or a builtin's name.
func (f *Func) String() string {
	switch fn := f.Fn.(type) {
	case *starlark.Function:
		if fn.Name() == "lambda" {
			return "lambda at " + fn.Position().String()
		}
		return fn.Name() + " at " + fn.Position().String()
	case *starlark.Builtin:
		if r := fn.Receiver(); r != nil {
			return r.Type() + "." + fn.Name()
		}
		return fn.Name()
	}
	return f.Fn.Name()
}
