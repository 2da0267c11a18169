package grad

import "fmt"

// ForwardNodes is Forward of tokens without patches and with keep=false
// that stops as soon as the given nodes are computed: the layers above the
// highest of them (and the unembedding) are skipped. It is for a source
// run whose only use is the values of some nodes: Node and NodeInto give
// exactly what a full Forward gives for those nodes and anything below
// them (an error above), Logits returns nil, and neither Backward nor
// ForwardFrom accepts the run.
func (n *Net) ForwardNodes(ws *Workspace, tokens []int32, B, T int, nodes []Node) (*Run, error) {
	if err := n.checkTokens(tokens, B, T); err != nil {
		return nil, fmt.Errorf("grad: forward nodes: %w", err)
	}
	if len(nodes) == 0 {
		return nil, fmt.Errorf("grad: forward nodes: no nodes")
	}
	until := 0
	for i, nd := range nodes {
		l, err := locate(n.cfg, nd)
		if err != nil {
			return nil, fmt.Errorf("grad: forward nodes: node %d: %w", i, err)
		}
		st := 2*l + 1
		if nd.isHead() {
			st = 2 * l
		}
		until = max(until, st+1)
	}
	r := n.run(ws, B, T, nil, false, 0, nil)
	r.until, ws.job.until = until, until
	copy(ws.tok, tokens)
	runChunks(&ws.job)
	return r, nil
}
