package tracr

import (
	"fmt"

	"github.com/glassbox-interp/glassbox/rasp"
	"github.com/glassbox-interp/glassbox/tracr/bases"
	"github.com/glassbox-interp/glassbox/tracr/craft"
)

// inferBases is tracr's basis_inference.infer_bases: the value set and output
// space of every SOp, children first.
func (cp *compiler) inferBases() error {
	done := map[*node]bool{}
	var visit func(n *node) error
	visit = func(n *node) error {
		if done[n] {
			return nil
		}
		done[n] = true
		for _, c := range n.children {
			if err := visit(c); err != nil {
				return err
			}
		}
		if !n.isSOp() {
			return nil
		}
		vs, err := cp.valueSet(n)
		if err != nil {
			return err
		}
		n.values = vs
		if n.numerical() {
			n.space = bases.FromNames(n.label)
		} else {
			n.space = bases.FromValues(n.label, vs.values())
		}
		return nil
	}
	return visit(cp.sink)
}

// callIgnoringArithmetic calls f; ArithmeticErrors give (nil, nil), as with
// tracr's errors.ignoring_arithmetic_errors.
func callIgnoringArithmetic(f rasp.Func, args ...rasp.Value) (rasp.Value, error) {
	v, err := f.Call(args...)
	if err != nil {
		if craft.IsArithmetic(err) {
			return nil, nil
		}
		return nil, err
	}
	return v, nil
}

func argsRepr(args ...rasp.Value) string {
	s := ""
	for i, a := range args {
		if i > 0 {
			s += ", "
		}
		s += rasp.Repr(a)
	}
	return s
}

func (cp *compiler) valueSet(n *node) (*pySet, error) {
	switch e := n.expr.(type) {
	case *rasp.TokensType:
		return newPySetOf(cp.vocab.values()...), nil
	case *rasp.IndicesType:
		out := newPySetOf()
		for i := 0; i < cp.maxSeqLen; i++ {
			out.add(i)
		}
		return out, nil
	case *rasp.SelectorWidth:
		out := newPySetOf()
		for i := 0; i <= cp.maxSeqLen; i++ {
			out.add(i)
		}
		return out, nil
	case *rasp.Full:
		return newPySetOf(e.Fill), nil
	case *rasp.Map:
		out := newPySetOf()
		for _, x := range cp.nodeOf(e.Inner).values.values() {
			r, err := callIgnoringArithmetic(e.F, x)
			if err != nil {
				return nil, exprErr(n.label, "Map function %s failed on value %s: %w", e.F, rasp.Repr(x), err)
			}
			if r != nil {
				out.add(r)
			}
		}
		return out, nil
	case *rasp.SequenceMap:
		return cp.productSet(n, e.F, e.Fst, e.Snd)
	case *rasp.LinearSequenceMap:
		return cp.productSet(n, e.F, e.Fst, e.Snd)
	case *rasp.Aggregate:
		inner := cp.nodeOf(e.SOp).values
		if e.Encoding() == rasp.Categorical {
			return newPySetOf(inner.values()...), nil
		}
		for _, v := range inner.values() {
			if !isPyInt01(v) {
				return nil, exprErr(n.label, "%w: attention patterns can currently only average binary variables, not %s", ErrUnsupported, setRepr(inner))
			}
		}
		out := newPySetOf()
		for _, v := range inner.values() {
			for length := 1; length <= cp.maxSeqLen; length++ {
				r, err := rasp.Apply(rasp.OpTrueDiv, v, length)
				if err != nil {
					return nil, exprErr(n.label, "mean of %s: %w", rasp.Repr(v), err)
				}
				out.add(r)
			}
		}
		return out, nil
	}
	return nil, exprErr(n.label, "%w: unsupported S-Op %T", ErrUnsupported, n.expr)
}

func (cp *compiler) productSet(n *node, f rasp.Func, fst, snd rasp.SOp) (*pySet, error) {
	if err := cp.checkProduct(n, fst, snd); err != nil {
		return nil, err
	}
	out := newPySetOf()
	for _, x := range cp.nodeOf(fst).values.values() {
		for _, y := range cp.nodeOf(snd).values.values() {
			r, err := callIgnoringArithmetic(f, x, y)
			if err != nil {
				return nil, exprErr(n.label, "SequenceMap function %s failed on values (%s): %w", f, argsRepr(x, y), err)
			}
			if r != nil {
				out.add(r)
			}
		}
	}
	return out, nil
}

func setRepr(s *pySet) string {
	vs := s.values()
	out := "{"
	for i, v := range vs {
		if i > 0 {
			out += ", "
		}
		out += rasp.Repr(v)
	}
	return out + "}"
}

var _ = fmt.Sprintf
