package tracr

import (
	"errors"
	"fmt"
	"math"
	"runtime/debug"
	"strings"

	"github.com/glassbox-interp/glassbox/model"
	"github.com/glassbox-interp/glassbox/rasp"
	"github.com/glassbox-interp/glassbox/tensor"
	"github.com/glassbox-interp/glassbox/tracr/bases"
	"github.com/glassbox-interp/glassbox/tracr/craft"
)

// Options are the compiler settings of tracr's compile_rasp_to_model.
type Options struct {
	// Causal selects a causal attention mask in the assembled model.
	Causal bool
	// MLPExactness is the slope of the discretising MLPs (default 100).
	MLPExactness float64
	// CompilerBOS and CompilerPAD are the special tokens (default "BOS", "PAD").
	CompilerBOS, CompilerPAD string
	// MaxParams limits the size of the model (0: DefaultMaxParams): the
	// assembled model's parameters, and the weights of each block while
	// compiling. Bigger programs give an error wrapping ErrTooLarge that
	// names the sizes, before anything that size is allocated.
	MaxParams int64
}

// DefaultMaxParams is the default Options.MaxParams: 2^28 parameters
// (1 GiB as float32).
const DefaultMaxParams = 1 << 28

func (o Options) withDefaults() Options {
	if o.MLPExactness == 0 {
		o.MLPExactness = 100
	}
	if o.CompilerBOS == "" {
		o.CompilerBOS = "BOS"
	}
	if o.CompilerPAD == "" {
		o.CompilerPAD = "PAD"
	}
	if o.MaxParams <= 0 {
		o.MaxParams = DefaultMaxParams
	}
	return o
}

// softmaxColdness is hard-coded in tracr's expr_to_craft_graph.
const softmaxColdness = 100

// Compiled is a compiled RASP program.
type Compiled struct {
	// Config is the TransformerLens configuration of the assembled model.
	Config model.Config
	// Params maps TransformerLens parameter names (embed.W_E, blocks.0.attn.W_Q,
	// …) to weights. Biases are zero and omitted.
	Params map[string]*tensor.Tensor
	// Residual is the residual-stream basis; ResidualLabels its printed form.
	Residual       *bases.Space
	ResidualLabels []string
	// Tokens are the input values in token-id order (vocab ∪ {BOS, PAD},
	// sorted as tracr sorts the tokens basis).
	Tokens []rasp.Value
	// Categorical is true when the output is decoded by argmax.
	Categorical bool
	// OutputValues are the output values in output-id order (categorical).
	OutputValues []rasp.Value
	// OutputLabel is the label of the program's output SOp.
	OutputLabel string
	// Blocks describes the model's non-empty half-layers in order.
	Blocks []Block
	// Alignment maps RASP labels to TransformerLens hooks.
	Alignment *Alignment
	// Graph is the program graph (labels as tracr assigns them).
	Graph *rasp.Graph
	// MaxSeqLen is the compiler's max_seq_len (BOS excluded).
	MaxSeqLen int
	// Options are the options used (defaults filled in).
	Options Options
}

// Block is one non-empty half-layer of the assembled model.
type Block struct {
	Layer int    `json:"layer"`
	Kind  string `json:"kind"` // "attn" or "mlp"
	// Heads (attn) are the variables written by each head, in head order.
	Heads      []string     `json:"heads,omitempty"`
	HeadDetail []HeadDetail `json:"head_detail,omitempty"`
	// Outputs and Inputs (mlp) are the variables written and read.
	Outputs []string `json:"outputs,omitempty"`
	Inputs  []string `json:"inputs,omitempty"`
	DHidden int      `json:"d_hidden,omitempty"`
	// Nodes are the labels of the RASP expressions implemented here (one per
	// head, in head order; for an MLP block every combined MLP's expression).
	Nodes []string `json:"nodes"`

	heads []*craft.Head
	mlp   *craft.MLP
}

