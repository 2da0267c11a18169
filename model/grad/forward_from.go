package grad

import "fmt"

// ForwardFrom is Forward of clean's tokens with the patches applied,
// reusing what the clean run computed before the first patched node:
// every layer below it, when that node is an MLP its layer's attention
// too, and when it is a head (keep=false) the q, k, v and attention of
// its layer's unpatched heads. Those parts compute exactly what they computed in the
// clean run, so ForwardFrom starts from clean's residual stream there
// (resid_pre, or resid_mid for an MLP) and its result is bit-identical to
// Forward(ws, tokens, B, T, patches, keep). With no patches it only
// recomputes the logits.
//
// clean must come from Forward on this Net without patches, still be
// valid, and the parameters must not have changed since (an optimiser step
// or InitNormal makes ForwardFrom refuse it); ws must be another Workspace
// than clean's. The returned Run lives in ws: it is valid until the next
// Forward or ForwardFrom on ws. With keep=false it also reads clean's
// Workspace for the nodes of the skipped layers (Node, NodeInto), so it
// needs clean to stay valid too; keep=true copies the skipped layers'
// activations into ws (clean must then have been run with keep=true), so
// that Backward works on the result exactly as on a Forward run.
//
// A typical use is an evaluation that runs one batch clean (in one
// Workspace) and then once per node with that node patched (in another).
func (n *Net) ForwardFrom(ws *Workspace, clean *Run, patches []Patch, keep bool) (*Run, error) {
	switch {
	case clean == nil || clean.net != n:
		return nil, fmt.Errorf("grad: forward from: the clean run is not from this Net")
	case !clean.valid():
		return nil, fmt.Errorf("grad: forward from: the clean run is stale (its Workspace ran another Forward)")
	case clean.ws == ws:
		return nil, fmt.Errorf("grad: forward from: ws is the clean run's Workspace; use another one")
	case clean.patched || clean.from > 0 || clean.until > 0:
		return nil, fmt.Errorf("grad: forward from: the clean run must be a Forward without patches")
	case clean.version != n.version:
		return nil, fmt.Errorf("grad: forward from: the parameters changed since the clean run")
	case keep && !clean.keep:
		return nil, fmt.Errorf("grad: forward from: keep=true needs a clean run made with keep=true")
	}
	B, T := clean.B, clean.T
	from, err := n.checkPatches(patches, B, T)
	if err != nil {
		return nil, fmt.Errorf("grad: forward from: %w", err)
	}
	src := clean.ws
	r := n.run(ws, B, T, patches, keep, from, clean)
	copy(ws.tok, src.tok[:B*T])
	if keep {
		g := ws.g
		N := B * T
		for l := 0; 2*l < from; l++ {
			copy(ws.x[l], src.x[l][:N*g.Dp])
			copy(ws.qkvL[l], src.qkvL[l][:lanes(B)*T*g.S])
			copy(ws.pat[l], src.pat[l][:lanes(B)*g.H*T*T])
			copy(ws.z[l], src.z[l][:N*g.HDp])
			if 2*l+1 < from {
				copy(ws.mid[l], src.mid[l][:N*g.Dp])
				copy(ws.post[l], src.post[l][:N*g.Fp])
				copy(ws.dact[l], src.dact[l][:N*g.Fp])
			}
		}
		r.base = nil // self-contained
	}
	if from == 0 {
		// A head of layer 0 is patched: nothing to reuse but the
		// embedding, which is cheap; run from the tokens.
		r.from, r.base, ws.job.from, ws.job.src = 0, nil, 0, nil
	}
	if !keep && from%2 == 0 && from < 2*ws.g.L {
		// The first patched node is a head: its layer's other heads are
		// the clean run's (kept runs recompute them: Backward needs their
		// q, k, v and pattern in ws).
		ws.job.zsrc = src
	}
	runChunks(&ws.job)
	clear(ws.mlpPatch) // do not keep the caller's slices
	return r, nil
}
