// Package star loads RASP programs written in Starlark (.star files, run
// with go.starlark.net) into package rasp expressions.
//
// # API
//
//	p, err := star.Load("case3.star", src, star.Options{FS: lib, Predeclared: map[string]any{"vocab": vocab}})
//	res, err := p.Build()          // fresh expressions, labels assigned as circuits-benchmark's compile does
//	res.Program                    // rasp.SOp assigned to `program`
//	meta, err := res.Meta()        // vocab, max_seq_len (10), min_seq_len (4), causal (true), trivial (false), description
//	res.Value / res.Values / res.Globals for other globals
//
// Load parses, compiles and runs the file once so errors surface early; each
// Build re-runs it (and the files it loads), so ids start at 1 every time
// (a per-build rasp.Labeler; `.label` read while building is exact too).
//
// # Surface (tracr's Python names)
//
// Predeclared at top level and inside the `rasp` module (rasp.Map,
// rasp.Comparison.LEQ, …): tokens, indices, length, Map(f, inner,
// simplify=True), SequenceMap(f, fst, snd), LinearSequenceMap(fst, snd,
// fst_fac, snd_fac), Full(fill), ConstantSOp(value, check_length=True),
// Select(keys, queries, predicate), ConstantSelector(value,
// check_length=True), Aggregate(selector, sop, default=None),
// SelectorWidth(selector), SelectorAnd/SelectorOr/SelectorNot (no
// simplification), selector_and(fst, snd, simplify=True)/selector_or(…)/
// selector_not(inner, simplify=True) (simplifying as the &, |, ~ operators
// unless simplify=False), numerical, categorical, annotate(expr, **kw),
// get_encoding, is_numerical, is_categorical, Comparison (EQ, LT, LEQ, GT,
// GEQ, NEQ, TRUE, FALSE; also top-level; a member is callable as
// pred(key, query) and has .name/.value; Comparison itself iterates,
// indexes and has len() like tracr's Enum: for c in rasp.Comparison).
//
// SOp and Selector values have .named(name), .annotated(**kw), .label,
// .name, .unique_id, .annotations (dict), .children, and can be called on a
// list to evaluate (sop(["a", "b"]) gives a list, sel(["a", "b"]) a list of
// query rows of bools). Operators follow tracr's rasp.py
// exactly: sop OP value → Map(lambda x: x OP value); value OP sop →
// Map(lambda x: value OP x) (reflected; `value | sop` is Map(lambda x: x or
// value) as tracr writes it); sop OP sop → SequenceMap for + - * / & |;
// comparisons (== != < <= > >=) with one SOp → Map (a constant on the left
// is mirrored: 1 < sop is sop > 1); ~sop → Map(lambda x: not x); & and | on
// SOps use Python's `and`/`or`; sel & sel, sel | sel, ~sel → tracr's
// simplifying selector_and/or/not. Comparing two SOps, // and % on SOps,
// and unary - on SOps are errors (tracr defines no such overloads).
//
// # Values across the boundary
//
// Values passed to lambdas: None, bool, int, float, str, tuple (rasp.Tuple).
// Values returned from lambdas (and constants such as Full's fill or
// Aggregate's default) are converted back; lists, dicts and other
// unhashable or non-RASP values are an error naming the function and the
// argument values. Python semantics are restored where Starlark differs:
// the parsed source is rewritten so that every comparison (== != < <= >
// >=), every binary + - * / // % & |, augmented assignment to a name
// (x += y, …), unary - and +, and `in` / `not in` go through hidden
// built-ins with Python semantics: True == 1 and 1 == 1.0 (Starlark says
// False), True + 1 == 2, n += x == 1, -True == -1 (Starlark fails), bool &
// bool is a bool, True in [1] (Python equality for list, tuple, set and dict
// members). Errors still point at the operator's file:line:col. Augmented
// assignment to an index or attribute (a[i] += 1) keeps Starlark semantics.
// int / int is a float and //, % floor as in Python in both languages.
//
// Differences from Python that a port must respect: no f-strings (use
// "%s" % x); no set literals ({...}; use set([...]) or a
// list); no `**` operator (use pow(x, y)); no chained comparisons (a < b <
// c); no classes, no try/except, no `is`, no imports (use load for the
// library); no assert statement (write `if not cond: fail("message")`); no
// starred assignment or unpacking (`a, *rest = xs` and `(*xs, y)`: write
// `a, rest = xs[0], xs[1:]` and `tuple(xs) + (y,)`). A syntax error on an
// assert or a starred expression says so. str(), repr() and `%` formatting (%s, %r) print like Python
// (1e15 → 1000000000000000.0, ['a', 2.5], (1,), 'quoted'); "{}".format()
// and print() keep Starlark's formatting (["a", 2.5]). Labels and the trace
// are formatted in Go with Python's rules (rasp.Str).
//
// Python built-ins added or replaced: abs (bool → int), sum(iterable,
// start=0) (bools count as ints), round(x[, n]) (ties to even; int result
// without n), pow(x, y[, mod]) (int ** non-negative int stays int), divmod,
// str and repr (Python formatting), sorted(iterable, key=, reverse=),
// min and max (key=, default=; Python ordering: True < 2, tuples with bools),
// and a `math` module: ceil, floor (→ int), trunc, sqrt, exp, log(x[, base]),
// log2, log10, sin, cos, tan, asin, acos, atan, atan2, sinh, cosh, tanh,
// asinh, acosh, atanh, hypot, fabs, copysign, mod, remainder, degrees,
// radians, gamma, pow, isnan, isinf, isfinite, gcd, e, pi, tau, inf, nan
// (Starlark's non-Python math.round is removed).
//
// Floats must come out bit for bit as CPython's (they print in labels), and
// CPython calls glibc: exp, log, log2, sin, cos, tan, atan, asin, acos and
// float pow are computed correctly rounded (320-bit arithmetic, one
// rounding), which is what glibc 2.36 returns; log10, sinh, cosh and tanh
// use glibc's own float64 formulas around them (fdlibm), and log(x, base)
// divides two logarithms as CPython does. testdata/libm.json.gz (made by
// testdata/gen_libm.py with CPython) checks ~6000 results bit for bit; the
// only known differences are 4 one-ulp cases of tan (glibc's tan is not
// correctly rounded there). Domain and range errors raise like Python's
// ValueError/OverflowError ("math domain error", "math range error").
// atan2, hypot and the inverse hyperbolic functions use Go's math package.
// float("inf") works natively. Enabled Starlark options: set(),
// while loops, top-level if/for, global reassignment, recursion.
//
// # Sandbox and errors
//
// No file, network or clock access: load() reads only from Options.FS (a
// clean relative path; cycles are errors) and print is discarded unless
// Options.Print is set.
//
// A program gets one budget of Starlark steps (Options.MaxSteps,
// DefaultMaxSteps 50M) and of memory (Options.MaxBytes, DefaultMaxBytes
// 256 MiB) per Build: loading, the load()ed files and every later call of the
// functions that build created (by the evaluator, the compiler, Result.Call)
// draw on it, so chaining many slow Maps cannot multiply the limit. With
// Options.Budget (NewBudget) every Build of the program shares one budget
// too; cases.LoadFile gives a user's file one budget that way, and
// `glassbox eval` and `compile` set it with --max-steps and --max-memory.
// Threads reserve steps in chunks of 10000, so concurrent calls near the
// end of a budget may fail a little early. Memory is charged, summed over
// the budget's life, before every operation that can build a large value
// in one step: string, list and tuple repetition and concatenation (also
// +=), big-integer * and pow, % formatting, slicing, list, tuple, sorted,
// enumerate, zip, set, dict and reversed of a sized value, and the methods
// join, replace, format, extend, union and update (str, repr, % and
// format are charged once built: at most a few times what exists). Other allocations
// (comprehensions, append, dict stores) take steps and are bounded by the
// step budget. An exhausted budget is a *LimitError that names the limit
// and how to raise it.
//
// Syntax and resolve errors print as file:line:col: message; runtime
// errors (*RuntimeError) carry the Starlark backtrace with file:line:col of
// every frame (a backtrace deeper than 16 frames keeps the 5 outermost and
// the 10 innermost and counts the rest: unbounded recursion stops at
// Starlark's 100000-frame limit). A program function that fails while the evaluator or the
// compiler calls it returns a *CallError naming the function (lambda at
// file:line:col), the argument values, and the backtrace.
package star