// HeadDetail describes one attention head.
type HeadDetail struct {
	Output  string   `json:"output"`
	QInputs []string `json:"q_inputs"`
	KInputs []string `json:"k_inputs"`
	VInputs []string `json:"v_inputs"`
	QKShape [2]int   `json:"qk_shape"`
	OVShape [2]int   `json:"ov_shape"`
}

// Error is a compile error tied to one expression.
type Error struct {
	Label string // expression label ("" when not tied to one)
	Err   error
}

func (e *Error) Error() string {
	if e.Label == "" {
		return "tracr: " + e.Err.Error()
	}
	return fmt.Sprintf("tracr: %s: %v", e.Label, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// ErrUnsupported is wrapped by errors for programs tracr cannot compile
// (tracr's NotImplementedError).
var ErrUnsupported = errors.New("not supported by tracr")

// ErrTooLarge is wrapped by errors for models over Options.MaxParams.
var ErrTooLarge = errors.New("model too large")

func exprErr(label string, format string, args ...any) error {
	return &Error{Label: label, Err: fmt.Errorf(format, args...)}
}

// node is the compiler's per-expression state (tracr's graph node attributes).
type node struct {
	expr     rasp.Expr
	label    string
	values   *pySet       // VALUE_SET (SOps only)
	space    *bases.Space // OUTPUT_BASIS (SOps only)
	mlp      *craft.MLP   // MODEL_BLOCK: an MLP,
	head     *craft.Head  // an attention head,
	swHead   *craft.Head  // or a SelectorWidth series (head + MLP)
	swMLP    *craft.MLP
	children []*node
	parents  []*node
}

func (n *node) isSOp() bool { _, ok := n.expr.(rasp.SOp); return ok }

func (n *node) numerical() bool {
	s, ok := n.expr.(rasp.SOp)
	return ok && s.Encoding() == rasp.Numerical
}

type compiler struct {
	opts      Options
	vocab     *pySet
	maxSeqLen int
	graph     *rasp.Graph
	nodes     []*node // graph order
	byLabel   map[string]*node
	sink      *node
	bos, one  bases.Direction
}

// Compile compiles program for the given vocabulary and maximum sequence
// length (BOS excluded, as in tracr). Programs tracr cannot compile give an
// *Error naming the expression.
func Compile(program rasp.SOp, vocab []rasp.Value, maxSeqLen int, opts Options) (c *Compiled, err error) {
	defer func() {
		if r := recover(); r != nil {
			c, err = nil, fmt.Errorf("tracr: internal error: %v\n%s", r, debug.Stack())
		}
	}()
	if program == nil {
		return nil, errors.New("tracr: nil program")
	}
	if maxSeqLen < 1 {
		return nil, fmt.Errorf("tracr: max_seq_len must be at least 1, got %d", maxSeqLen)
	}
	opts = opts.withDefaults()
	vs := newPySetOf()
	for _, v := range vocab {
		nv, err := rasp.Normalize(v)
		if err != nil {
			return nil, fmt.Errorf("tracr: vocab: %w", err)
		}
		vs.add(nv)
	}
	if vs.has(opts.CompilerBOS) {
		return nil, fmt.Errorf("tracr: compiler BOS token must not be present in the vocab; found %q", opts.CompilerBOS)
	}
	if vs.has(opts.CompilerPAD) {
		return nil, fmt.Errorf("tracr: compiler PAD token must not be present in the vocab; found %q", opts.CompilerPAD)
	}
	// Labels are assigned in tracr's breadth-first order from the output
	// (as rasp_to_graph would), so error messages can name them.
	rasp.AssignLabels(program)
	if problems := staticValidate(program); len(problems) > 0 {
		return nil, &Error{Err: fmt.Errorf("%w: unsupported RASP expressions:\n%s", ErrUnsupported, strings.Join(problems, "\n"))}
	}
	cp := &compiler{
		opts: opts, vocab: vs, maxSeqLen: maxSeqLen,
		bos: bases.Dir("tokens", opts.CompilerBOS), one: bases.NameDir("one"),
	}
	if err := cp.checkEmbedding(vs.len()); err != nil {
		return nil, err
	}
	cp.buildGraph(program)
	if err := cp.inferBases(); err != nil {
		return nil, err
	}
	if err := cp.addCraftBlocks(); err != nil {
		return nil, err
	}
	layers, err := cp.allocate()
	if err != nil {
		return nil, err
	}
	return cp.assemble(layers)
}

// staticValidate is tracr's validating.static_validate: a breadth-first walk
// that skips children whose name was already visited (as tracr does); each
// problem is reported with the expression's label.
func staticValidate(program rasp.Expr) []string {
	var problems []string
	visited := map[string]bool{}
	queue := []rasp.Expr{program}
	for len(queue) > 0 {
		e := queue[0]
		queue = queue[1:]
		visited[e.Name()] = true
		if reason := validateExpr(e); reason != "" {
			problems = append(problems, e.Label()+": "+reason)
		}
		for _, c := range e.Children() {
			if !visited[c.Name()] {
				queue = append(queue, c)
			}
		}
	}
	return problems
}

func validateExpr(e rasp.Expr) string {
	switch x := e.(type) {
	case *rasp.TokensType:
		if x.Encoding() == rasp.Numerical {
			return "tokens should always be categorical."
		}
	case *rasp.IndicesType:
		if x.Encoding() == rasp.Numerical {
			return "tokens should always be categorical."
		}
	case *rasp.Select:
		if x.Keys.Encoding() != rasp.Categorical {
			return "Select keys must be categorical."
		}
		if x.Queries.Encoding() != rasp.Categorical {
			return "Select queries must be categorical."
		}
	case *rasp.Aggregate:
		if x.Encoding() != x.SOp.Encoding() {
			return fmt.Sprintf("An aggregate's output encoding must match its input encoding. Input: %s   Output: %s  ", x.Encoding(), x.SOp.Encoding())
		}
		if x.Encoding() == rasp.Categorical && x.Default != nil {
			return "Categorical aggregate only supports None as default value."
		}
		if x.Encoding() == rasp.Numerical && !rasp.Equal(x.Default, 0) {
			return "Numerical aggregate only supports 0 as default value."
		}
	case *rasp.SequenceMap:
		if x.Fst.Encoding() != rasp.Categorical || x.Snd.Encoding() != rasp.Categorical || x.Encoding() != rasp.Categorical {
			return "(Non-linear) SequenceMap only supports categorical inputs/outputs."
		}
	case *rasp.LinearSequenceMap:
		if x.Fst.Encoding() != rasp.Numerical || x.Snd.Encoding() != rasp.Numerical || x.Encoding() != rasp.Numerical {
			return "LinearSequenceMap only supports numerical inputs/outputs."
		}
	}
	return ""
}

func (cp *compiler) buildGraph(program rasp.SOp) {
	g := rasp.ExtractGraph(program)
	cp.graph = g
	cp.byLabel = map[string]*node{}
	for _, e := range g.Nodes {
		n := &node{expr: e, label: e.Label()}
		cp.nodes = append(cp.nodes, n)
		cp.byLabel[n.label] = n
	}
	for _, ed := range g.Edges {
		c, p := cp.byLabel[ed[0]], cp.byLabel[ed[1]]
		c.parents = append(c.parents, p)
		p.children = append(p.children, c)
	}
	cp.sink = cp.byLabel[program.Label()]
}

// nodeOf returns the graph node of an expression (by label).
func (cp *compiler) nodeOf(e rasp.Expr) *node { return cp.byLabel[e.Label()] }

func isPyInt01(v rasp.Value) bool {
	// Python: int(x) in {0, 1}; int() truncates floats toward zero.
	f, ok := bases.AsFloat(v)
	if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
		return false
	}
	t := math.Trunc(f)
	return t == 0 || t == 1
}
