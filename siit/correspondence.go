package siit

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/glassbox-interp/glassbox/formats/atomicfile"
	"github.com/glassbox-interp/glassbox/model"
	"github.com/glassbox-interp/glassbox/model/grad"
	"github.com/glassbox-interp/glassbox/tracr"
)

// CorrespondenceFile is the name of the correspondence in a model folder.
const CorrespondenceFile = "correspondence.json"

// HLNode is a variable of the compiled (high-level) program at the hook
// that computes it: an attention head's result or an MLP's hidden layer.
type HLNode struct {
	Label string `json:"label"`
	Hook  string `json:"hook"`
	Head  *int   `json:"head"` // nil for MLP nodes (the whole tensor)
}

// LLNode is a node of the low-level model.
type LLNode struct {
	Hook string `json:"hook"`
	Head *int   `json:"head"`
}

// Entry maps one HL node to the LL nodes that must implement it (all
// patched together).
type Entry struct {
	HL HLNode   `json:"hl"`
	LL []LLNode `json:"ll"`
}

// Correspondence is the HL → LL map of a SIIT model and its non-circuit LL
// nodes (every head result and MLP hidden layer the map does not use).
type Correspondence struct {
	Entries    []Entry
	NonCircuit []LLNode
}

func headPtr(h int) *int { return &h }

// Node converts to the grad package's node (Head -1 for MLP nodes).
func (n LLNode) Node() grad.Node {
	if n.Head == nil {
		return grad.Node{Hook: n.Hook, Head: -1}
	}
	return grad.Node{Hook: n.Hook, Head: *n.Head}
}

// String renders the node as InterpBench prints it ("blocks.1.attn.hook_result[2]").
func (n LLNode) String() string { return n.Node().String() }

// Node converts the HL node's hook and head to a grad node.
func (n HLNode) Node() grad.Node { return LLNode{Hook: n.Hook, Head: n.Head}.Node() }

func (n HLNode) key() string { return n.Label + "@" + n.Node().String() }

// HLNodes lists the compiled program's nodes in block order: one per head
// of every attention block (labelled with the RASP expression the head
// implements) and one per expression combined into every MLP block, all of
// that MLP's nodes on the same hook. Layer numbers are the compiled model's
// TransformerLens block indices (InterpBench's own layer counter can
// differ when tracr emits two attention blocks with no MLP between them;
// glassbox uses the hook that really computes the node).
func HLNodes(comp *tracr.Compiled) []HLNode {
	var out []HLNode
	for _, b := range comp.Blocks {
		switch b.Kind {
		case "attn":
			for j := range b.Heads {
				label := b.Heads[j]
				if j < len(b.Nodes) {
					label = b.Nodes[j]
				}
				out = append(out, HLNode{Label: label, Hook: fmt.Sprintf("blocks.%d.attn.hook_result", b.Layer), Head: headPtr(j)})
			}
		case "mlp":
			for _, label := range b.Nodes {
				out = append(out, HLNode{Label: label, Hook: fmt.Sprintf("blocks.%d.mlp.hook_post", b.Layer)})
			}
		}
	}
	return out
}

// caseOverrides are InterpBench's hand-made LL choices (case 3:
// frac_prevs_1 on LL head 2 of layer 1).
var caseOverrides = map[int]map[string][]LLNode{
	3: {
		"is_x_3":       {{Hook: "blocks.0.mlp.hook_post"}},
		"frac_prevs_1": {{Hook: "blocks.1.attn.hook_result", Head: headPtr(2)}},
	},
}

// DefaultCorrespondence maps every HL node to the LL node at the same hook
// and head, with InterpBench's per-case overrides (caseID 0: none).
func DefaultCorrespondence(comp *tracr.Compiled, ll model.Config, caseID int) (*Correspondence, error) {
	var entries []Entry
	for _, h := range HLNodes(comp) {
		lls := []LLNode{{Hook: h.Hook, Head: h.Head}}
		if o, ok := caseOverrides[caseID][h.Label]; ok {
			lls = o
		}
		entries = append(entries, Entry{HL: h, LL: lls})
	}
	return NewCorrespondence(comp, ll, entries)
}

