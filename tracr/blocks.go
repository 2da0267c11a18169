package tracr

import (
	"fmt"

	"github.com/glassbox-interp/glassbox/rasp"
	"github.com/glassbox-interp/glassbox/tracr/bases"
	"github.com/glassbox-interp/glassbox/tracr/craft"
)

// addCraftBlocks is tracr's expr_to_craft_graph.add_craft_components_to_rasp_graph.
func (cp *compiler) addCraftBlocks() error {
	for _, n := range cp.nodes {
		if !n.isSOp() {
			continue
		}
		if err := cp.addBlock(n); err != nil {
			return err
		}
	}
	return nil
}

// valueFunc wraps a rasp.Func of one argument, naming the label on failure.
func valueFunc(label string, f rasp.Func) craft.ValueFunc {
	return func(v bases.Value) (bases.Value, error) {
		r, err := f.Call(v)
		if err != nil && !craft.IsArithmetic(err) {
			return nil, fmt.Errorf("function %s failed on value %s: %w", f, rasp.Repr(v), err)
		}
		return r, err
	}
}

// selectorFunc turns a Select predicate into an attention function on
// (query, key) directions; tracr calls predicate(key.value, query.value).
func selectorFunc(sel *rasp.Select) craft.AttnFunc {
	return func(q, k bases.Direction) (bool, error) {
		ok, err := sel.Predicate.Select(k.Value, q.Value)
		if err != nil {
			return false, fmt.Errorf("selector predicate %s failed on key %s, query %s: %w", sel.Predicate, rasp.Repr(k.Value), rasp.Repr(q.Value), err)
		}
		return ok, nil
	}
}

