package tracr

import (
	"fmt"
	"math/bits"

	"github.com/glassbox-interp/glassbox/rasp"
)

// Size checks: every allocation proportional to a product of sizes (value
// sets, craft blocks, the assembled model) is checked against
// Options.MaxParams first, and refused with the sizes in words.

// mul returns a*b for non-negative sizes, saturating instead of overflowing.
func mul(a, b int64) int64 {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi != 0 || lo > 1<<62 {
		return 1 << 62
	}
	return int64(lo)
}

// add returns a+b for non-negative sizes, saturating.
func add(xs ...int64) int64 {
	var s int64
	for _, x := range xs {
		s += x
		if s > 1<<62 || s < 0 {
			return 1 << 62
		}
	}
	return s
}

// human prints a parameter count with its size as float32.
func human(params int64) string {
	b := float64(params) * 4
	units := []string{"B", "KB", "MB", "GB", "TB", "PB"}
	u := 0
	for b >= 1000 && u < len(units)-1 {
		b /= 1000
		u++
	}
	return fmt.Sprintf("%d parameters (%.3g %s as float32)", params, b, units[u])
}

// tooLarge is the error for a size over the limit.
func (cp *compiler) tooLarge(label, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return &Error{Label: label, Err: fmt.Errorf("%w: %s; the limit is %d parameters (raise it with glassbox compile --max-params N, or tracr.Options.MaxParams)",
		ErrTooLarge, msg, cp.opts.MaxParams)}
}

// checkEmbedding refuses a vocabulary and max_seq_len whose embeddings
// alone exceed the limit: the residual stream holds at least the tokens
// (vocabulary, BOS, PAD) and indices spaces, and W_E and W_pos have one row
// per token and per position.
func (cp *compiler) checkEmbedding(vocabSize int) error {
	dVocab := int64(vocabSize) + 2
	nCtx := int64(cp.maxSeqLen) + 1
	minD := add(dVocab, int64(cp.maxSeqLen))
	emb := mul(add(dVocab, nCtx), minD)
	if emb > cp.opts.MaxParams {
		return cp.tooLarge("", "a vocabulary of %d tokens (with BOS and PAD) and n_ctx %d (max_seq_len %d + BOS) need a residual stream of at least %d dimensions, "+
			"so the token and position embeddings alone have %s", dVocab, nCtx, cp.maxSeqLen, minD, human(emb))
	}
	return nil
}

// checkProduct refuses a SequenceMap whose input value sets have more
// combinations than the limit (each is a call of the function and a unit of
// the MLP's hidden layer).
func (cp *compiler) checkProduct(n *node, fst, snd rasp.SOp) error {
	a := int64(cp.nodeOf(fst).values.len())
	b := int64(cp.nodeOf(snd).values.len())
	if p := mul(a, b); p > cp.opts.MaxParams {
		return cp.tooLarge(n.label, "SequenceMap of %d × %d input values has %d combinations (function calls and hidden units of its MLP)", a, b, p)
	}
	return nil
}

// checkBlock refuses an expression whose craft block (MLP or attention
// head, built as dense matrices) would have more weights than the limit.
func (cp *compiler) checkBlock(n *node) error {
	dims := func(e rasp.Expr) int64 {
		if c := cp.nodeOf(e); c != nil && c.space != nil {
			return int64(c.space.NumDims())
		}
		return 1
	}
	values := func(e rasp.Expr) int64 {
		if c := cp.nodeOf(e); c != nil && c.values != nil {
			return int64(c.values.len())
		}
		return 1
	}
	out := int64(n.space.NumDims())
	var hidden, weights int64
	kind := "MLP"
	switch e := n.expr.(type) {
	case *rasp.Map:
		in := dims(e.Inner)
		hidden = in
		if cp.nodeOf(e.Inner).numerical() {
			hidden = add(mul(2, values(e.Inner)), 2)
		}
		weights = mul(hidden, add(in, out, 1))
	case *rasp.SequenceMap:
		a, b := dims(e.Fst), dims(e.Snd)
		hidden = mul(a, b)
		weights = mul(hidden, add(a, b, out, 1))
	case *rasp.Aggregate:
		kind = "attention head"
		sel, ok := e.Selector.(*rasp.Select)
		if !ok {
			return nil
		}
		weights = add(mul(add(dims(sel.Queries), 1), add(dims(sel.Keys), 1)), mul(dims(e.SOp), out))
	case *rasp.SelectorWidth:
		kind = "attention head and MLP"
		sel, ok := e.Selector.(*rasp.Select)
		if !ok {
			return nil
		}
		hidden = int64(cp.maxSeqLen) + 1
		weights = add(mul(add(dims(sel.Queries), 1), add(dims(sel.Keys), 1)), mul(hidden, add(hidden, out, 1)))
	default:
		return nil
	}
	if weights > cp.opts.MaxParams {
		if hidden > 0 {
			return cp.tooLarge(n.label, "its %s would have %d hidden units and %s", kind, hidden, human(weights))
		}
		return cp.tooLarge(n.label, "its %s would have %s", kind, human(weights))
	}
	return nil
}

// checkModel refuses an assembled model over the limit, before its weights
// are allocated.
func (cp *compiler) checkModel(nLayers, dModel, nHeads, dHead, dMLP, dVocab, nCtx, dVocabOut int) error {
	D := int64(dModel)
	perLayer := add(mul(4, mul(int64(nHeads), mul(D, int64(dHead)))), mul(2, mul(D, int64(dMLP))))
	total := add(mul(int64(nLayers), perLayer), mul(add(int64(dVocab), int64(nCtx), int64(dVocabOut)), D))
	if total > cp.opts.MaxParams {
		return cp.tooLarge("", "the model would have %s: %d layers, d_model %d (the residual stream), %d heads of d_head %d, d_mlp %d, vocabulary %d, n_ctx %d, %d outputs",
			human(total), nLayers, dModel, nHeads, dHead, dMLP, dVocab, nCtx, dVocabOut)
	}
	return nil
}
