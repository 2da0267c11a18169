package star

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/glassbox-interp/glassbox/rasp"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
	"go.starlark.net/syntax"
)

// Options configure Load.
type Options struct {
	// FS is where load("lib/x.star", "name") reads from; paths are
	// fs.ValidPath names relative to its root. Nil disables load.
	FS fs.FS
	// MaxSteps is the step budget of one Build together with every call
	// of the functions it creates, while evaluating or compiling
	// (0: DefaultMaxSteps). Load's own check build has a budget of its own.
	MaxSteps uint64
	// MaxBytes is the memory budget on the same terms: bytes of the values
	// that operations able to build large values would allocate (0:
	// DefaultMaxBytes).
	MaxBytes uint64
	// Budget, if set, replaces MaxSteps and MaxBytes: Load, every Build
	// and every function call draw on this one budget.
	Budget *Budget
	// Predeclared adds global names (e.g. "vocab"). Values may be RASP
	// values (converted with ToStarlark), []rasp.Value (a list) or
	// starlark.Value.
	Predeclared map[string]any
	// Print receives the output of print(); nil discards it.
	Print func(msg string)
}

// Program is a parsed and checked .star program that can be built many times.
type Program struct {
	name  string
	opts  Options
	pre   starlark.StringDict
	prog  *starlark.Program
	mu    sync.Mutex
	cache map[string]*compiled // load()ed files by path
}

type compiled struct {
	prog *starlark.Program
	err  error
}

var fileOptions = &syntax.FileOptions{
	Set:             true,
	While:           true,
	TopLevelControl: true,
	GlobalReassign:  true,
	Recursion:       true,
}

// Load parses, compiles and runs the program once (to report errors early)
// and returns it. name is used in positions (file:line:col). The file must
// assign `program` to an SOp.
func Load(name string, src []byte, opts Options) (*Program, error) {
	pre, err := predeclared(opts.Predeclared)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", name, err)
	}
	p := &Program{name: name, opts: opts, pre: pre, cache: map[string]*compiled{}}
	if p.prog, err = compile(name, src, pre); err != nil {
		return nil, err
	}
	if _, err := p.Build(); err != nil {
		return nil, err
	}
	return p, nil
}

// Name returns the file name given to Load.
func (p *Program) Name() string { return p.name }

func predeclared(extra map[string]any) (starlark.StringDict, error) {
	pre := universe()
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := extra[k]
		var sv starlark.Value
		switch x := v.(type) {
		case starlark.Value:
			sv = x
		case []rasp.Value:
			elems := make([]starlark.Value, len(x))
			for i, e := range x {
				s, err := ToStarlark(e)
				if err != nil {
					return nil, fmt.Errorf("predeclared %s[%d]: %w", k, i, err)
				}
				elems[i] = s
			}
			sv = starlark.NewList(elems)
		default:
			s, err := ToStarlark(x)
			if err != nil {
				return nil, fmt.Errorf("predeclared %s: %w", k, err)
			}
			sv = s
		}
		sv.Freeze()
		pre[k] = sv
	}
	return pre, nil
}

// compile parses src, rewrites operators for Python semantics and compiles it.
func compile(name string, src []byte, pre starlark.StringDict) (*starlark.Program, error) {
	f, err := fileOptions.Parse(name, src, 0)
	if err != nil {
		return nil, syntaxHint(err, src) // syntax.Error prints file:line:col: msg
	}
	rewriteFile(f)
	prog, err := starlark.FileProgram(f, pre.Has)
	if err != nil {
		return nil, err // resolve.ErrorList prints file:line:col: msg
	}
	return prog, nil
}

// Result is one build of a program: fresh expressions with labels assigned
// exactly as circuits-benchmark's compile assigns them (counter from 1).
type Result struct {
	// Program is the SOp assigned to `program`.
	Program rasp.SOp
	// Globals are the file's global variables.
	Globals starlark.StringDict

	budget *Budget
}

