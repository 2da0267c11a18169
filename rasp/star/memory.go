package star

import (
	"fmt"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// The memory budget is charged before the operations that can build a
// large value in one step: string, list and tuple repetition and
// concatenation (also +=), big-integer multiplication and pow, % formatting,
// list(), tuple(), sorted(), enumerate(), zip(), set(), dict(), reversed(),
// slicing, and the methods join, replace, format, extend, union and update;
// str(), repr(), % formatting and format() are charged once built.
// What else a program allocates is bounded by its step budget.

// Names of the hidden builtins of the memory rewrite.
const (
	methodBuiltinName = "__rasp_method__"
	copyBuiltinName   = "__rasp_copy__"
)

// chargedMethods are the methods whose calls are rewritten to
// __rasp_method__(x, "name", args...) so their result is charged first.
var chargedMethods = map[string]bool{
	"join": true, "replace": true, "format": true, "extend": true, "union": true, "update": true,
}

// sizeOf estimates the bytes of a value that copying it allocates.
func sizeOf(v starlark.Value) uint64 {
	switch x := v.(type) {
	case starlark.String:
		return uint64(len(x))
	case starlark.Bytes:
		return uint64(len(x))
	case starlark.Int:
		return intBytes(x)
	case *starlark.Dict, *starlark.Set:
		return mulSize(uint64(starlark.Len(v)), entryBytes)
	case starlark.Sequence:
		return mulSize(uint64(x.Len()), elemBytes)
	}
	if n := starlark.Len(v); n > 0 {
		return mulSize(uint64(n), elemBytes)
	}
	return 0
}

// intBytes is the size of a big integer (0 for one that fits a machine word).
func intBytes(x starlark.Int) uint64 {
	if _, ok := x.Int64(); ok {
		return 0
	}
	return uint64(x.BigInt().BitLen()+7) / 8
}

// binarySize estimates the bytes x op y allocates (0: nothing large).
func binarySize(op syntax.Token, x, y starlark.Value) uint64 {
	switch op {
	case syntax.PLUS:
		switch x.(type) {
		case starlark.String, *starlark.List, starlark.Tuple:
			if fmt.Sprintf("%T", x) == fmt.Sprintf("%T", y) {
				return sizeOf(x) + sizeOf(y)
			}
		}
	case syntax.STAR:
		if _, ok := x.(starlark.Int); ok {
			if yi, ok := y.(starlark.Int); ok {
				bx, by := intBytes(x.(starlark.Int)), intBytes(yi)
				if bx+by == 0 {
					return 0
				}
				return bx + by + 16
			}
			x, y = y, x
		}
		n, ok := y.(starlark.Int)
		if !ok {
			return 0
		}
		k, ok := n.Uint64()
		if !ok {
			if n.Sign() <= 0 {
				return 0
			}
			k = ^uint64(0)
		}
		switch x.(type) {
		case starlark.String, starlark.Bytes, *starlark.List, starlark.Tuple:
			return mulSize(sizeOf(x), k)
		}
	}
	return 0
}

// chargeAfter charges the size of an already built result (used where the
// size cannot be known in advance but is at most linear in the inputs,
// such as % formatting).
func chargeAfter(thread *starlark.Thread, v starlark.Value, err error) (starlark.Value, error) {
	if err != nil {
		return v, err
	}
	if err := charge(thread, sizeOf(v)); err != nil {
		return nil, err
	}
	return v, nil
}

// builtinCopy implements __rasp_copy__(x): it charges the size of x (a
// slice just made) and returns x.
func builtinCopy(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if len(args) != 1 || len(kwargs) != 0 {
		return nil, fmt.Errorf("%s: want 1 argument", copyBuiltinName)
	}
	if err := charge(thread, sizeOf(args[0])); err != nil {
		return nil, err
	}
	return args[0], nil
}

// builtinMethod implements __rasp_method__(x, "name", args...): it charges
// the size of the result of x.name(args...) and then calls the method.
func builtinMethod(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if len(args) < 2 {
		return nil, fmt.Errorf("%s: want at least 2 arguments", methodBuiltinName)
	}
	recv := args[0]
	name, ok := starlark.AsString(args[1])
	if !ok {
		return nil, fmt.Errorf("%s: method name must be a string", methodBuiltinName)
	}
	rest := args[2:]
	if err := charge(thread, methodSize(recv, name, rest)); err != nil {
		return nil, err
	}
	m, err := getAttr(recv, name)
	if err != nil {
		return nil, err
	}
	var res starlark.Value
	if mb, ok := m.(*starlark.Builtin); ok {
		res, err = mb.CallInternal(thread, rest, kwargs)
	} else {
		res, err = starlark.Call(thread, m, rest, kwargs)
	}
	if name == "format" {
		return chargeAfter(thread, res, err)
	}
	return res, err
}

// methodSize estimates the bytes recv.name(args...) allocates.
func methodSize(recv starlark.Value, name string, args starlark.Tuple) uint64 {
	switch r := recv.(type) {
	case starlark.String:
		switch name {
		case "join":
			if len(args) != 1 {
				return 0
			}
			var total uint64
			n := uint64(0)
			if it, ok := args[0].(starlark.Iterable); ok {
				iter := it.Iterate()
				var x starlark.Value
				for iter.Next(&x) {
					total += sizeOf(x)
					n++
				}
				iter.Done()
			}
			if n > 0 {
				total += mulSize(uint64(len(r)), n-1)
			}
			return total
		case "replace":
			if len(args) < 2 {
				return 0
			}
			old, ok1 := args[0].(starlark.String)
			repl, ok2 := args[1].(starlark.String)
			if !ok1 || !ok2 || len(repl) <= len(old) {
				return 0
			}
			count := uint64(strings.Count(string(r), string(old)))
			return uint64(len(r)) + mulSize(count, uint64(len(repl)-len(old)))
		}
	case *starlark.List:
		if name == "extend" && len(args) == 1 {
			return sizeOf(args[0])
		}
	case *starlark.Set:
		if name == "union" {
			total := sizeOf(r)
			for _, a := range args {
				total += sizeOf(a)
			}
			return total
		}
	case *starlark.Dict:
		if name == "update" && len(args) == 1 {
			return sizeOf(args[0])
		}
	}
	return 0
}

// chargedCopy wraps a builtin that builds a container of its first
// argument's elements (list, tuple, sorted, set, …): the copy is charged
// before the builtin runs.
func chargedCopy(fn *starlark.Builtin, perElem uint64) *starlark.Builtin {
	return starlark.NewBuiltin(fn.Name(), func(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		var n uint64
		for i, a := range args {
			if i > 0 && fn.Name() != "zip" {
				break
			}
			if l := starlark.Len(a); l > 0 {
				if fn.Name() == "zip" {
					n = max(n, uint64(l)) // an upper bound of the shortest
				} else {
					n = uint64(l)
				}
			}
		}
		if err := charge(thread, mulSize(n, perElem)); err != nil {
			return nil, err
		}
		return fn.CallInternal(thread, args, kwargs)
	})
}

// memoryBuiltins returns the builtins that charge the memory budget,
// replacing Starlark's own list, tuple, enumerate, zip, set, dict and
// reversed (sorted charges itself).
func memoryBuiltins() starlark.StringDict {
	d := starlark.StringDict{
		methodBuiltinName: starlark.NewBuiltin("method call", builtinMethod),
		copyBuiltinName:   starlark.NewBuiltin("slice", builtinCopy),
	}
	for _, name := range []string{"list", "tuple", "enumerate", "zip", "reversed"} {
		d[name] = chargedCopy(starlark.Universe[name].(*starlark.Builtin), elemBytes)
	}
	for _, name := range []string{"set", "dict"} {
		d[name] = chargedCopy(starlark.Universe[name].(*starlark.Builtin), entryBytes)
	}
	// str and repr of a large value: charged once built (at most a few
	// times the value's own size).
	for _, fn := range []*starlark.Builtin{
		starlark.NewBuiltin("str", pyStrBuiltin), starlark.NewBuiltin("repr", pyReprBuiltin),
	} {
		d[fn.Name()] = starlark.NewBuiltin(fn.Name(), func(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			res, err := fn.CallInternal(thread, args, kwargs)
			return chargeAfter(thread, res, err)
		})
	}
	return d
}

// getAttr returns recv.name as the Starlark expression does.
func getAttr(recv starlark.Value, name string) (starlark.Value, error) {
	x, ok := recv.(starlark.HasAttrs)
	if !ok {
		return nil, fmt.Errorf("%s has no .%s field or method", recv.Type(), name)
	}
	v, err := x.Attr(name)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, fmt.Errorf("%s has no .%s field or method", recv.Type(), name)
	}
	return v, nil
}