// NewCorrespondence validates entries against the compiled program and the
// LL config and derives the non-circuit nodes. Every HL node named must be
// one of HLNodes(comp) (same label, hook and head); HL nodes the entries do
// not name keep the default (same hook and head). LL nodes must exist in
// the LL model; an LL node may serve one HL node only.
func NewCorrespondence(comp *tracr.Compiled, ll model.Config, entries []Entry) (*Correspondence, error) {
	if len(entries) > 1<<16 {
		return nil, fmt.Errorf("siit: correspondence has %d entries, want at most %d", len(entries), 1<<16)
	}
	known := map[string]HLNode{}
	hl := HLNodes(comp)
	if len(hl) == 0 {
		return nil, fmt.Errorf("siit: the compiled program has no attention head or MLP to train (no HL node)")
	}
	for _, h := range hl {
		known[h.key()] = h
	}
	given := map[string]Entry{}
	for i, e := range entries {
		if _, ok := known[e.HL.key()]; !ok {
			return nil, fmt.Errorf("siit: correspondence entry %d: HL node %s at %s is not a node of the compiled program (nodes: %s)",
				i, e.HL.Label, e.HL.Node(), hlList(hl))
		}
		if _, dup := given[e.HL.key()]; dup {
			return nil, fmt.Errorf("siit: correspondence entry %d: HL node %s at %s is mapped twice", i, e.HL.Label, e.HL.Node())
		}
		if len(e.LL) == 0 {
			return nil, fmt.Errorf("siit: correspondence entry %d (%s): \"ll\" is empty, want at least one LL node", i, e.HL.Label)
		}
		given[e.HL.key()] = e
	}
	c := &Correspondence{}
	owner := map[string]string{}
	for _, h := range hl {
		e, ok := given[h.key()]
		if !ok {
			e = Entry{HL: h, LL: []LLNode{{Hook: h.Hook, Head: h.Head}}}
		}
		for _, n := range e.LL {
			if err := checkLLNode(ll, n); err != nil {
				return nil, fmt.Errorf("siit: correspondence for %s: %w", h.Label, err)
			}
			k := n.String()
			if o, taken := owner[k]; taken && o != h.key() && !sameMLP(o, h.key()) {
				return nil, fmt.Errorf("siit: correspondence: LL node %s serves both %s and %s", k, strings.SplitN(o, "@", 2)[0], h.Label)
			}
			owner[k] = h.key()
		}
		c.Entries = append(c.Entries, e)
	}
	for _, n := range AllLLNodes(ll) {
		if _, used := owner[n.String()]; !used {
			c.NonCircuit = append(c.NonCircuit, n)
		}
	}
	return c, nil
}

// sameMLP allows the HL nodes combined into one HL MLP (same hook) to share
// their LL nodes.
func sameMLP(a, b string) bool {
	ha := strings.SplitN(a, "@", 2)[1]
	hb := strings.SplitN(b, "@", 2)[1]
	return ha == hb && strings.HasSuffix(ha, "mlp.hook_post")
}

func hlList(hl []HLNode) string {
	s := make([]string, len(hl))
	for i, h := range hl {
		s[i] = h.Label + " " + h.Node().String()
	}
	return strings.Join(s, ", ")
}

func checkLLNode(ll model.Config, n LLNode) error {
	if n.Head != nil && *n.Head < 0 {
		return fmt.Errorf("LL node %s: head %d, want ≥ 0 (or null for an MLP)", n.Hook, *n.Head)
	}
	if strings.HasSuffix(n.Hook, "attn.hook_result") && n.Head == nil {
		return fmt.Errorf("LL node %s: an attention result node needs a head", n.Hook)
	}
	if strings.HasSuffix(n.Hook, "mlp.hook_post") && n.Head != nil {
		return fmt.Errorf("LL node %s[%d]: an MLP node takes no head (use null)", n.Hook, *n.Head)
	}
	if err := grad.CheckNode(ll, n.Node()); err != nil {
		return fmt.Errorf("LL node %s: %w", n, err)
	}
	return nil
}

// AllLLNodes lists every node of an LL model in forward order: each
// layer's heads, then its MLP.
func AllLLNodes(ll model.Config) []LLNode {
	var out []LLNode
	for l := 0; l < ll.NLayers; l++ {
		for h := 0; h < ll.NHeads; h++ {
			out = append(out, LLNode{Hook: fmt.Sprintf("blocks.%d.attn.hook_result", l), Head: headPtr(h)})
		}
		if !ll.AttnOnly {
			out = append(out, LLNode{Hook: fmt.Sprintf("blocks.%d.mlp.hook_post", l)})
		}
	}
	return out
}

// MarshalJSON writes the entries as a JSON list (the file format).
func (c *Correspondence) MarshalJSON() ([]byte, error) { return json.MarshalIndent(c.Entries, "", " ") }

// Save writes correspondence.json atomically.
func (c *Correspondence) Save(path string) error {
	b, err := c.MarshalJSON()
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, append(b, '\n'), 0o644)
}

// ReadEntries reads a correspondence file (a JSON list of {"hl": …, "ll":
// […]}); validate it with NewCorrespondence.
func ReadEntries(path string) ([]Entry, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) > 16<<20 {
		return nil, fmt.Errorf("read %s: %d bytes, want at most 16 MiB", path, len(b))
	}
	var entries []Entry
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&entries); err != nil {
		return nil, fmt.Errorf("read %s: want a JSON list of {\"hl\": {\"label\", \"hook\", \"head\"}, \"ll\": [{\"hook\", \"head\"}]}: %w", path, err)
	}
	for i, e := range entries {
		if e.HL.Label == "" || e.HL.Hook == "" {
			return nil, fmt.Errorf("read %s: entry %d: hl needs \"label\" and \"hook\"", path, i)
		}
		for j, n := range e.LL {
			if n.Hook == "" {
				return nil, fmt.Errorf("read %s: entry %d (%s): ll[%d] has no \"hook\"", path, i, e.HL.Label, j)
			}
		}
	}
	return entries, nil
}