// Call calls fn (usually one of Globals) with the build's budget, as the
// evaluator calls the program's functions; errors carry the trimmed
// backtrace and name an exhausted budget.
func (r *Result) Call(fn starlark.Callable, args starlark.Tuple) (starlark.Value, error) {
	thread := &starlark.Thread{Name: "call", Print: func(*starlark.Thread, string) {}}
	var l *lease
	if r.budget != nil {
		l = r.budget.attach(thread)
	}
	res, err := starlark.Call(thread, fn, args, nil)
	if l != nil {
		l.detach(thread)
	}
	if err != nil {
		return nil, runtimeError(err, l)
	}
	return res, nil
}

// Build executes the program from scratch (fresh expressions, id counter at
// 1), assigns labels in tracr's order and returns the result.
func (p *Program) Build() (*Result, error) {
	bud := p.opts.Budget
	if bud == nil {
		bud = NewBudget(p.opts.MaxSteps, p.opts.MaxBytes)
	}
	b := &buildState{labeler: rasp.NewLabeler(), budget: bud}
	b.pre = p.buildPredeclared(b)
	modules := map[string]*moduleEntry{}
	thread := p.newThread(b, modules)
	l := bud.attach(thread)
	globals, err := p.prog.Init(thread, b.pre)
	l.detach(thread)
	if err != nil {
		return nil, runtimeError(err, l)
	}
	globals.Freeze()
	for _, f := range b.funcs {
		f.Fn.Freeze()
	}
	v, ok := globals["program"]
	if !ok {
		return nil, fmt.Errorf("%s: no global `program` (assign the output SOp to program)", p.name)
	}
	s, ok := v.(*SOpValue)
	if !ok {
		return nil, fmt.Errorf("%s: `program` must be an SOp, got %s", p.name, v.Type())
	}
	b.labeler.Assign(s.SOp)
	return &Result{Program: s.SOp, Globals: globals, budget: bud}, nil
}

// buildPredeclared returns the predeclared names for one build: the
// primitives (tokens, indices, length, also inside the rasp module) carry
// the build's state, so that labels read while building come from the
// build's id counter.
func (p *Program) buildPredeclared(b *buildState) starlark.StringDict {
	pre := make(starlark.StringDict, len(p.pre))
	for k, v := range p.pre {
		pre[k] = v
	}
	members := raspMembers()
	for _, prim := range []struct {
		name string
		sop  rasp.SOp
	}{{"tokens", rasp.Tokens}, {"indices", rasp.Indices}, {"length", rasp.Length}} {
		v := &SOpValue{SOp: prim.sop, b: b}
		members[prim.name] = v
		if _, overridden := p.opts.Predeclared[prim.name]; !overridden {
			pre[prim.name] = v
		}
	}
	if _, overridden := p.opts.Predeclared["rasp"]; !overridden {
		pre["rasp"] = &starlarkstruct.Module{Name: "rasp", Members: members}
	}
	return pre
}

// runtimeError formats a Starlark runtime error with its backtrace
// (file:line:col of frames), naming the budget when the thread's lease
// ran out of steps.
func runtimeError(err error, l *lease) error {
	var lim *LimitError
	if l != nil {
		lim = l.err()
	}
	var ee *starlark.EvalError
	if errors.As(err, &ee) {
		return &RuntimeError{Err: ee, Limit: lim}
	}
	if lim != nil {
		return lim
	}
	return err
}

// RuntimeError is a failure while executing a .star file.
type RuntimeError struct {
	Err   *starlark.EvalError
	Limit *LimitError // the exhausted step budget, if that stopped the program
}

// Error returns the Starlark backtrace (long ones trimmed to their first
// and last frames) and the message.
func (e *RuntimeError) Error() string {
	msg := e.Err.Msg
	if e.Limit != nil {
		msg = e.Limit.Error()
	}
	return backtrace(e.Err, msg)
}

// Unwrap returns the Starlark error and the exhausted limit, if any.
func (e *RuntimeError) Unwrap() []error {
	if e.Limit != nil {
		return []error{e.Err, e.Limit}
	}
	return []error{e.Err}
}

type moduleEntry struct {
	globals starlark.StringDict
	err     error
	loading bool
}

