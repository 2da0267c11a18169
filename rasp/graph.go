package rasp

import "sync"

// isPrimitive reports whether e is tokens, indices or length (fixed labels, no id).
func isPrimitive(e Expr) bool {
	switch e.(type) {
	case *TokensType, *IndicesType, *LengthType:
		return true
	}
	return false
}

// Labeler hands out unique ids like tracr's RASPExpr._ids counter
// (itertools.count(1)). One Labeler per program build reproduces tracr's
// labels exactly, including labels read while the program is being built.
type Labeler struct{ next int }

// NewLabeler returns a Labeler whose next id is 1 (circuits-benchmark resets
// the counter to 1 before building each case's program).
func NewLabeler() *Labeler { return &Labeler{next: 1} }

// Next returns the id the Labeler will hand out next.
func (l *Labeler) Next() int { return l.next }

// Label returns e's label, giving e (only e) the next id if it has none, as
// tracr's lazily cached unique_id does.
func (l *Labeler) Label(e Expr) string {
	l.ensure(e)
	return e.Label()
}

func (l *Labeler) ensure(e Expr) {
	if isPrimitive(e) {
		return
	}
	idMu.Lock()
	defer idMu.Unlock()
	b := e.base()
	if b.id == 0 {
		b.id = l.next
		l.next++
	}
}

// Assign gives ids to every expression reachable from out in the order the
// tracr compiler first reads their labels: rasp_to_graph's breadth-first
// search, which labels the output, then, for each dequeued expression, each
// of its children in order. Expressions that already have an id keep it.
func (l *Labeler) Assign(out Expr) {
	walk(out, l.ensure, nil)
}

// walk performs rasp_to_graph's breadth-first traversal from out. onNode is
// called whenever tracr calls ensure_node (output first, then the children of
// each dequeued expression in order); onEdge for every child→parent edge.
// Each expression object is expanded once (tracr re-expands repeated
// children, which adds nothing new).
func walk(out Expr, onNode func(Expr), onEdge func(child, parent Expr)) {
	onNode(out)
	queue := []Expr{out}
	expanded := map[Expr]bool{}
	for len(queue) > 0 {
		e := queue[0]
		queue = queue[1:]
		if expanded[e] {
			continue
		}
		expanded[e] = true
		onNode(e)
		for _, c := range e.Children() {
			queue = append(queue, c)
			onNode(c)
			if onEdge != nil {
				onEdge(c, e)
			}
		}
	}
}

// assignMu serialises AssignLabels, so that concurrent first evaluations of
// one fresh program number it once, in tracr's order.
var assignMu sync.Mutex

// AssignLabels assigns every unlabelled expression reachable from out its
// id exactly as circuits-benchmark's compile does (counter reset to 1, then
// tracr's graph traversal; see Labeler.Assign). If some expressions already
// have ids, numbering continues after the largest of them. Calling it again
// changes nothing. Eval calls it; the compiler should call it (or build the
// program with a Labeler) before reading labels.
func AssignLabels(out Expr) {
	assignMu.Lock()
	defer assignMu.Unlock()
	maxID := 0
	walk(out, func(e Expr) {
		if id := e.ID(); id > maxID {
			maxID = id
		}
	}, nil)
	l := &Labeler{next: maxID + 1}
	l.Assign(out)
}

// Graph is the expression graph of a program as tracr's rasp_to_graph builds
// it: one node per distinct label.
type Graph struct {
	// Nodes in insertion order (networkx node order in tracr), output first.
	Nodes []Expr
	// Edges child label → parent label, in insertion order, without duplicates.
	Edges [][2]string
	// Sink is the program output.
	Sink Expr
	// Sources are the expressions without children (tokens, indices, Full, …),
	// in the order they are first expanded, without duplicates.
	Sources []Expr
	byLabel map[string]Expr
}

// Node returns the expression with the given label.
func (g *Graph) Node(label string) (Expr, bool) {
	e, ok := g.byLabel[label]
	return e, ok
}

// Parents returns the labels of the expressions that read the given label,
// in edge insertion order.
func (g *Graph) Parents(label string) []string {
	var out []string
	for _, e := range g.Edges {
		if e[0] == label {
			out = append(out, e[1])
		}
	}
	return out
}

// ExtractGraph assigns labels (AssignLabels) and returns the program graph.
// Two different expression objects with the same label are one node (the
// first one met), as in tracr.
func ExtractGraph(out Expr) *Graph {
	AssignLabels(out)
	g := &Graph{Sink: out, byLabel: map[string]Expr{}}
	seenEdge := map[[2]string]bool{}
	seenSource := map[string]bool{}
	walk(out, func(e Expr) {
		lb := e.Label()
		if _, ok := g.byLabel[lb]; !ok {
			g.byLabel[lb] = e
			g.Nodes = append(g.Nodes, e)
		}
	}, func(c, p Expr) {
		k := [2]string{c.Label(), p.Label()}
		if !seenEdge[k] {
			seenEdge[k] = true
			g.Edges = append(g.Edges, k)
		}
	})
	for _, e := range g.Nodes {
		if len(e.Children()) == 0 && !seenSource[e.Label()] {
			seenSource[e.Label()] = true
			g.Sources = append(g.Sources, e)
		}
	}
	return g
}

// Topological returns the graph's expressions with every expression after
// the expressions it reads (a depth-first post-order from the sink, children
// in order), e.g. indices, select_2, tokens, is_x_3, frac_prevs_1 for case 3.
func (g *Graph) Topological() []Expr {
	seen := map[string]bool{}
	var out []Expr
	var visit func(e Expr)
	visit = func(e Expr) {
		lb := e.Label()
		if seen[lb] {
			return
		}
		seen[lb] = true
		for _, c := range e.Children() {
			visit(c)
		}
		if n, ok := g.byLabel[lb]; ok {
			out = append(out, n)
		}
	}
	visit(g.Sink)
	return out
}
