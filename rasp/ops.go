package rasp

import "fmt"

// Operator builds the SOp that tracr's operator overloads build for
// `left op right`, where at least one operand is an SOp and the other is an
// SOp or a Value:
//
//   - sop op value: Map(lambda x: x op value, sop)
//   - value op sop (reflected: __radd__, __rsub__, __rmul__, __rtruediv__,
//     __rand__): Map(lambda x: value op x, sop); `value | sop` is
//     Map(lambda x: x or value, sop), as tracr's __ror__ writes it
//   - value <op> sop for comparisons: Python reflects to sop's mirrored
//     comparison (1 < sop is sop > 1)
//   - sop op sop (arithmetic, & and |): SequenceMap(lambda x, y: x op y, left, right)
//
// OpAnd and OpOr stand for & and | (Python's `and`/`or` on the values).
// Comparing two SOps, and // or % (tracr defines no such overloads), are errors.
func Operator(op Op, left, right any) (SOp, error) {
	ls, lok := left.(SOp)
	rs, rok := right.(SOp)
	switch op {
	case OpFloorDiv, OpMod:
		return nil, fmt.Errorf("%w: unsupported operand type(s) for %s: tracr SOps define no %s operator", ErrType, op, op)
	}
	switch {
	case lok && rok:
		if op.isComparison() {
			return nil, fmt.Errorf("%w: comparing two SOps with %s is not supported (tracr would compare each value with the SOp object); use SequenceMap", ErrType, op)
		}
		return NewSequenceMap(opFunc2(op), ls, rs), nil
	case lok:
		v, err := Normalize(right)
		if err != nil {
			return nil, err
		}
		return NewMap(opFuncRight(op, v), ls), nil
	case rok:
		v, err := Normalize(left)
		if err != nil {
			return nil, err
		}
		if op.isComparison() {
			return NewMap(opFuncRight(mirror(op), v), rs), nil
		}
		if op == OpOr {
			// tracr's __ror__: Map(lambda x: x or other, self).
			return NewMap(opFuncRight(OpOr, v), rs), nil
		}
		return NewMap(opFuncLeft(op, v), rs), nil
	}
	return nil, fmt.Errorf("rasp: Operator %s needs an SOp operand, got %T and %T", op, left, right)
}

// mirror returns the comparison Python tries when the left operand does not
// implement op (a < b becomes b > a).
func mirror(op Op) Op {
	switch op {
	case OpLt:
		return OpGt
	case OpLe:
		return OpGe
	case OpGt:
		return OpLt
	case OpGe:
		return OpLe
	}
	return op
}

func pyOpName(op Op) string {
	switch op {
	case OpAnd:
		return "and"
	case OpOr:
		return "or"
	}
	return string(op)
}

// opFuncRight is lambda x: x op v.
func opFuncRight(op Op, v Value) Func {
	return GoFunc{
		Name: fmt.Sprintf("lambda x: x %s %s", pyOpName(op), Repr(v)),
		Fn: func(args ...Value) (Value, error) {
			if len(args) != 1 {
				return nil, fmt.Errorf("want 1 argument, got %d", len(args))
			}
			return Apply(op, args[0], v)
		},
	}
}

// opFuncLeft is lambda x: v op x.
func opFuncLeft(op Op, v Value) Func {
	return GoFunc{
		Name: fmt.Sprintf("lambda x: %s %s x", Repr(v), pyOpName(op)),
		Fn: func(args ...Value) (Value, error) {
			if len(args) != 1 {
				return nil, fmt.Errorf("want 1 argument, got %d", len(args))
			}
			return Apply(op, v, args[0])
		},
	}
}

// opFunc2 is lambda x, y: x op y.
func opFunc2(op Op) Func {
	return GoFunc{
		Name: fmt.Sprintf("lambda x, y: x %s y", pyOpName(op)),
		Fn: func(args ...Value) (Value, error) {
			if len(args) != 2 {
				return nil, fmt.Errorf("want 2 arguments, got %d", len(args))
			}
			return Apply(op, args[0], args[1])
		},
	}
}

// Invert is tracr's ~sop: Map(lambda x: not x, sop).
func Invert(sop SOp) SOp {
	return NewMap(GoFunc{
		Name: "lambda x: not x",
		Fn: func(args ...Value) (Value, error) {
			if len(args) != 1 {
				return nil, fmt.Errorf("want 1 argument, got %d", len(args))
			}
			return !Truthy(args[0]), nil
		},
	}, sop)
}