func (p *Program) newThread(b *buildState, modules map[string]*moduleEntry) *starlark.Thread {
	thread := &starlark.Thread{Name: p.name}
	thread.SetLocal(buildKey, b)
	thread.Print = func(_ *starlark.Thread, msg string) {
		if p.opts.Print != nil {
			p.opts.Print(msg)
		}
	}
	thread.Load = func(t *starlark.Thread, module string) (starlark.StringDict, error) {
		return p.load(t, b, modules, module)
	}
	return thread
}

// load executes a load()ed module once per build, on the loading thread
// (so that it draws on the same budget).
func (p *Program) load(thread *starlark.Thread, b *buildState, modules map[string]*moduleEntry, module string) (starlark.StringDict, error) {
	if p.opts.FS == nil {
		return nil, fmt.Errorf("load(%q): loading is disabled (no library)", module)
	}
	clean := path.Clean(module)
	if !fs.ValidPath(clean) || clean != module || strings.HasPrefix(module, "/") {
		return nil, fmt.Errorf("load(%q): invalid module path (want a relative path like \"lib/x.star\" without . or ..)", module)
	}
	if e, ok := modules[module]; ok {
		if e.loading {
			return nil, fmt.Errorf("load(%q): cycle in load graph", module)
		}
		return e.globals, e.err
	}
	e := &moduleEntry{loading: true}
	modules[module] = e
	prog, err := p.compileModule(module)
	if err == nil {
		var g starlark.StringDict
		g, err = prog.Init(thread, b.pre)
		if err != nil {
			err = runtimeError(err, nil)
		} else {
			g.Freeze()
			e.globals = g
		}
	}
	e.err = err
	e.loading = false
	return e.globals, e.err
}

func (p *Program) compileModule(module string) (*starlark.Program, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.cache[module]; ok {
		return c.prog, c.err
	}
	src, err := fs.ReadFile(p.opts.FS, module)
	var prog *starlark.Program
	if err != nil {
		err = fmt.Errorf("load(%q): %w", module, err)
	} else {
		prog, err = compile(module, src, p.pre)
	}
	p.cache[module] = &compiled{prog, err}
	return prog, err
}

// Value returns a global converted to a RASP value (ok false if unset).
func (r *Result) Value(name string) (rasp.Value, bool, error) {
	v, ok := r.Globals[name]
	if !ok {
		return nil, false, nil
	}
	x, err := FromStarlark(v)
	if err != nil {
		return nil, true, fmt.Errorf("global %s: %w", name, err)
	}
	return x, true, nil
}

// Values returns a global list, tuple or set converted to RASP values, with
// duplicates (Python ==) removed, first occurrence kept (ok false if unset).
func (r *Result) Values(name string) ([]rasp.Value, bool, error) {
	v, ok := r.Globals[name]
	if !ok {
		return nil, false, nil
	}
	it, ok := v.(starlark.Iterable)
	if !ok {
		return nil, true, fmt.Errorf("global %s: want a list, tuple or set, got %s", name, v.Type())
	}
	if _, isStr := v.(starlark.String); isStr {
		return nil, true, fmt.Errorf("global %s: want a list, tuple or set, got string", name)
	}
	set := rasp.NewValueSet()
	iter := it.Iterate()
	defer iter.Done()
	var x starlark.Value
	i := 0
	for iter.Next(&x) {
		rv, err := FromStarlark(x)
		if err != nil {
			return nil, true, fmt.Errorf("global %s[%d]: %w", name, i, err)
		}
		set.Add(rv)
		i++
	}
	return set.Values(), true, nil
}

// Meta is the case metadata a catalogue file sets next to `program`, with
// circuits-benchmark's defaults for what it leaves out.
type Meta struct {
	Vocab       []rasp.Value    // `vocab` (list, tuple or set; duplicates merged); nil if unset
	MaxSeqLen   int             // `max_seq_len`, counts BOS (default 10)
	MinSeqLen   int             // `min_seq_len`, counts BOS (default 4)
	Causal      bool            // `causal` (default true)
	Trivial     bool            // `trivial` (default false)
	Description string          // `description` (default "")
	Set         map[string]bool // which of these names the file assigned
}