func (cp *compiler) addBlock(n *node) error {
	wrap := func(err error) error {
		if err == nil {
			return nil
		}
		if _, ok := err.(*Error); ok {
			return err
		}
		return &Error{Label: n.label, Err: err}
	}
	if err := cp.checkBlock(n); err != nil {
		return err
	}
	hidden := "_hidden_" + n.label + "_"
	switch e := n.expr.(type) {
	case *rasp.TokensType, *rasp.IndicesType:
		return nil
	case *rasp.Map:
		in := cp.nodeOf(e.Inner)
		inCat, outCat := !in.numerical(), !n.numerical()
		var err error
		switch {
		case inCat && outCat:
			n.mlp, err = craft.MapCategoricalMLP(in.space, n.space, func(d bases.Direction) (bases.Direction, error) {
				r, err := e.F.Call(d.Value)
				if err != nil {
					return bases.Direction{}, fmt.Errorf("Map function %s failed on value %s: %w", e.F, rasp.Repr(d.Value), err)
				}
				return bases.Dir(n.label, r), nil
			})
		case inCat && !outCat:
			n.mlp, err = craft.MapCategoricalToNumericalMLP(in.space, n.space, func(v bases.Value) (float64, error) {
				r, err := e.F.Call(v)
				if err != nil {
					return 0, fmt.Errorf("Map function %s failed on value %s: %w", e.F, rasp.Repr(v), err)
				}
				f, ok := bases.AsFloat(r)
				if !ok {
					return 0, fmt.Errorf("numerical Map function %s returned %s (a %s) for %s, want a number", e.F, rasp.Repr(r), rasp.TypeName(r), rasp.Repr(v))
				}
				return f, nil
			})
		case !inCat && outCat:
			n.mlp, err = craft.NumericalToCategoricalMLP(valueFunc(n.label, e.F), in.space, n.space, in.values.values(), cp.one, cp.opts.MLPExactness, hidden)
		default:
			n.mlp, err = craft.NumericalMLP(valueFunc(n.label, e.F), in.space, n.space, in.values.values(), cp.one, cp.opts.MLPExactness, hidden)
		}
		return wrap(err)
	case *rasp.LinearSequenceMap:
		fst, snd := cp.nodeOf(e.Fst), cp.nodeOf(e.Snd)
		if fst.numerical() == false || snd.numerical() == false || !n.numerical() {
			return exprErr(n.label, "%w: Linear SequenceMap only supports numerical inputs/outputs", ErrUnsupported)
		}
		a, ok1 := bases.AsFloat(e.FstFac)
		b, ok2 := bases.AsFloat(e.SndFac)
		if !ok1 || !ok2 {
			return exprErr(n.label, "LinearSequenceMap factors %s, %s are not numbers", rasp.Repr(e.FstFac), rasp.Repr(e.SndFac))
		}
		n.mlp = craft.LinearSequenceMapMLP(fst.space.Basis()[0], snd.space.Basis()[0], n.space.Basis()[0], a, b, hidden)
		return nil
	case *rasp.SequenceMap:
		fst, snd := cp.nodeOf(e.Fst), cp.nodeOf(e.Snd)
		if fst.numerical() || snd.numerical() || n.numerical() {
			return exprErr(n.label, "%w: (Non-linear) SequenceMap only supports categorical inputs/outputs", ErrUnsupported)
		}
		var err error
		if fst.space.Equal(snd.space) {
			n.mlp, err = craft.MapCategoricalMLP(fst.space, n.space, func(d bases.Direction) (bases.Direction, error) {
				r, err := e.F.Call(d.Value, d.Value)
				if err != nil {
					return bases.Direction{}, fmt.Errorf("SequenceMap function %s failed on values (%s): %w", e.F, argsRepr(d.Value, d.Value), err)
				}
				return bases.Dir(n.label, r), nil
			})
		} else {
			n.mlp, err = craft.SequenceMapCategoricalMLP(fst.space, snd.space, n.space, func(x, y bases.Direction) (bases.Direction, error) {
				r, err := e.F.Call(x.Value, y.Value)
				if err != nil {
					return bases.Direction{}, fmt.Errorf("SequenceMap function %s failed on values (%s): %w", e.F, argsRepr(x.Value, y.Value), err)
				}
				return bases.Dir(n.label, r), nil
			}, cp.one, hidden)
		}
		return wrap(err)
	case *rasp.Aggregate:
		sel, ok := e.Selector.(*rasp.Select)
		if !ok {
			return exprErr(n.label, "%w: compiling composite Selectors is not supported; got %s", ErrUnsupported, e.Selector.Label())
		}
		q, k, v := cp.nodeOf(sel.Queries), cp.nodeOf(sel.Keys), cp.nodeOf(e.SOp)
		if q.numerical() || k.numerical() {
			return exprErr(n.label, "%w: selector keys and queries must be categorical", ErrUnsupported)
		}
		if e.SOp.Encoding() != e.Encoding() {
			return exprErr(n.label, "%w: an Aggregate's output encoding must match the input encoding. Input: %s, Output: %s", ErrUnsupported, e.SOp.Encoding(), e.Encoding())
		}
		if !n.numerical() && e.Default != nil {
			return exprErr(n.label, "%w: default for a categorical aggregate must be None; got %s", ErrUnsupported, rasp.Repr(e.Default))
		}
		if n.numerical() && !rasp.Equal(e.Default, 0) {
			return exprErr(n.label, "%w: default for a numerical aggregate must be 0; got %s", ErrUnsupported, rasp.Repr(e.Default))
		}
		var err error
		n.head, err = craft.CategoricalAttn(q.space, k.space, v.space, n.space, cp.bos, cp.one, selectorFunc(sel),
			craft.AttnOptions{UseBOSForDefaultOutput: true, SoftmaxColdness: softmaxColdness})
		return wrap(err)
	case *rasp.SelectorWidth:
		sel, ok := e.Selector.(*rasp.Select)
		if !ok {
			return exprErr(n.label, "%w: compiling composite Selectors is not supported; got %s", ErrUnsupported, e.Selector.Label())
		}
		q, k := cp.nodeOf(sel.Queries), cp.nodeOf(sel.Keys)
		if q.numerical() || k.numerical() {
			return exprErr(n.label, "%w: selector keys and queries must be categorical", ErrUnsupported)
		}
		var err error
		n.swHead, n.swMLP, err = craft.SelectorWidthBlocks(q.space, k.space, n.space, cp.bos, cp.one, selectorFunc(sel),
			n.values.values(), !n.numerical(), softmaxColdness, cp.opts.MLPExactness, n.label)
		return wrap(err)
	}
	return exprErr(n.label, "%w: expression %T cannot be translated to a model component", ErrUnsupported, n.expr)
}