// Meta reads vocab, max_seq_len, min_seq_len, causal, trivial and description.
func (r *Result) Meta() (Meta, error) {
	m := Meta{MaxSeqLen: 10, MinSeqLen: 4, Causal: true, Set: map[string]bool{}}
	vocab, ok, err := r.Values("vocab")
	if err != nil {
		return m, err
	}
	if ok {
		m.Vocab = vocab
		m.Set["vocab"] = true
	}
	for _, k := range []struct {
		name string
		dst  *int
	}{{"max_seq_len", &m.MaxSeqLen}, {"min_seq_len", &m.MinSeqLen}} {
		v, ok := r.Globals[k.name]
		if !ok {
			continue
		}
		if err := starlark.AsInt(v, k.dst); err != nil {
			return m, fmt.Errorf("global %s: want an int, got %s", k.name, v.Type())
		}
		if _, isBool := v.(starlark.Bool); isBool {
			return m, fmt.Errorf("global %s: want an int, got bool", k.name)
		}
		m.Set[k.name] = true
	}
	for _, k := range []struct {
		name string
		dst  *bool
	}{{"causal", &m.Causal}, {"trivial", &m.Trivial}} {
		v, ok := r.Globals[k.name]
		if !ok {
			continue
		}
		b, isBool := v.(starlark.Bool)
		if !isBool {
			return m, fmt.Errorf("global %s: want a bool, got %s", k.name, v.Type())
		}
		*k.dst = bool(b)
		m.Set[k.name] = true
	}
	if v, ok := r.Globals["description"]; ok {
		s, isStr := starlark.AsString(v)
		if !isStr {
			return m, fmt.Errorf("global description: want a string, got %s", v.Type())
		}
		m.Description = s
		m.Set["description"] = true
	}
	return m, nil
}

// Frames of a long backtrace that are printed: the outermost and the
// innermost (the rest are counted as omitted).
const (
	headFrames = 5
	tailFrames = 10
)

// backtrace formats a Starlark error as EvalError.Backtrace does, with
// stacks deeper than headFrames+tailFrames trimmed to their outermost and
// innermost frames and a count of the frames omitted.
func backtrace(ee *starlark.EvalError, msg string) string {
	stack := ee.CallStack
	suffix := ""
	if last := len(stack) - 1; last >= 0 && stack[last].Pos.Filename() == "<builtin>" {
		suffix = " in " + stack[last].Name
		stack = stack[:last]
	}
	if len(stack) <= headFrames+tailFrames+1 {
		return fmt.Sprintf("%sError%s: %s", stack, suffix, msg)
	}
	var b strings.Builder
	b.WriteString(stack[:headFrames].String())
	fmt.Fprintf(&b, "  ... %d frames omitted ...\n", len(stack)-headFrames-tailFrames)
	for _, fr := range stack[len(stack)-tailFrames:] {
		fmt.Fprintf(&b, "  %s: in %s\n", fr.Pos, fr.Name)
	}
	fmt.Fprintf(&b, "Error%s: %s", suffix, msg)
	return b.String()
}

// syntaxHint adds the Starlark way to write Python syntax that Starlark
// lacks (assert, starred expressions) to a syntax error on such a line.
func syntaxHint(err error, src []byte) error {
	var se syntax.Error
	if !errors.As(err, &se) {
		return err
	}
	lines := strings.Split(string(src), "\n")
	line := ""
	if n := int(se.Pos.Line); n >= 1 && n <= len(lines) {
		line = strings.TrimSpace(lines[n-1])
	}
	switch {
	case strings.HasPrefix(line, "assert ") || strings.HasPrefix(line, "assert("):
		return fmt.Errorf("%w (Starlark has no assert statement: write `if not cond: fail(\"message\")`)", err)
	case strings.Contains(se.Msg, "got '*'"):
		return fmt.Errorf("%w (Starlark has no starred assignment or unpacking: index or slice instead, "+
			"e.g. `first, rest = xs[0], xs[1:]`, and build tuples with `tuple(xs) + (y,)`)", err)
	}
	return err
}
